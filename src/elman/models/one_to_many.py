"""One-to-many: one input vector -> a sequence (music or text from one input), each output
fed back as the next step's input."""

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import bad
from .common import Summarized
from .decoding import decode
from .language_model import LanguageModel


class OneToMany(Summarized, nn.Module):
    """x (B, I) -> initial state of every layer, a_l(0) = tanh(W_I[l] x + b_I[l]) (the LSTM's
    cell state starts at 0) -> a decoder over vocab_size that feeds its outputs back.

    Training: teacher forcing with tgt_in = [bos, y_1, ..., y_{T-1}]; inference: ``generate``.
    """

    def __init__(self, input_size: int, vocab_size: int, hidden_sizes: int | Sequence[int],
                 embed_dim: int = 64, cell: str = "elman", activation="tanh",
                 dropout: float = 0.0):
        super().__init__()
        self.config = dict(input_size=input_size, vocab_size=vocab_size,
                           hidden_sizes=hidden_sizes, embed_dim=embed_dim, cell=cell,
                           activation=activation, dropout=dropout)
        self.decoder = LanguageModel(vocab_size, hidden_sizes, embed_dim, cell, activation,
                                     dropout)
        self.init = nn.Linear(input_size, sum(self.decoder.rnn.hidden_sizes))

    def initial_state(self, x: torch.Tensor) -> list:
        """x (B, I) -> the decoder's initial state, one (B, H_l) per layer."""
        W = self.init.weight
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != W.shape[1]:
            raise bad("x", f"a (B, I={W.shape[1]}) tensor",
                      f"shape {tuple(getattr(x, 'shape', ()))}")
        if x.dtype != W.dtype:
            raise bad("x", f"a {W.dtype} tensor (the weights' dtype; convert it with "
                      f"x.to({W.dtype}))", x.dtype)
        parts = torch.tanh(self.init(x)).split(self.decoder.rnn.hidden_sizes, dim=-1)
        if self.decoder.rnn.cell == "lstm":
            return [(h, torch.zeros_like(h)) for h in parts]
        return list(parts)

    def forward(self, x: torch.Tensor, tgt_in: torch.Tensor, lengths=None) -> torch.Tensor:
        """Teacher forcing: x (B, I), tgt_in (B, T) ids -> logits (B, T, V)."""
        logits, _ = self.decoder(tgt_in, lengths, self.initial_state(x))
        return logits

    @torch.no_grad()
    def generate(self, x: torch.Tensor, bos: int, length: int, eos: int | None = None,
                 temperature: float | None = None, top_k: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """x (B, I) -> ids (B, <= length); greedy unless a temperature is given."""
        return decode(self.decoder, self.initial_state(x), bos, length, eos, temperature,
                      top_k, generator)
