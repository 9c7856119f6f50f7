"""What the spoken-digit tasks (digits, digit-sequences) share: reading a folder of
recordings (``elman.data.audio``), the speaker-stratified split (or a --valid folder), the
features and their normalisation (``elman.data.features``), the checkpoint record, and
decoding one WAV file for ``elman transcribe``.

Features are cached in memory per (file, settings), so a process that trains several models
on one folder (the benchmark) transforms each file once.
"""

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from ..data import audio
from ..data.features import FeatureSettings, Normaliser, features
from ..errors import bad

if TYPE_CHECKING:
    from ..training.config import TrainConfig

_FRAMES: dict[tuple, np.ndarray] = {}


def cached_frames(path: Path, s: FeatureSettings) -> np.ndarray:
    """The (unnormalised) frames (T, F) of a file, computed once per process."""
    st = audio.existing(path).stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, s)
    if key not in _FRAMES:
        wave = audio.read_wav(path, s.sample_rate)
        if len(wave) < s.window:
            raise bad("wav", f"at least one analysis window ({s.window} samples at "
                      f"{s.sample_rate} Hz)", f"{str(path)!r} with {len(wave)}")
        _FRAMES[key] = features(wave, s)
    return _FRAMES[key]


class SpeechTask:
    """The shared constructor: ``self.train`` and ``self.valid`` (lists of Recording), their
    waves or frames on demand, ``self.normaliser``; the subclass's ``setup()`` makes batches.
    A subclass sets ``name`` and provides ``setup`` (and ``check``, ``restore``)."""

    def __init__(self, train: "TrainConfig", vocab=None, meta: dict | None = None):
        if train.data is None:
            raise bad("data", f"a folder of WAV files (--data DIR) for the {train.task} task",
                      "none")
        self.cfg, self.vocab, self.source = train, None, train.data
        self.settings = FeatureSettings.of(train)
        found = audio.list_recordings(train.data)
        if train.valid is not None:
            self.train, self.valid = found, audio.list_recordings(train.valid)
        else:
            kept, held = audio.split(found, train.valid_fraction, train.split_seed)
            self.train, self.valid = [found[i] for i in kept], [found[i] for i in held]
        for r in self.train + self.valid:
            self.check(r)
        self.fingerprint = fingerprint(self.train + self.valid)
        self.normaliser = Normaliser.from_dict(meta["normaliser"]) if meta else \
            Normaliser.fit([self.raw_frames(r.path) for r in self.train])
        self.setup(meta)

    def check(self, r: audio.Recording):
        """Refuse a recording this task cannot learn from (the subclass says)."""

    def setup(self, meta: dict | None):
        raise NotImplementedError

    def raw_frames(self, path) -> np.ndarray:
        return cached_frames(Path(path), self.settings)

    def frames(self, path) -> torch.Tensor:
        """Normalised frames (T, F) of a WAV file."""
        return self.normaliser(self.raw_frames(path))

    def wave_frames(self, wave: np.ndarray) -> torch.Tensor:
        """Normalised frames (T, F) of a wave (N,) at the settings' sample rate."""
        return self.normaliser(features(wave, self.settings))

    def meta(self) -> dict:
        return {"features": self.settings.to_dict(), "normaliser": self.normaliser.to_dict()}

    def describe_data(self, what: str) -> str:
        s = self.settings
        speakers = len({r.speaker for r in self.train + self.valid})
        return (f"data: {self.source!r}, {len(self.train):,} train and {len(self.valid):,} valid "
                f"recordings of {speakers} speakers{what}; {s.kind} features ({s.size} per "
                f"frame, {s.hop_ms:g} ms hop, {s.window_ms:g} ms window, {s.sample_rate} Hz)")

    @classmethod
    def from_checkpoint(cls, ck, train: "TrainConfig"):
        """The task of a trained model, for transcribe and eval with --data (reads no data)."""
        task = cls.__new__(cls)
        task.cfg, task.vocab, task.source = train, None, train.data
        try:
            task.settings = FeatureSettings(**ck.meta["features"])
            task.normaliser = Normaliser.from_dict(ck.meta["normaliser"])
            task.restore(ck.meta)
        except (KeyError, TypeError) as e:
            raise bad("checkpoint", "a task.json with the feature settings and normaliser "
                      "(and the labels of a classifier)", f"{type(e).__name__}: {e}") from None
        return task

    def restore(self, meta: dict):
        """Read what else the subclass keeps in task.json."""


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


def recordings_of(folder, check) -> list[audio.Recording]:
    """The recordings of a folder to score, each checked by the task."""
    found = audio.list_recordings(folder)
    for r in found:
        check(r)
    return found
