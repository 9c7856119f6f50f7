"""Many-to-many with equal lengths: one output per input step (part-of-speech tags)."""

import torch

from .common import RNNWithOutput


class ManyToMany(RNNWithOutput):
    """x (B, T, I) or token ids (B, T) -> y (B, T, K), one output at every step (0-input
    padded steps give the output layer's bias; mask them in the loss with lengths)."""

    def forward(self, x: torch.Tensor, lengths=None, state=None) -> torch.Tensor:
        """x (B, T, I) or (B, T) ids, lengths (B,) -> y (B, T, K)."""
        h, _ = self.rnn(self.embed(x), lengths, state)
        return self.output(self.drop(h))
