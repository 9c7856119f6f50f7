"""A sequence tagger: words (and optionally their characters) in, one tag per word out.

    e_t = [E w_t ; charRNN(c_t)]     word embedding, plus the character encoder's final states
                                     (in training, w_t is <unk> with probability word_dropout)
    a_t = RNN(e_1..e_T)              elman.RNN, usually bidirectional
    y_t = W_O a_t + b_O              logits over the tags

The character encoder is a bidirectional elman.RNN over each word's characters; its final
states (forward at the last character, backward at the first) give a vector even for words
never seen in training, from their spelling (suffixes, capitals, digits).
"""

from collections.abc import Sequence

import torch
from torch import nn

from ..nn import RNN
from .common import Summarized, WordDropout, front_end, top_state


class Tagger(Summarized, nn.Module):
    """ids (B, T), lengths (B,), chars (B, T, C), char_lengths (B, T) -> logits (B, T, K).

    Args: vocab_size (words), embed_dim, hidden_sizes, output_size (K tags), cell,
    activation, bidirectional, dropout, embed_dropout; char_vocab_size (None: no character
    encoder), char_dim (character embedding width), char_hidden (encoder width per direction);
    word_dropout with unk (the id of <unk>): in training each word is read as <unk> with that
    probability, which trains the one vector every unseen word gets.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_sizes: int | Sequence[int],
                 output_size: int, cell: str = "lstm", activation="tanh",
                 bidirectional: bool = True, dropout: float = 0.0, embed_dropout: float = 0.0,
                 char_vocab_size: int | None = None, char_dim: int = 32, char_hidden: int = 32,
                 word_dropout: float = 0.0, unk: int | None = None):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, embed_dim=embed_dim,
                           hidden_sizes=hidden_sizes, output_size=output_size, cell=cell,
                           activation=activation, bidirectional=bidirectional, dropout=dropout,
                           embed_dropout=embed_dropout, char_vocab_size=char_vocab_size,
                           char_dim=char_dim, char_hidden=char_hidden,
                           word_dropout=word_dropout, unk=unk)
        self.word_drop = WordDropout(word_dropout, unk)
        self.embedding = front_end(embed_dim, vocab_size, "ids", "embed_dim")
        width = embed_dim
        if char_vocab_size is not None:
            self.char_embedding = front_end(char_dim, char_vocab_size, "chars", "char_dim")
            self.char_rnn = RNN(char_dim, char_hidden, cell, activation, bidirectional=True)
            width += 2 * char_hidden
        self.embed_drop = nn.Dropout(embed_dropout)
        self.rnn = RNN(width, hidden_sizes, cell, activation, bidirectional, dropout)
        self.drop = nn.Dropout(dropout)
        self.output = nn.Linear(self.rnn.output_size, output_size)

    def encode_chars(self, chars: torch.Tensor, char_lengths: torch.Tensor) -> torch.Tensor:
        """chars (B, T, C), char_lengths (B, T) -> word vectors (B, T, 2 * char_hidden)."""
        B, T, C = chars.shape
        e = self.char_embedding(chars.reshape(B * T, C))              # (B*T, C, char_dim)
        _, finals = self.char_rnn(e, char_lengths.reshape(B * T).clamp(min=1))
        return top_state(finals).reshape(B, T, -1)

    def forward(self, ids: torch.Tensor, lengths=None, chars=None, char_lengths=None):
        """-> logits (B, T, K) (padded steps give the output bias; mask them with lengths)."""
        e = self.embedding(self.word_drop(ids))                       # (B, T, E)
        if hasattr(self, "char_rnn"):
            e = torch.cat([e, self.encode_chars(chars, char_lengths)], dim=-1)
        h, _ = self.rnn(self.embed_drop(e), lengths)                  # (B, T, D*H)
        return self.output(self.drop(h))
