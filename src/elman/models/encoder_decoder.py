"""Encoder-decoder for unequal lengths (translation, sorting): the encoder's final state is
the decoder's initial state."""

from collections.abc import Sequence

import torch
from torch import nn

from ..nn import RNN
from .common import Summarized, front_end
from .decoding import decode
from .language_model import LanguageModel


class EncoderDecoder(Summarized, nn.Module):
    """src (B, S) ids, or (B, S, input_size) features when src_vocab is None -> encoder RNN ->
    final state of every layer -> initial state of a decoder (a conditional language model
    over tgt_vocab) -> logits (B, T, V).

    Training uses teacher forcing: the decoder reads the true previous target tokens
    (tgt_in = [bos, y_1, ..., y_{T-1}]). Inference (``greedy``) feeds its own outputs back.
    A bidirectional encoder gives states of 2*H_l, so the decoder's layers are 2*H_l wide.
    """

    def __init__(self, src_vocab: int | None, tgt_vocab: int, hidden_sizes: int | Sequence[int],
                 input_size: int = 64, embed_dim: int = 64, cell: str = "elman",
                 activation="tanh", bidirectional: bool = False, dropout: float = 0.0):
        super().__init__()
        self.config = dict(src_vocab=src_vocab, tgt_vocab=tgt_vocab, hidden_sizes=hidden_sizes,
                           input_size=input_size, embed_dim=embed_dim, cell=cell,
                           activation=activation, bidirectional=bidirectional, dropout=dropout)
        self.embedding = front_end(input_size, src_vocab)
        self.encoder = RNN(input_size, hidden_sizes, cell, activation, bidirectional, dropout)
        widths = [self.encoder.num_directions * h for h in self.encoder.hidden_sizes]
        self.decoder = LanguageModel(tgt_vocab, widths, embed_dim, cell, activation, dropout)

    def encode(self, src: torch.Tensor, src_lengths=None) -> list:
        """src -> the encoder's final state of every layer (the decoder's initial state)."""
        _, finals = self.encoder(self.embedding(src), src_lengths)
        return finals

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor, src_lengths=None,
                tgt_lengths=None) -> torch.Tensor:
        """Teacher forcing: src, tgt_in (B, T) ids -> logits (B, T, V) for tgt_out."""
        logits, _ = self.decoder(tgt_in, tgt_lengths, self.encode(src, src_lengths))
        return logits

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, bos: int, eos: int | None, max_len: int,
               src_lengths=None) -> torch.Tensor:
        """Greedy decoding, batched: src -> ids (B, <= max_len)."""
        return decode(self.decoder, self.encode(src, src_lengths), bos, max_len, eos)
