"""Spoken-digit recordings: WAV files named ``{digits}_{speaker}_{index}.wav``, as in the Free
Spoken Digit Dataset (FSDD), where ``digits`` is one digit ("7_theo_12.wav"), or a digit
string for a recording of several digits ("471_theo_3.wav", what ``elman eval`` of a
digit-sequences run can score).

Reading (``read_wav``): any sample rate and channel count soundfile reads. Several channels are
mixed down to their mean; another sample rate is resampled (librosa, soxr) to the rate asked
for. A file soundfile cannot read, an empty one or one with NaN or infinite samples (a float
WAV) is an error naming the file.

The validation split (``split``) is stratified by speaker and digit: from every (speaker,
digits) group of n >= 2 recordings a seeded max(1, round(fraction * n)) of them is held out,
so every speaker says every digit in both parts (FSDD: 4 of the 45 recordings of each of the
60 groups, 240 of 2,700).

An utterance of several digits (``join``) is recordings in a row with a random pause of
0..GAP_S seconds of faint noise before, between and after them.
"""

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ..errors import bad
from ..extras import require

NAME = re.compile(r"(?P<digits>[0-9]+)_(?P<speaker>[^_]+)_(?P<index>[0-9]+)")
GAP_S = 0.15           # longest pause between joined recordings
NOISE = 3e-4           # the pause's noise amplitude (a silent room, not digital zero)


class Recording(NamedTuple):
    path: Path
    digits: str          # "7", or "471" for a recording of several digits
    speaker: str
    index: int


def parse_name(path) -> Recording:
    """A Recording from a file name ``{digits}_{speaker}_{index}.wav``."""
    path = Path(path)
    m = NAME.fullmatch(path.stem)
    if m is None or path.suffix.lower() != ".wav":
        raise bad("data", "WAV files named {digits}_{speaker}_{index}.wav such as "
                  "7_theo_12.wav", repr(path.name))
    return Recording(path, m["digits"], m["speaker"], int(m["index"]))


def list_recordings(folder) -> list[Recording]:
    """The recordings of a folder (its *.wav files, sorted by name)."""
    d = Path(folder)
    if not d.is_dir():
        raise bad("data", "a folder of WAV files (--data DIR)", repr(str(folder)))
    found = [parse_name(p) for p in sorted(d.iterdir(), key=lambda p: p.name)
             if p.suffix.lower() == ".wav"]
    if not found:
        raise bad("data", "WAV files in the folder", f"none in {str(d)!r}")
    return found


def existing(path) -> Path:
    """``path`` as a Path, if it is a file."""
    if not Path(path).is_file():
        raise bad("wav", "an existing WAV file", repr(str(path)))
    return Path(path)


def read_wav(path, sample_rate: int) -> np.ndarray:
    """Samples (N,) float32 in [-1, 1] at ``sample_rate``: mixed down to mono, resampled."""
    return decode_wav(str(existing(path)), sample_rate, repr(str(path)))


def wav_bytes(data: bytes, sample_rate: int, name: str) -> np.ndarray:
    """The samples of a WAV file's bytes (e.g. an upload called ``name``), as ``read_wav``."""
    return decode_wav(io.BytesIO(data), sample_rate, name)


def decode_wav(source, sample_rate: int, name: str) -> np.ndarray:
    soundfile = require("soundfile")
    try:
        wave, rate = soundfile.read(source, dtype="float32", always_2d=True)     # (N, C)
    except (RuntimeError, soundfile.LibsndfileError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise bad("wav", "a readable WAV file", f"{name} ({first})") from None
    if wave.shape[0] == 0:
        raise bad("wav", "a WAV file with samples", f"{name} with none")
    if not np.isfinite(wave).all():
        raise bad("wav", "finite samples", f"NaN or infinity in {name}")
    wave = wave.mean(axis=1)
    if rate != sample_rate:
        wave = require("librosa").resample(wave, orig_sr=rate, target_sr=sample_rate)
    return np.ascontiguousarray(wave, dtype=np.float32)


def split(recordings: Sequence[Recording], fraction: float,
          seed: int) -> tuple[list[int], list[int]]:
    """(train, valid) positions: a seeded share of each (speaker, digits) group held out."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(recordings):
        groups.setdefault((r.speaker, r.digits), []).append(i)
    g = torch.Generator().manual_seed(seed)
    held = set()
    for key in sorted(groups):
        members = groups[key]
        if fraction == 0 or len(members) < 2:
            continue
        k = max(1, round(fraction * len(members)))
        held.update(members[i] for i in torch.randperm(len(members), generator=g)[:k].tolist())
    return ([i for i in range(len(recordings)) if i not in held],
            [i for i in range(len(recordings)) if i in held])


def join(waves: Sequence[np.ndarray], sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """One utterance (N,) of several recordings, with a random pause of 0..GAP_S seconds of
    faint noise before, between and after them."""
    parts = []
    for wave in waves:
        parts += [pause(sample_rate, rng), wave]
    parts.append(pause(sample_rate, rng))
    return np.concatenate(parts).astype(np.float32)


def pause(sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(0, int(GAP_S * sample_rate) + 1))
    return (NOISE * rng.standard_normal(n)).astype(np.float32)
