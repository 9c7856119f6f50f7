"""Many-to-one: a sequence in, one output out (sentiment of a review, class of a signal)."""

import torch

from .common import RNNWithOutput, top_state


class ManyToOne(RNNWithOutput):
    """x (B, T, I) or token ids (B, T) -> y (B, K) from the top layer at each sequence's last
    real step (bidirectional: [forward at the last real step; backward at the first]).

    y is logits (the loss applies softmax or sigmoid) or linear values for regression.
    Arguments as ``RNNWithOutput``: input_size, hidden_sizes, output_size, cell, activation,
    bidirectional, dropout, vocab_size (token ids in, embedded to input_size), embed_dropout.
    """

    sequence_output = False

    def forward(self, x: torch.Tensor, lengths=None, state=None) -> torch.Tensor:
        """x (B, T, I) or (B, T) ids, lengths (B,) -> y (B, K)."""
        _, finals = self.rnn(self.embed(x), lengths, state)
        return self.output(self.drop(top_state(finals)))
