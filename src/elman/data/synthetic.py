"""Algorithmic sequence tasks, generated from a seed (no files): sort, reverse, copy, add.

Token format (tokens separated by spaces)::

    sort     5 3 9 1        ->  1 3 5 9        integers in 0..vocab-1, length drawn from
    reverse  5 3 9 1        ->  1 9 3 5        ``lengths`` (e.g. 1..10)
    copy     5 3 9 1        ->  5 3 9 1
    add      1 2 + 3 4 5    ->  3 5 7          two numbers written digit by digit (most
                                               significant first, no leading zeros), each
                                               with a number of digits drawn from ``lengths``

Users may type an addition as ``12 + 345`` or ``12+345``: ``source_tokens`` splits it into
digits. The held-out set is drawn first from its own seed; training draws skip its inputs,
so no held-out input is ever trained on. A test set is drawn the same way from
``test_seed(split_seed)``, skipping the held-out inputs.
"""

import hashlib
from collections.abc import Callable, Iterator

import torch

from ..errors import bad
from .batching import Batch, epoch_generator
from .pairs import Pair, collate_pairs

KINDS = ("sort", "reverse", "copy", "add")


def parse_lengths(name: str, text: str) -> tuple[int, int]:
    """'1-10' -> (1, 10); '10' -> (10, 10)."""
    lo, _, hi = str(text).replace(" ", "").partition("-")
    try:
        lo, hi = int(lo), int(hi or lo)
    except ValueError:
        raise bad(name, "a length such as 10 or a range such as 1-10", repr(text)) from None
    if not 1 <= lo <= hi:
        raise bad(name, "lengths >= 1 with the lower bound first, such as 1-10", repr(text))
    return lo, hi


def source_tokens(kind: str, vocab: int) -> list[str]:
    """The tokens a source may hold: the integers 0..vocab-1 (sort, reverse, copy), or the
    digits and '+' (add)."""
    if kind == "add":
        return [str(d) for d in range(10)] + ["+"]
    return [str(v) for v in range(vocab)]


def target_tokens(kind: str, vocab: int) -> list[str]:
    """The tokens an answer may hold."""
    return [str(d) for d in range(10)] if kind == "add" else source_tokens(kind, vocab)


def target(kind: str, source: list[str]) -> list[str]:
    """The answer to a source, as tokens."""
    if kind == "sort":
        return sorted(source, key=int)
    if kind == "reverse":
        return source[::-1]
    if kind == "copy":
        return list(source)
    plus = source.index("+")
    return list(str(int("".join(source[:plus])) + int("".join(source[plus + 1:]))))


def space_size(kind: str, lengths: tuple[int, int], vocab: int) -> int:
    """How many different sources there are."""
    lo, hi = lengths
    if kind == "add":
        numbers = 10 ** hi - (10 ** (lo - 1) if lo > 1 else 0)
        return numbers * numbers
    return sum(vocab ** n for n in range(lo, hi + 1))


def draw(kind: str, lengths: tuple[int, int], vocab: int, g: torch.Generator) -> list[str]:
    """One random source."""
    lo, hi = lengths
    if kind == "add":
        return _number(lengths, g) + ["+"] + _number(lengths, g)
    n = int(torch.randint(lo, hi + 1, (1,), generator=g))
    return [str(v) for v in torch.randint(0, vocab, (n,), generator=g).tolist()]


def _number(lengths: tuple[int, int], g: torch.Generator) -> list[str]:
    digits = int(torch.randint(lengths[0], lengths[1] + 1, (1,), generator=g))
    low = 10 ** (digits - 1) if digits > 1 else 0
    return list(str(int(torch.randint(low, 10 ** digits, (1,), generator=g))))


def draw_many(kind: str, lengths: tuple[int, int], vocab: int, n: int, g: torch.Generator,
              exclude: frozenset = frozenset()) -> list[list[str]]:
    """``n`` random sources, none of them in ``exclude``."""
    out = []
    while len(out) < n:
        s = draw(kind, lengths, vocab, g)
        if tuple(s) not in exclude:
            out.append(s)
    return out


def held_out(kind: str, lengths: tuple[int, int], vocab: int, n: int, seed: int,
             exclude: frozenset = frozenset()) -> list[list[str]]:
    """The fixed validation (or test) sources: ``n`` distinct draws from generator ``seed``,
    none of them in ``exclude``. At most half of all possible sources may be held out
    (training needs the rest)."""
    total = space_size(kind, lengths, vocab)
    if 2 * n > total:
        raise bad("valid_size", f"at most half of the {total:,} possible {kind} inputs "
                  "(lower --valid-size, or widen --length or --vocab)", n)
    if n > total - len(exclude):
        raise bad("valid_size", f"at most the {total - len(exclude):,} {kind} inputs that are "
                  "neither held out nor trained on (lower --valid-size, or widen --length or "
                  "--vocab)", n)
    g = torch.Generator().manual_seed(seed)
    seen, out = set(exclude), []
    while len(out) < n:
        s = draw(kind, lengths, vocab, g)
        if tuple(s) not in seen:
            seen.add(tuple(s))
            out.append(s)
    return out


def test_seed(split_seed: int) -> int:
    """The seed of the test set of a run with ``split_seed``: the first 8 bytes of the SHA-256
    of "test <split_seed>", read big-endian, below 2**63. A hash rather than a small offset:
    it meets the seed of a held-out set or of a training batch by a 2**-63 chance only."""
    digest = hashlib.sha256(f"test {split_seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 2**63


def split_source(kind: str, text: str) -> list[str]:
    """A user's source text -> tokens: integers separated by spaces, or for add two numbers
    joined by '+' (spaces optional)."""
    if kind == "add":
        return [c for c in text if not c.isspace()]
    return text.split()


class FreshBatches:
    """Training batches of new random sources, ``per_epoch`` batches an epoch; batch k of
    epoch e comes from a generator seeded by (seed, e, k), so a resumed run sees the same
    batches. ``make(source tokens) -> Pair``."""

    bptt = "full"

    def __init__(self, kind: str, lengths: tuple[int, int], vocab: int, batch_size: int,
                 make: Callable[[list[str]], Pair], bos: int, eos: int, exclude: frozenset,
                 seed: int = 0, per_epoch: int = 1000):
        self.kind, self.lengths, self.vocab, self.make = kind, lengths, vocab, make
        self.batch_size, self.seq_len, self.per_epoch = batch_size, lengths[1], per_epoch
        self.bos, self.eos, self.exclude, self.seed = bos, eos, exclude, seed

    def __len__(self) -> int:
        return self.per_epoch

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        for k in range(start, self.per_epoch):
            g = epoch_generator(self.seed * 1_000_003 + epoch, k)
            sources = draw_many(self.kind, self.lengths, self.vocab, self.batch_size, g,
                                self.exclude)
            yield collate_pairs([self.make(s) for s in sources], self.bos, self.eos)
