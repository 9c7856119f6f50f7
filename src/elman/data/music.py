"""Polyphonic music as piano rolls: the JSB Chorales / Nottingham JSON, and batches of frames.

A file is a JSON list of pieces; a piece is a list of time steps; a step is the list of MIDI
pitches sounding then (an empty list is silence). A step becomes an 88-dim binary frame, key
k = pitch - 21 (A0 = 21 .. C8 = 108, the piano). A pitch outside 21..108 (or one that is not
an int) is an error naming the file, piece, step and pitch: the model has no output for it,
and dropping notes silently would change the music and the likelihood.

A batch is a ``Batch`` (``elman.data.batching``) of next-frame prediction::

    x.frames  (B, T, 88) float  frames 1..n-1 of each piece (0 after its length)
    x.lengths (B,) int64        predicted steps n - 1 of each piece
    y         (B, T, 88) float  frames 2..n (x shifted by one step)

Training cuts pieces longer than ``seq_len`` + 1 frames into chunks of ``seq_len`` + 1
frames (overlapping by one, so every step is still predicted once) and shuffles them each
epoch with a generator seeded by (seed, epoch); evaluation batches keep whole pieces,
grouped by length.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import torch

from ..errors import bad
from .batching import Batch, epoch_generator

LOWEST, KEYS = 21, 88


def read_pieces(path, argument: str = "data") -> list[torch.Tensor]:
    """A JSON file of pieces -> piano rolls, one (n, 88) float tensor per piece."""
    p = Path(path)
    if not p.is_file():
        raise bad(argument, "an existing JSON file of pieces", repr(str(p)))
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise bad(argument, "a UTF-8 JSON file", f"{str(p)!r}: {type(e).__name__}: {e}") from None
    if not isinstance(raw, list) or not raw:
        raise bad(argument, "a non-empty JSON list of pieces",
                  f"{type(raw).__name__} in {str(p)!r}")
    rolls = []
    for i, piece in enumerate(raw):
        if not isinstance(piece, list) or len(piece) < 2:
            raise bad(argument, "pieces of at least 2 time steps (lists of pitch lists)",
                      f"{_preview(piece)} at {p.name} piece {i}")
        rolls.append(piano_roll(piece, f"{p.name} piece {i}", argument))
    return rolls


def piano_roll(steps: list, where: str = "piece", argument: str = "data") -> torch.Tensor:
    """A list of n steps (lists of MIDI pitches 21..108) -> (n, 88) binary float tensor."""
    roll = torch.zeros(len(steps), KEYS)
    for t, step in enumerate(steps):
        if not isinstance(step, list):
            raise bad(argument, "a list of MIDI pitches at every step", f"{_preview(step)} at "
                      f"{where} step {t}")
        for pitch in step:
            if isinstance(pitch, bool) or not isinstance(pitch, int) or \
                    not LOWEST <= pitch < LOWEST + KEYS:
                raise bad(argument, f"MIDI pitches {LOWEST}..{LOWEST + KEYS - 1} (the piano)",
                          f"{pitch!r} at {where} step {t}")
            roll[t, pitch - LOWEST] = 1.0
    return roll


def pitches(frame: torch.Tensor) -> list[int]:
    """An 88-dim frame -> the sorted MIDI pitches of its nonzero keys."""
    return [int(k) + LOWEST for k in torch.nonzero(frame).flatten().tolist()]


def _preview(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Frames(NamedTuple):
    """The padded inputs of a batch: frames (B, T, 88) and lengths (B,)."""

    frames: torch.Tensor
    lengths: torch.Tensor

    def to(self, device) -> "Frames":
        return Frames(self.frames.to(device), self.lengths.to(device))


def collate(rolls: list[torch.Tensor]) -> Batch:
    """Piano rolls (n_i, 88) -> a next-frame Batch padded to the longest."""
    B, T = len(rolls), max(len(r) for r in rolls) - 1
    x, y = torch.zeros(B, T, KEYS), torch.zeros(B, T, KEYS)
    for b, r in enumerate(rolls):
        x[b, :len(r) - 1], y[b, :len(r) - 1] = r[:-1], r[1:]
    lengths = torch.tensor([len(r) - 1 for r in rolls], dtype=torch.long)
    return Batch(Frames(x, lengths), y, False)


def chunks(roll: torch.Tensor, seq_len: int) -> list[torch.Tensor]:
    """Cut a roll (n, 88) into pieces of at most seq_len + 1 frames, overlapping by one."""
    return [roll[s:s + seq_len + 1] for s in range(0, len(roll) - 1, seq_len)]


class FrameBatches:
    """Next-frame batches of piano rolls; ``shuffle`` (training) chunks and shuffles them,
    otherwise whole pieces come in batches of similar length."""

    bptt = "full"

    def __init__(self, rolls: list[torch.Tensor], batch_size: int, seq_len: int,
                 seed: int = 0, shuffle: bool = True):
        if not rolls:
            raise bad("data", "at least one piece", "none")
        self.rolls = [c for r in rolls for c in chunks(r, seq_len)] if shuffle else \
            sorted(rolls, key=len)
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle
        self.seq_len = max(len(r) for r in self.rolls) - 1

    def __len__(self) -> int:
        return -(-len(self.rolls) // self.batch_size)

    @property
    def steps(self) -> int:
        """Predicted time steps per epoch."""
        return sum(len(r) - 1 for r in self.rolls)

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        """Yield the batches of one epoch, from batch index ``start`` on."""
        n, B = len(self.rolls), self.batch_size
        order = torch.randperm(n, generator=epoch_generator(self.seed, epoch)).tolist() \
            if self.shuffle else list(range(n))
        for k in range(start, len(self)):
            yield collate([self.rolls[i] for i in order[k * B:(k + 1) * B]])
