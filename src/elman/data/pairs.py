"""Sentence pairs for translation: a TSV of ``source<TAB>target[<TAB>anything]`` (the
eng_fra format), and padded batches of (source ids, target ids) pairs for encoder-decoders.

Every non-blank line must hold a tab with a non-empty source before it and a non-empty target
after it; a line that does not is an error naming FILE:LINE. Further columns (an attribution)
are ignored.

Pairs that translate the same source (Tatoeba lists several translations of many sentences)
are grouped by the source's words (``group_by_source``): ``split_by_source`` holds out whole
groups, and a held-out group is scored against all its translations at once.

A batch is a ``Batch`` (``elman.data.batching``) with x ``PairInputs`` and y the target ids::

==============  ==========================================================================
src             (B, S) int64 source ids, 0 after each source's length
src_lengths     (B,) int64 in 1..S
tgt_in          (B, T) int64 decoder inputs [bos, y_1, ..., y_n] (0-padded)
tgt_lengths     (B,) int64: n + 1 per sequence
y               (B, T) int64 targets [y_1, ..., y_n, eos] (0-padded)
==============  ==========================================================================
"""

from collections.abc import Iterator
from typing import NamedTuple

import torch

from ..errors import bad
from .batching import Batch
from .sequences import SequenceBatches
from .words import words


class PairRow(NamedTuple):
    source: str
    target: str
    line: int


def parse_pairs(text: str, name: str) -> list[PairRow]:
    """The pairs of a TSV text read from ``name`` (used in messages)."""
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        source, tab, rest = line.partition("\t")
        target = rest.split("\t", 1)[0].strip()
        if not tab:
            raise bad("data", "source<TAB>target on every line", f"a line without a tab at "
                      f"{name}:{n}")
        if not source.strip() or not target:
            raise bad("data", "a non-empty source and target on every line",
                      f"an empty {'source' if not source.strip() else 'target'} at {name}:{n}")
        rows.append(PairRow(source.strip(), target, n))
    if not rows:
        raise bad("data", "some source<TAB>target lines", f"none in {name!r}")
    return rows


def short_pairs(rows: list[PairRow], max_words: int | None) -> list[PairRow]:
    """The pairs with at most ``max_words`` space-separated words on each side."""
    if max_words is None:
        return rows
    return [r for r in rows if len(r.source.split()) <= max_words and
            len(r.target.split()) <= max_words]


def source_key(row: PairRow, lowercase: bool) -> tuple[str, ...]:
    """The words of a pair's source: pairs with equal keys translate the same sentence."""
    return tuple(words(row.source, lowercase))


def group_by_source(rows: list[PairRow], lowercase: bool) -> list[list[PairRow]]:
    """The pairs grouped by ``source_key`` (one group per distinct source, with all its
    translations), groups and pairs in the order of the rows."""
    groups: dict[tuple[str, ...], list[PairRow]] = {}
    for r in rows:
        groups.setdefault(source_key(r, lowercase), []).append(r)
    return list(groups.values())


def split_by_source(rows: list[PairRow], fraction: float, seed: int,
                    lowercase: bool) -> tuple[list[PairRow], list[PairRow]]:
    """(train, held-out) pairs: a seeded ``fraction`` of the distinct sources (at least one,
    never all) is held out with every pair of theirs, so no held-out source is trained on.
    Both keep the rows' order."""
    keys = [source_key(r, lowercase) for r in rows]
    sources = list(dict.fromkeys(keys))                   # distinct, in order of appearance
    if fraction == 0 or len(sources) < 2:
        return rows, []
    order = torch.randperm(len(sources), generator=torch.Generator().manual_seed(seed)).tolist()
    k = min(max(1, round(fraction * len(sources))), len(sources) - 1)
    held = {sources[i] for i in order[:k]}
    return ([r for r, key in zip(rows, keys) if key not in held],
            [r for r, key in zip(rows, keys) if key in held])


class Pair(NamedTuple):
    """ids: source ids; target: target ids without bos and eos."""

    ids: list[int]
    target: list[int]


class PairInputs(NamedTuple):
    """The padded inputs of a batch of pairs (see the module doc)."""

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor
    tgt_lengths: torch.Tensor

    def to(self, device) -> "PairInputs":
        return PairInputs(*(t.to(device) for t in self))


def collate_pairs(pairs: list[Pair], bos: int, eos: int) -> Batch:
    """Pad pairs into one batch: x PairInputs, y targets with eos."""
    B = len(pairs)
    S, T = max(len(p.ids) for p in pairs), max(len(p.target) for p in pairs) + 1
    src = torch.zeros(B, S, dtype=torch.long)
    tgt_in = torch.zeros(B, T, dtype=torch.long)
    y = torch.zeros(B, T, dtype=torch.long)
    for b, p in enumerate(pairs):
        src[b, :len(p.ids)] = torch.tensor(p.ids)
        tgt_in[b, :len(p.target) + 1] = torch.tensor([bos] + p.target)
        y[b, :len(p.target) + 1] = torch.tensor(p.target + [eos])
    src_lengths = torch.tensor([len(p.ids) for p in pairs])
    tgt_lengths = torch.tensor([len(p.target) + 1 for p in pairs])
    return Batch(PairInputs(src, src_lengths, tgt_in, tgt_lengths), y, False)


class PairBatches(SequenceBatches):
    """Batches of pairs, grouped by source length and then target length as
    ``SequenceBatches`` groups sentences; ``shuffle=False`` keeps the pairs' order."""

    def __init__(self, pairs: list[Pair], batch_size: int, bos: int, eos: int, seed: int = 0,
                 shuffle: bool = True):
        super().__init__(pairs, batch_size, seed, shuffle)
        self.bos, self.eos = bos, eos

    def size(self, i: int) -> tuple[int, int]:
        return len(self.examples[i].ids), len(self.examples[i].target)

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        for indices in self.order(epoch)[start:]:
            yield collate_pairs([self.examples[i] for i in indices], self.bos, self.eos)
