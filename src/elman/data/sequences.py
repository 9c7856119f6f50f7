"""Batches of whole, variable-length sequences (sentences), padded to the longest in a batch.

Each example is a list of token ids with a target: one label (classification) or one label
per token (tagging), and optionally each token's character ids (a character word encoder)
or piece ids (pretrained vectors, ``elman.data.vectors``).
A batch is a ``Batch`` (``elman.data.batching``) whose x is ``Inputs``:

==============  ==========================================================================
ids             (B, T) int64 token ids, 0 after each sequence's length
lengths         (B,) int64 real lengths in 1..T
chars           (B, T, C) int64 character (or piece) ids of each token, or None
char_lengths    (B, T) int64 characters (pieces) per token (1 at padded tokens), or None
y               (B,) int64 labels, or (B, T) int64 tags (0 at padded steps)
==============  ==========================================================================

Training batches group sequences of similar length (less padding): each epoch shuffles the
examples with a generator seeded by (seed, epoch), sorts pools of 50 batches by length, cuts
them into batches and shuffles the batch order. ``shuffle=False`` keeps the file order.
"""

from collections.abc import Iterator
from typing import NamedTuple

import torch

from ..errors import bad
from .batching import Batch, epoch_generator

POOL = 50   # batches per length-sorted pool


class Example(NamedTuple):
    ids: list[int]
    target: int | list[int]
    chars: list[list[int]] | None = None


class Inputs(NamedTuple):
    """The padded inputs of a batch (see the module doc)."""

    ids: torch.Tensor
    lengths: torch.Tensor
    chars: torch.Tensor | None = None
    char_lengths: torch.Tensor | None = None

    def to(self, device) -> "Inputs":
        return Inputs(*(None if t is None else t.to(device) for t in self))


def collate(examples: list[Example]) -> Batch:
    """Pad a list of examples into one batch."""
    B, T = len(examples), max(len(e.ids) for e in examples)
    ids = torch.zeros(B, T, dtype=torch.long)
    lengths = torch.tensor([len(e.ids) for e in examples], dtype=torch.long)
    per_step = isinstance(examples[0].target, list)
    y = torch.zeros(B, T, dtype=torch.long) if per_step else \
        torch.tensor([e.target for e in examples], dtype=torch.long)
    for b, e in enumerate(examples):
        ids[b, :len(e.ids)] = torch.tensor(e.ids)
        if per_step:
            y[b, :len(e.ids)] = torch.tensor(e.target)
    chars = char_lengths = None
    if examples[0].chars is not None:
        C = max(len(w) for e in examples for w in e.chars)
        chars = torch.zeros(B, T, C, dtype=torch.long)
        char_lengths = torch.ones(B, T, dtype=torch.long)
        for b, e in enumerate(examples):
            for t, w in enumerate(e.chars):
                chars[b, t, :len(w)] = torch.tensor(w)
                char_lengths[b, t] = len(w)
    return Batch(Inputs(ids, lengths, chars, char_lengths), y, False)


class SequenceBatches:
    """Batches of ``batch_size`` examples; ``seq_len`` is the longest sequence."""

    bptt = "full"

    def __init__(self, examples: list[Example], batch_size: int, seed: int = 0,
                 shuffle: bool = True):
        if not examples:
            raise bad("data", "at least one sequence", "none")
        if any(len(e.ids) == 0 for e in examples):
            raise bad("data", "sequences of at least one token", "an empty one")
        self.examples, self.batch_size = examples, batch_size
        self.seed, self.shuffle = seed, shuffle
        self.seq_len = max(len(e.ids) for e in examples)

    def __len__(self) -> int:
        return -(-len(self.examples) // self.batch_size)

    @property
    def tokens(self) -> int:
        return sum(len(e.ids) for e in self.examples)

    def size(self, i: int):
        """The sort key that groups example i with others of its length."""
        return len(self.examples[i].ids)

    def order(self, epoch: int) -> list[list[int]]:
        """The example indices of each batch of an epoch."""
        n, B = len(self.examples), self.batch_size
        if not self.shuffle:
            return [list(range(i, min(i + B, n))) for i in range(0, n, B)]
        g = epoch_generator(self.seed, epoch)
        perm = torch.randperm(n, generator=g).tolist()
        batches = []
        for p in range(0, n, B * POOL):
            pool = sorted(perm[p:p + B * POOL], key=self.size)
            batches += [pool[i:i + B] for i in range(0, len(pool), B)]
        return [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        """Yield the batches of one epoch, from batch index ``start`` on."""
        for indices in self.order(epoch)[start:]:
            yield collate([self.examples[i] for i in indices])
