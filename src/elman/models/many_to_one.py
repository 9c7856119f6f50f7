"""Many-to-one: a sequence in, one output out (sentiment of a review, class of a signal)."""

import torch

from ..errors import bad
from .common import RNNWithOutput, top_state

POOLINGS = ("last", "max", "mean")


class ManyToOne(RNNWithOutput):
    """x (B, T, I) or token ids (B, T) -> y (B, K) from the top layer's outputs, pooled:

    - "last" (the textbook): the final state, at each sequence's last real step
      (bidirectional: [forward at the last real step; backward at the first]);
    - "max" / "mean": the elementwise maximum / mean of the top outputs over the real steps.

    y is logits (the loss applies softmax or sigmoid) or linear values for regression.
    Arguments as ``RNNWithOutput``: input_size, hidden_sizes, output_size, cell, activation,
    bidirectional, dropout, vocab_size (token ids in, embedded to input_size), embed_dropout;
    plus pooling.
    """

    sequence_output = False

    def __init__(self, *args, pooling: str = "last", **kwargs):
        super().__init__(*args, **kwargs)
        if pooling not in POOLINGS:
            raise bad("pooling", f"one of {list(POOLINGS)}", repr(pooling))
        self.pooling = self.config["pooling"] = pooling

    def forward(self, x: torch.Tensor, lengths=None, state=None) -> torch.Tensor:
        """x (B, T, I) or (B, T) ids, lengths (B,) -> y (B, K)."""
        out, finals = self.rnn(self.embed(x), lengths, state)  # (B, T, D*H)
        if self.pooling == "last":
            return self.output(self.drop(top_state(finals)))
        B, T, _ = out.shape
        if lengths is None:
            lengths = torch.full((B,), T, device=out.device)
        real = (torch.arange(T, device=out.device) < lengths.to(out.device)[:, None])[..., None]
        if self.pooling == "max":
            pooled = out.masked_fill(~real, float("-inf")).amax(dim=1)
        else:
            pooled = out.sum(dim=1) / lengths.to(out.dtype)[:, None]  # padded outputs are 0
        return self.output(self.drop(pooled))
