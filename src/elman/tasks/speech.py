"""What the spoken-digit tasks (digits, digit-sequences) share: their options (the features),
reading a folder of recordings (``elman.data.audio``), the speaker-stratified split (or a
--valid folder), the features and their normalisation (``elman.data.features``), the
checkpoint record, and the frames of one WAV file or wave for ``predict`` and ``elman
transcribe``.

Features are cached in memory per (file, settings), so a process that trains several models
on one folder (the benchmark) transforms each file once.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from ..data import audio
from ..data.features import FeatureSettings, Normaliser, features
from ..errors import bad
from ..options import opt, parse_choice, parse_fraction, parse_positive, parse_positive_int
from .base import Task, flag

if TYPE_CHECKING:
    from ..training.config import TrainConfig

_FRAMES: dict[tuple, np.ndarray] = {}


@dataclass
class SpeechOptions:
    """Settings of the spoken-digit tasks."""

    features: str = opt("logmel", parse_choice(("logmel", "mfcc")),
                        "log-mel spectrum or MFCCs per frame")
    sample_rate: int = opt(8000, parse_positive_int, "samples per second the WAVs are read at "
                           "(others are resampled)")
    n_mels: int = opt(40, parse_positive_int, "mel filters")
    n_mfcc: int = opt(13, parse_positive_int, "cepstral coefficients (features=mfcc)")
    hop_ms: float = opt(10.0, parse_positive, "milliseconds between frames")
    window_ms: float = opt(25.0, parse_positive, "milliseconds per analysis window")
    embed_dropout: float = opt(0.0, parse_fraction, "dropout on the input frames")


def cached_frames(path: Path, s: FeatureSettings) -> np.ndarray:
    """The (unnormalised) frames (T, F) of a file, computed once per process."""
    st = audio.existing(path).stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, s)
    if key not in _FRAMES:
        wave = audio.read_wav(path, s.sample_rate)
        _FRAMES[key] = wave_features(wave, s, repr(str(path)))
    return _FRAMES[key]


def wave_features(wave: np.ndarray, s: FeatureSettings, name: str = "a wave") -> np.ndarray:
    """The (unnormalised) frames (T, F) of a wave (N,), refused when shorter than a window."""
    if len(wave) < s.window:
        raise bad("wav", f"at least one analysis window ({s.window} samples at "
                  f"{s.sample_rate} Hz)", f"{name} with {len(wave)}")
    return features(wave, s)


FILE = flag("file", metavar="FILE.wav", help="the recording")


class SpeechTask(Task):
    """The shared part: ``load`` (a folder of WAVs -> checked Recordings), ``setup`` (the
    split into ``self.train`` and ``self.valid``, the normaliser fitted on the training
    frames), the frames of files and waves, and the checkpoint record (feature settings,
    normaliser and what the subclass adds). A subclass sets ``name``, ``Options`` and
    ``commands`` and provides ``check``, ``restore``, ``fit`` and ``make_batches``."""

    Options = SpeechOptions
    train = valid = None               # the recordings of each part, set by setup()

    def __init__(self, options, *, vocab=None, meta: dict | None = None):
        super().__init__(options, vocab=None, meta=meta)
        self.normaliser = None
        if not meta:
            self.settings = FeatureSettings.of(options)
            return
        try:
            self.settings = FeatureSettings(**meta["features"])
            self.normaliser = Normaliser.from_dict(meta["normaliser"])
            self.restore(meta)
        except (KeyError, TypeError) as e:
            raise bad("checkpoint", "a task.json with the feature settings and normaliser "
                      "(and the labels of a classifier)", f"{type(e).__name__}: {e}") from None

    # --- data ------------------------------------------------------------------------------

    def load(self, path) -> list[audio.Recording]:
        """The recordings of a folder of WAV files, each checked by the task."""
        if path is None:
            raise bad("data", f"a folder of WAV files (--data DIR) for the {self.name} task",
                      "none")
        found = audio.list_recordings(path)
        for r in found:
            self.check(r)
        return found

    def setup(self, train: "TrainConfig"):
        found = self.load(train.data)
        self.source = train.data
        if train.valid is not None:
            self.train, self.valid = found, self.load(train.valid)
        else:
            kept, held = audio.split(found, train.valid_fraction, train.split_seed)
            self.train, self.valid = [found[i] for i in kept], [found[i] for i in held]
        self.fingerprint = fingerprint(self.train + self.valid)
        if self.normaliser is None:
            self.normaliser = Normaliser.fit([self.raw_frames(r.path) for r in self.train])
        self.fit()
        self.make_batches(train)

    def check(self, r: audio.Recording):
        """Refuse a recording this task cannot learn from (the subclass says)."""

    def restore(self, meta: dict):
        """Read what else the subclass keeps in task.json."""

    def fit(self):
        """Learn from ``self.train`` what a checkpoint did not restore (the subclass says)."""

    def make_batches(self, train: "TrainConfig"):
        raise NotImplementedError

    def raw_frames(self, path) -> np.ndarray:
        return cached_frames(Path(path), self.settings)

    def frames(self, path) -> torch.Tensor:
        """Normalised frames (T, F) of a WAV file."""
        return self.normaliser(self.raw_frames(path))

    def wave_frames(self, wave: np.ndarray) -> torch.Tensor:
        """Normalised frames (T, F) of a wave (N,) at the settings' sample rate."""
        return self.normaliser(features(wave, self.settings))

    def predict_wavs(self, models: list, files: list, **params) -> list:
        """``predict`` of WAV files' bytes (e.g. HTTP uploads), never of paths."""
        if not all(isinstance(f, bytes) for f in files):
            raise bad("file", "WAV files' bytes", ", ".join(type(f).__name__ for f in files))
        waves = [audio.wav_bytes(data, self.settings.sample_rate, f"file[{i}]")
                 for i, data in enumerate(files)]
        return self.predict(models, waves, **params)

    def input_frames(self, item) -> torch.Tensor:
        """Normalised frames (T, F) of a ``predict`` input: a WAV file's path, or a wave (a
        1-D array or list of floats at the run's sample rate)."""
        if isinstance(item, (str, Path)):
            return self.frames(item)
        wave = np.asarray(item, dtype=np.float32)
        if wave.ndim != 1 or not np.isfinite(wave).all():
            raise bad("wave", f"a path or a 1-D array of finite samples at "
                      f"{self.settings.sample_rate} Hz", f"shape {wave.shape}" if wave.ndim != 1
                      else "NaN or infinity")
        return self.normaliser(wave_features(wave, self.settings))

    # --- records ---------------------------------------------------------------------------

    def meta(self) -> dict:
        return {"features": self.settings.to_dict(), "normaliser": self.normaliser.to_dict()}

    def frames_usage(self) -> str:
        """How a caller makes the model's inputs from recordings (export.json's usage)."""
        return ("x (B, T, F): each recording's frames as elman.data.features computes them "
                "with task.json's features (read at their sample_rate, mono), minus the "
                "normaliser's mean, over its std; 0-padded; lengths (B,): frames per recording")

    def describe_data(self, what: str) -> str:
        s = self.settings
        speakers = len({r.speaker for r in self.train + self.valid})
        return (f"data: {self.source!r}, {len(self.train):,} train and {len(self.valid):,} valid "
                f"recordings of {speakers} speakers{what}; {s.kind} features ({s.size} per "
                f"frame, {s.hop_ms:g} ms hop, {s.window_ms:g} ms window, {s.sample_rate} Hz)")


class evaluating:
    """``with evaluating(model) as device:``: eval mode inside, the old mode restored after."""

    def __init__(self, model: nn.Module):
        self.model = model

    def __enter__(self) -> torch.device:
        self.was_training = self.model.training
        self.model.eval()
        return next(self.model.parameters()).device

    def __exit__(self, *exc):
        self.model.train(self.was_training)
        return False


def fingerprint(recordings) -> str:
    """sha256 of the files' names and bytes (a resumed run must see the same recordings)."""
    digest = hashlib.sha256()
    for r in recordings:
        digest.update(r.path.name.encode("utf-8") + r.path.read_bytes())
    return digest.hexdigest()
