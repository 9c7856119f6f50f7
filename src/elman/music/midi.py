"""Piano rolls (T, 88) to and from standard MIDI files, with mido.

Each step lasts one beat at ``tempo`` beats per minute (a quarter note, the resolution of the
JSB Chorales). A key that stays on across consecutive steps is one held note: note_on where
it starts, note_off where it stops; all on one track and channel, velocity ``velocity``.
"""

import io
from typing import TYPE_CHECKING

import torch

from ..data.music import KEYS, LOWEST
from ..errors import bad
from ..extras import require
from ..io.atomic import write_bytes

if TYPE_CHECKING:
    import mido

TICKS_PER_BEAT = 480


def roll_to_midi(roll: torch.Tensor, tempo: float = 100.0, velocity: int = 80,
                 program: int = 0) -> "mido.MidiFile":
    """(T, 88) binary roll -> a one-track MidiFile (``program``: General MIDI instrument)."""
    mido = require("mido")
    if roll.dim() != 2 or roll.shape[1] != KEYS:
        raise bad("roll", f"a (T, {KEYS}) piano roll", tuple(roll.shape))
    if not tempo > 0:
        raise bad("tempo", "beats per minute > 0", tempo)
    on = torch.cat([torch.zeros(1, KEYS), (roll > 0.5).float(), torch.zeros(1, KEYS)])
    change = on[1:] - on[:-1]                                   # (T + 1, 88): +1 start, -1 stop
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo)),
                            mido.Message("program_change", program=program, time=0)])
    last = 0
    for t in range(change.shape[0]):
        events = sorted(((int(k), int(change[t, k])) for k in torch.nonzero(change[t]).flatten()),
                        key=lambda e: e[1])                      # stops before starts
        for k, kind in events:
            kind_name = "note_on" if kind > 0 else "note_off"
            track.append(mido.Message(kind_name, note=k + LOWEST, velocity=velocity,
                                      time=(t - last) * TICKS_PER_BEAT))
            last = t
    track.append(mido.MetaMessage("end_of_track", time=(change.shape[0] - 1 - last) *
                                  TICKS_PER_BEAT))
    return mido.MidiFile(tracks=[track], ticks_per_beat=TICKS_PER_BEAT)


def write_midi(path, roll: torch.Tensor, tempo: float = 100.0) -> None:
    """Write a roll as a .mid file, atomically."""
    buf = io.BytesIO()
    roll_to_midi(roll, tempo).save(file=buf)
    write_bytes(path, buf.getvalue())


def read_midi(path) -> torch.Tensor:
    """A .mid file -> (T, 88) roll, one step per beat (notes outside the piano are an error)."""
    mido = require("mido")
    try:
        mid = mido.MidiFile(path)
    except (OSError, EOFError, ValueError) as e:
        raise bad("midi", "a standard MIDI file", f"{str(path)!r}: {e}") from None
    notes, now, sounding = [], 0, {}
    for msg in mido.merge_tracks(mid.tracks):
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            sounding[msg.note] = now
        elif msg.type in ("note_on", "note_off") and msg.note in sounding:
            notes.append((msg.note, sounding.pop(msg.note), now))
    steps = -(-now // mid.ticks_per_beat)
    roll = torch.zeros(steps, KEYS)
    for note, start, stop in notes:
        if not LOWEST <= note < LOWEST + KEYS:
            raise bad("midi", f"notes {LOWEST}..{LOWEST + KEYS - 1}", f"note {note}")
        roll[start // mid.ticks_per_beat:stop // mid.ticks_per_beat, note - LOWEST] = 1.0
    return roll
