"""Acoustic features of a recording and padded batches of them.

A wave (N,) becomes frames (T, F): every ``hop_ms`` a window of ``window_ms`` is Fourier
transformed (librosa, Hann window, centred frames, T = 1 + N // hop), its power spectrum
pooled by ``n_mels`` mel filters and logged (``"logmel"``, F = n_mels), or that log-mel
spectrum turned into ``n_mfcc`` cepstral coefficients (``"mfcc"``, F = n_mfcc). Each of the F
features is then standardised with the mean and standard deviation of the training frames
(``Normaliser``); the settings and the statistics travel in a checkpoint's task.json.

Batches (``FrameBatches``) pad examples to the longest of a batch:

==============  ===========================================================================
x.x             (B, T, F) float32 frames, 0 after each example's length
x.lengths       (B,) int64 real frames in 1..T
y               (B,) int64 class ids, or (B, L) int64 label sequences padded with 0 (the CTC
                blank, never a label, so a sequence's length is its count of non-zeros)
==============  ===========================================================================
"""

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
import torch

from ..errors import bad
from ..extras import require
from .batching import Batch, epoch_generator

KINDS = ("logmel", "mfcc")
FLOOR = 1e-10          # added to the mel power before the log


@dataclass(frozen=True)
class FeatureSettings:
    kind: str = "logmel"
    sample_rate: int = 8000
    n_mels: int = 40
    n_mfcc: int = 13
    hop_ms: float = 10.0
    window_ms: float = 25.0

    @classmethod
    def of(cls, train) -> "FeatureSettings":
        """The settings of a TrainConfig."""
        return cls(train.features, train.sample_rate, train.n_mels, train.n_mfcc, train.hop_ms,
                   train.window_ms)

    @property
    def size(self) -> int:
        """F, features per frame."""
        return self.n_mels if self.kind == "logmel" else self.n_mfcc

    @property
    def hop(self) -> int:
        return max(1, round(self.hop_ms * self.sample_rate / 1000))

    @property
    def window(self) -> int:
        return max(2, round(self.window_ms * self.sample_rate / 1000))

    def to_dict(self) -> dict:
        return asdict(self)


def features(wave: np.ndarray, s: FeatureSettings) -> np.ndarray:
    """wave (N,) float32 -> frames (T, F) float32, T = 1 + N // hop (not yet normalised)."""
    librosa = require("librosa")
    if s.n_mels > s.window // 2 + 1:
        raise bad("window_ms", f"a window of at least {2 * s.n_mels - 2} samples for {s.n_mels} "
                  "mel filters", f"{s.window} samples ({s.window_ms:g} ms at {s.sample_rate} Hz)")
    mel = librosa.feature.melspectrogram(y=wave, sr=s.sample_rate, n_fft=s.window,
                                         hop_length=s.hop, n_mels=s.n_mels, power=2.0)
    logmel = np.log(mel + FLOOR)                                         # (n_mels, T)
    if s.kind == "mfcc":
        logmel = librosa.feature.mfcc(S=logmel, n_mfcc=s.n_mfcc)       # (n_mfcc, T)
    return np.ascontiguousarray(logmel.T, dtype=np.float32)


class Normaliser:
    """Per-feature standardisation: (frames - mean) / std, fitted on training frames."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)

    @classmethod
    def fit(cls, frames: Sequence[np.ndarray]) -> "Normaliser":
        """Fit on a list of (T_i, F) arrays."""
        stacked = np.concatenate(frames).astype(np.float64)               # (sum T_i, F)
        return cls(stacked.mean(0), np.maximum(stacked.std(0), 1e-5))

    def __call__(self, frames: np.ndarray) -> torch.Tensor:
        """(T, F) array -> standardised (T, F) float32 tensor."""
        return torch.from_numpy((frames - self.mean) / self.std)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Normaliser":
        return cls(d["mean"], d["std"])


class Frames(NamedTuple):
    """The padded inputs of a batch (see the module doc)."""

    x: torch.Tensor
    lengths: torch.Tensor

    def to(self, device) -> "Frames":
        return Frames(self.x.to(device), self.lengths.to(device))


def collate(examples: Sequence[tuple[torch.Tensor, int | Sequence[int]]]) -> Batch:
    """[(frames (T_i, F), class id or label sequence)] -> one padded batch."""
    lengths = torch.tensor([len(f) for f, _ in examples], dtype=torch.long)
    x = torch.nn.utils.rnn.pad_sequence([f for f, _ in examples], batch_first=True)
    targets = [t for _, t in examples]
    if isinstance(targets[0], int):
        y = torch.tensor(targets, dtype=torch.long)
    else:
        y = torch.nn.utils.rnn.pad_sequence([torch.tensor(t, dtype=torch.long) for t in targets],
                                            batch_first=True)
    return Batch(Frames(x, lengths), y, False)


def length_sorted(lengths: Sequence[int], batch_size: int, g: torch.Generator,
                  pool: int = 50) -> list[list[int]]:
    """Shuffled batches of indices of similar lengths: shuffle, sort pools of ``pool``
    batches by length, cut, shuffle the batch order."""
    perm = torch.randperm(len(lengths), generator=g).tolist()
    batches = []
    for p in range(0, len(perm), batch_size * pool):
        chunk = sorted(perm[p:p + batch_size * pool], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]


class FrameBatches:
    """Batches of fixed examples [(frames (T, F) tensor, target)]; shuffled per (seed, epoch)
    in length-sorted pools, or in order with ``shuffle=False``."""

    bptt = "full"

    def __init__(self, examples: list, batch_size: int, seed: int = 0, shuffle: bool = True):
        if not examples:
            raise bad("data", "at least one recording", "none")
        self.examples, self.batch_size = examples, batch_size
        self.seed, self.shuffle = seed, shuffle
        self.seq_len = max(len(f) for f, _ in examples)

    def __len__(self) -> int:
        return -(-len(self.examples) // self.batch_size)

    def order(self, epoch: int) -> list[list[int]]:
        n, B = len(self.examples), self.batch_size
        if not self.shuffle:
            return [list(range(i, min(i + B, n))) for i in range(0, n, B)]
        return length_sorted([len(f) for f, _ in self.examples], B,
                             epoch_generator(self.seed, epoch))

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        for indices in self.order(epoch)[start:]:
            yield collate([self.examples[i] for i in indices])
