"""Hearing piano rolls: MIDI files (``midi``) and a WAV rendering by additive synthesis
(``synth``)."""

from .midi import read_midi, roll_to_midi, write_midi
from .synth import render, wav_bytes, write_wav

__all__ = ["read_midi", "render", "roll_to_midi", "wav_bytes", "write_midi",
           "write_wav"]
