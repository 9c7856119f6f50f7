"""Pieces the architectures share: the input front end, an RNN with an output layer, and
reading the top layer's final state."""

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import bad
from ..nn import RNN
from ..nn.memory import check_fits


class Lookup(nn.Embedding):
    """nn.Embedding that checks its ids first: an integer tensor of ids in 0..V-1, else a
    one-line error naming the input (``name``); and a table that fits in memory, else an
    error naming the width (``width``, the constructor argument of the model)."""

    def __init__(self, vocab_size: int, dim: int, name: str = "x", width: str = "embed_dim"):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise bad(width, "a positive int", repr(dim))
        check_fits(vocab_size * dim, width, "an embedding that fits",
                   f"{vocab_size:,} x {dim:,}")
        super().__init__(vocab_size, dim)
        self.name = name

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if not isinstance(ids, torch.Tensor) or ids.is_floating_point() or \
                ids.dtype == torch.bool or ids.is_complex():
            raise bad(self.name, "token ids (an integer tensor)",
                      getattr(ids, "dtype", type(ids).__name__))
        V = self.num_embeddings
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= V):
            raise bad(self.name, f"token ids in 0..{V - 1}",
                      f"ids in {int(ids.min())}..{int(ids.max())}")
        return super().forward(ids)


def front_end(input_size: int, vocab_size: int | None, name: str = "x",
              width: str = "input_size") -> nn.Module:
    """Token ids (B, T) -> embeddings (B, T, input_size) when vocab_size is set; else features
    (B, T, input_size) pass through unchanged. ``name``, ``width``: the input and the width
    argument as errors name them."""
    if vocab_size is None:
        return nn.Identity()
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
        raise bad("vocab_size", "a positive int or None", repr(vocab_size))
    return Lookup(vocab_size, input_size, name, width)


class WordDropout(nn.Module):
    """Token ids (B, T) -> the same ids, each read as ``unk`` with probability p in training:
    trains the <unk> vector that every word unseen in training gets."""

    def __init__(self, p: float = 0.0, unk: int | None = None):
        super().__init__()
        if p and unk is None:
            raise bad("unk", "the id of <unk> for word_dropout > 0", "None")
        self.p, self.unk = p, unk

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if not (self.training and self.p):
            return ids
        return ids.masked_fill(torch.rand(ids.shape, device=ids.device) < self.p, self.unk)


def top_state(finals: list) -> torch.Tensor:
    """The top layer's final activation (B, D*H_L) from an RNN's final states (h of an LSTM)."""
    top = finals[-1]
    return top[0] if isinstance(top, tuple) else top


class Summarized:
    """Adds ``model.summary(batch_size, seq_len)``: print and return the sizes table."""

    def summary(self, batch_size: int = 1, seq_len: int = 1):
        from ..nn.summary import summarize
        s = summarize(self, batch_size, seq_len)
        print(s)
        return s


class RNNWithOutput(Summarized, nn.Module):
    """Front end (word dropout on ids, ``unk`` their <unk> id; embedding dropout) -> elman.RNN
    -> dropout -> output layer y = W_O a + b_O (``output``). ``extra_input``: the width of
    features a subclass concatenates to the embeddings (the RNN reads input_size + it)."""

    def __init__(self, input_size: int, hidden_sizes: int | Sequence[int], output_size: int,
                 cell: str = "elman", activation="tanh", bidirectional: bool = False,
                 dropout: float = 0.0, vocab_size: int | None = None,
                 embed_dropout: float = 0.0, word_dropout: float = 0.0, unk: int | None = None,
                 extra_input: int = 0):
        super().__init__()
        self.config = dict(input_size=input_size, hidden_sizes=hidden_sizes,
                           output_size=output_size, cell=cell, activation=activation,
                           bidirectional=bidirectional, dropout=dropout, vocab_size=vocab_size,
                           embed_dropout=embed_dropout, word_dropout=word_dropout, unk=unk)
        self.word_drop = WordDropout(word_dropout, unk)
        self.embedding = front_end(input_size, vocab_size)
        self.embed_drop = nn.Dropout(embed_dropout)
        self.rnn = RNN(input_size + extra_input, hidden_sizes, cell, activation, bidirectional,
                       dropout)
        self.drop = nn.Dropout(dropout)
        self.output = nn.Linear(self.rnn.output_size, output_size)

    def embed(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T, I) or ids (B, T) -> (B, T, I), with word and embedding dropout on ids;
        extra features (B, T, E) are concatenated before the embedding dropout (I + E)."""
        e = self.embedding(self.word_drop(x))
        if extra is not None:
            e = torch.cat([e, extra], dim=-1)
        return self.embed_drop(e)
