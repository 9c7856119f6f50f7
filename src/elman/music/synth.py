"""A piano roll rendered as sound: additive synthesis with NumPy, written with soundfile.

Every held note is a sum of its first harmonics (amplitudes 1, 1/2, 1/4, 1/8) at
f = 440 * 2 ** ((pitch - 69) / 12) Hz, shaped by a short attack and an exponential decay, with
a release ramp at its end so notes do not click; the mix is scaled to a peak of 0.9.
"""

import io

import numpy as np
import torch

from ..data.music import KEYS, LOWEST
from ..errors import bad
from ..extras import require
from ..io.atomic import write_bytes

HARMONICS = (1.0, 0.5, 0.25, 0.125)
ATTACK, RELEASE, DECAY = 0.01, 0.03, 1.5      # seconds; DECAY: time constant of the fade


def notes(roll: torch.Tensor) -> list[tuple[int, int, int]]:
    """(pitch, first step, end step) of every held note of a (T, 88) roll."""
    on = torch.cat([torch.zeros(1, KEYS), (roll > 0.5).float(), torch.zeros(1, KEYS)])
    change = on[1:] - on[:-1]
    out = []
    for k in range(KEYS):
        starts = torch.nonzero(change[:, k] > 0).flatten().tolist()
        stops = torch.nonzero(change[:, k] < 0).flatten().tolist()
        out += [(k + LOWEST, a, b) for a, b in zip(starts, stops)]
    return out


def tone(pitch: int, seconds: float, rate: int) -> np.ndarray:
    """One note (n,) float64: harmonics under an attack-decay-release envelope."""
    t = np.arange(int(seconds * rate)) / rate
    f = 440.0 * 2.0 ** ((pitch - 69) / 12)
    wave = sum(a * np.sin(2 * np.pi * f * (i + 1) * t) for i, a in enumerate(HARMONICS)
               if f * (i + 1) < rate / 2)
    envelope = np.minimum(1.0, t / ATTACK) * np.exp(-t / DECAY) * \
        np.clip((seconds - t) / RELEASE, 0.0, 1.0)
    return wave * envelope


def render(roll: torch.Tensor, tempo: float = 100.0, rate: int = 22050) -> np.ndarray:
    """(T, 88) roll -> mono samples (T * 60 / tempo * rate,) float32 in [-0.9, 0.9]."""
    if roll.dim() != 2 or roll.shape[1] != KEYS:
        raise bad("roll", f"a (T, {KEYS}) piano roll", tuple(roll.shape))
    if not tempo > 0:
        raise bad("tempo", "beats per minute > 0", tempo)
    beat = 60.0 / tempo
    audio = np.zeros(int(round(roll.shape[0] * beat * rate)))
    for pitch, a, b in notes(roll):
        start = int(round(a * beat * rate))
        sound = tone(pitch, (b - a) * beat, rate)[:len(audio) - start]
        audio[start:start + len(sound)] += sound
    peak = np.abs(audio).max()
    return (audio * (0.9 / peak if peak > 0 else 1.0)).astype(np.float32)


def wav_bytes(roll: torch.Tensor, tempo: float = 100.0, rate: int = 22050) -> bytes:
    """A roll rendered as the bytes of a 16-bit mono WAV file."""
    soundfile = require("soundfile", "music")
    buf = io.BytesIO()
    soundfile.write(buf, render(roll, tempo, rate), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def write_wav(path, roll: torch.Tensor, tempo: float = 100.0, rate: int = 22050) -> None:
    """Render a roll and write it as a 16-bit mono WAV file, atomically."""
    write_bytes(path, wav_bytes(roll, tempo, rate))
