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
    plus pooling, and vectors = [N, D]: a frozen table of N pretrained piece vectors
    (``piece_vectors``, filled by the caller), each word read as the mean of its pieces'
    vectors beside its embedding (``elman.data.vectors``).
    """

    sequence_output = False

    def __init__(self, *args, pooling: str = "last", vectors: list[int] | None = None,
                 **kwargs):
        if vectors is not None and (not isinstance(vectors, (list, tuple)) or len(vectors) != 2
                                    or not all(isinstance(n, int) and n > 0 for n in vectors)):
            raise bad("vectors", "None or [rows, width] of a piece table", repr(vectors))
        super().__init__(*args, extra_input=vectors[1] if vectors else 0, **kwargs)
        if pooling not in POOLINGS:
            raise bad("pooling", f"one of {list(POOLINGS)}", repr(pooling))
        self.pooling = self.config["pooling"] = pooling
        if vectors:
            self.config["vectors"] = list(vectors)
            self.register_buffer("piece_vectors", torch.zeros(*vectors, dtype=torch.float16))

    def word_vectors(self, pieces: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        """pieces (B, T, P) ids, counts (B, T) -> (B, T, D): the mean of each word's pieces'
        vectors."""
        v = self.piece_vectors[pieces].float()                       # (B, T, P, D)
        real = torch.arange(pieces.shape[2], device=pieces.device) < counts[..., None]
        return (v * real[..., None]).sum(2) / counts.clamp(min=1)[..., None]

    def forward(self, x: torch.Tensor, lengths=None, state=None, pieces=None,
                piece_counts=None) -> torch.Tensor:
        """x (B, T, I) or (B, T) ids, lengths (B,); with vectors, pieces (B, T, P) and
        piece_counts (B, T) -> y (B, K)."""
        extra = None
        if hasattr(self, "piece_vectors"):
            if pieces is None:
                raise bad("pieces", "the piece ids of every word (the model reads vectors)",
                          "None")
            extra = self.word_vectors(pieces, piece_counts)
        out, finals = self.rnn(self.embed(x, extra), lengths, state)  # (B, T, D*H)
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
