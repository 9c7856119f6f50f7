"""Batches of captioned images for the one-to-many captioner.

An example is one image (C, H, W) uint8 and one caption's token ids (without <s> and </s>).
A batch is a ``Batch`` (``elman.data.batching``) with x ``CaptionInputs`` and y the targets:

==============  ==========================================================================
images          (B, C, H, W) float32 in [-1, 1] (``elman.data.images.as_float``)
tgt_in          (B, T) int64 decoder inputs [bos, y_1, ..., y_n] (0-padded)
tgt_lengths     (B,) int64: n + 1 per caption
y               (B, T) int64 targets [y_1, ..., y_n, eos] (0-padded)
==============  ==========================================================================

Training batches group captions of similar length as ``SequenceBatches`` does;
``shuffle=False`` keeps the examples' order.
"""

from collections.abc import Iterator
from typing import NamedTuple

import torch

from .batching import Batch
from .images import as_float
from .sequences import SequenceBatches


class CaptionExample(NamedTuple):
    ids: list[int]                 # the caption's token ids
    image: torch.Tensor            # (C, H, W) uint8


class CaptionInputs(NamedTuple):
    """The inputs of a batch (see the module doc)."""

    images: torch.Tensor
    tgt_in: torch.Tensor
    tgt_lengths: torch.Tensor

    def to(self, device) -> "CaptionInputs":
        return CaptionInputs(*(t.to(device) for t in self))


def collate_captions(examples: list[CaptionExample], bos: int, eos: int) -> Batch:
    """Stack the images and pad the captions of a list of examples into one batch."""
    B, T = len(examples), max(len(e.ids) for e in examples) + 1
    tgt_in = torch.zeros(B, T, dtype=torch.long)
    y = torch.zeros(B, T, dtype=torch.long)
    for b, e in enumerate(examples):
        tgt_in[b, :len(e.ids) + 1] = torch.tensor([bos] + e.ids)
        y[b, :len(e.ids) + 1] = torch.tensor(e.ids + [eos])
    images = as_float(torch.stack([e.image for e in examples]))
    lengths = torch.tensor([len(e.ids) + 1 for e in examples])
    return Batch(CaptionInputs(images, tgt_in, lengths), y, False)


class CaptionBatches(SequenceBatches):
    """Batches of ``CaptionExample``; ``references``: for evaluation batches, every
    example's reference captions (strings), in order."""

    def __init__(self, examples: list[CaptionExample], batch_size: int, bos: int, eos: int,
                 seed: int = 0, shuffle: bool = True,
                 references: list[list[str]] | None = None):
        super().__init__(examples, batch_size, seed, shuffle)
        self.bos, self.eos, self.references = bos, eos, references

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        for indices in self.order(epoch)[start:]:
            yield collate_captions([self.examples[i] for i in indices], self.bos, self.eos)
