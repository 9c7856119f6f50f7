"""The music task: the piano-roll reader, the NLL and frame-accuracy metrics against hand
computations, overfitting a handful of chords, MIDI and WAV output, the CLI and its errors."""

import json
import math
from pathlib import Path

import mido
import pytest
import soundfile
import torch
from torch import nn

from elman.cli import main
from elman.data.music import KEYS, FrameBatches, chunks, piano_roll, pitches, read_pieces
from elman.errors import ElmanError
from elman.music import read_midi, render, roll_to_midi, write_midi, write_wav
from elman.tasks.music import MusicTask, evaluate, frame_accuracy, frame_counts, generate
from elman.training import resolve, train

JSB = Path(__file__).resolve().parents[2] / "shared/data/jsb_chorales/train.json"
C, F, G, AM = [48, 60, 64, 67], [53, 60, 65, 69], [55, 62, 67, 71], [57, 60, 64, 69]
TUNE = [C, F, G, C, AM, F, G, C]          # a cadence, repeated: every next chord is predictable
TINY = dict(task="music", hidden_sizes=[32], dropout=0.0, batch_size=4, seq_len=16,
            eval_every=40, max_minutes=None, quiet=True, lr=0.02)


@pytest.fixture(scope="module")
def pieces(tmp_path_factory):
    folder = tmp_path_factory.mktemp("music")
    train_file, valid_file = folder / "train.json", folder / "valid.json"
    train_file.write_text(json.dumps([TUNE * 3, TUNE * 2 + [[]], TUNE[2:] * 2, TUNE * 4]))
    valid_file.write_text(json.dumps([TUNE * 2, TUNE[4:] + TUNE]))
    return train_file, valid_file


@pytest.fixture(scope="module")
def trained(pieces, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "music"
    values = {**TINY, "data": str(pieces[0]), "valid": str(pieces[1]), "max_steps": 80,
              "out": str(out)}
    return train(resolve(None, values), log=lambda *a: None)


# --- reading ------------------------------------------------------------------------------


def test_piano_roll_puts_pitch_p_at_key_p_minus_21():
    roll = piano_roll([[21, 60], [], [108]])
    assert roll.shape == (3, KEYS) and roll.sum() == 3
    assert roll[0, 0] == roll[0, 39] == roll[2, 87] == 1
    assert pitches(roll[0]) == [21, 60] and pitches(roll[1]) == []


@pytest.mark.parametrize("pitch", [20, 109, 60.0, "60", True])
def test_pitches_outside_the_piano_are_errors_naming_the_step(pitch):
    with pytest.raises(ElmanError, match=r"data: expected MIDI pitches 21\.\.108 .* step 1"):
        piano_roll([[60], [64, pitch]], "piece 3")


def test_malformed_files_are_errors(tmp_path):
    for text, match in (("{", "a UTF-8 JSON file"), ("{}", "a non-empty JSON list of pieces"),
                        ("[[[60]]]", "at least 2 time steps"), ("[[[60], 61]]", "a list of MIDI "
                                                                "pitches at every step")):
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(ElmanError, match=match):
            read_pieces(tmp_path / "bad.json")
    with pytest.raises(ElmanError, match="an existing JSON file"):
        read_pieces(tmp_path / "missing.json")


def test_chunks_predict_every_step_once():
    roll = piano_roll(TUNE * 5)                                     # 40 frames, 39 predictions
    cut = chunks(roll, 16)
    assert [len(c) for c in cut] == [17, 17, 8]
    assert torch.equal(torch.cat([cut[0], cut[1][1:], cut[2][1:]]), roll)


def test_batches_pair_each_frame_with_the_next(pieces):
    rolls = read_pieces(pieces[0])
    batch = next(FrameBatches(rolls, 8, 100, shuffle=False).epoch(0))
    x, y = batch.x, batch.y
    first = min(rolls, key=len)
    assert x.lengths.tolist() == sorted(len(r) - 1 for r in rolls)
    assert torch.equal(x.frames[0, :len(first) - 1], first[:-1])
    assert torch.equal(y[0, :len(first) - 1], first[1:])
    assert y[0, len(first) - 1:].sum() == 0                          # padding


def test_reads_the_real_jsb_chorales():
    if not JSB.exists():
        pytest.skip("shared JSB Chorales data not present")
    rolls = read_pieces(JSB)
    assert len(rolls) == 229 and sum(len(r) for r in rolls) == 13_807
    on = torch.cat(rolls).sum(0).nonzero().flatten()
    assert int(on.min()) + 21 == 43 and int(on.max()) + 21 == 96


# --- metrics ------------------------------------------------------------------------------


class Constant(nn.Module):
    """Logit l for every key at every step."""

    def __init__(self, logit: float):
        super().__init__()
        self.logit = nn.Parameter(torch.tensor(logit))

    def forward(self, frames, lengths=None):
        return self.logit.expand(frames.shape)


def test_nll_per_step_is_the_summed_binary_cross_entropy_averaged_over_steps():
    l = 0.7
    rolls = [piano_roll([[60], [60, 64], []]), piano_roll([[], [62, 65, 69], [70], [71]])]
    # predicted frames (notes on): [2, 0] and [3, 1, 1]; 5 steps in all
    on, off = math.log1p(math.exp(-l)), math.log1p(math.exp(l))     # -log p, -log(1 - p)
    hand = sum(m * on + (KEYS - m) * off for m in (2, 0, 3, 1, 1)) / 5
    result = evaluate(Constant(l), FrameBatches(rolls, 2, 10, shuffle=False))
    assert result["steps"] == 5
    assert result["nll"] == pytest.approx(hand, rel=1e-6)


def test_frame_accuracy_counts_true_false_positives_and_misses():
    logits = torch.full((1, 3, KEYS), -5.0)
    y = torch.zeros(1, 3, KEYS)
    logits[0, 0, [39, 43]] = 5.0                   # predicts C4, E4; truth C4, G4
    y[0, 0, [39, 46]] = 1.0
    y[0, 1, 41] = 1.0                              # a missed D4, nothing predicted
    logits[0, 2, 50] = 5.0                         # a padded step: not counted
    tp, fp, fn = frame_counts(logits, y, torch.tensor([2])).tolist()
    assert (tp, fp, fn) == (1, 1, 2)
    assert frame_accuracy(tp, fp, fn) == pytest.approx(1 / 4)
    assert frame_accuracy(0, 0, 0) == 1.0


# --- training and generation --------------------------------------------------------------


def test_a_model_overfits_a_handful_of_chords(trained):
    first = trained.task.evaluate(MusicTask.build_model(trained.task, resolve().model))
    assert first["nll"] > 40                       # about 88 ln 2 = 61 at the start
    assert trained.valid["nll"] < 3.0 and trained.valid["accuracy"] > 0.8


def test_generate_samples_a_repeatable_piece_from_an_opening(trained):
    a = generate(trained.model, C, 12, temperature=0.5, seed=3)
    b = generate(trained.model, C, 12, temperature=0.5, seed=3)
    assert a.shape == (12, KEYS) and torch.equal(a, b)
    assert pitches(a[0]) == C and set(a.unique().tolist()) <= {0.0, 1.0}
    assert pitches(a[1]) == F                      # the learned next chord
    with pytest.raises(ElmanError, match="length: expected an int >= 1"):
        generate(trained.model, C, 0)


def test_midi_round_trip_keeps_held_notes_and_silences(tmp_path):
    roll = piano_roll([[], [60, 64], [60, 65], [], [108, 21], [21]])
    write_midi(tmp_path / "a.mid", roll, tempo=90)
    mid = mido.MidiFile(tmp_path / "a.mid")
    ons = [m.note for m in mid.tracks[0] if m.type == "note_on"]
    assert sorted(ons) == [21, 60, 64, 65, 108]    # C4 and A0 held, not struck again
    assert mido.tempo2bpm(next(m.tempo for m in mid.tracks[0] if m.type == "set_tempo")) == \
        pytest.approx(90)
    assert torch.equal(read_midi(tmp_path / "a.mid"), roll)
    with pytest.raises(ElmanError, match="roll: expected a"):
        roll_to_midi(torch.zeros(3, 12))


def test_wav_rendering_lasts_one_beat_per_step(tmp_path):
    roll = piano_roll([C, C, F, []])
    write_wav(tmp_path / "a.wav", roll, tempo=120, rate=8000)
    audio, rate = soundfile.read(tmp_path / "a.wav")
    assert rate == 8000 and audio.shape == (4 * 4000,)
    assert 0.8 < abs(audio).max() <= 0.9 + 1e-3
    assert abs(audio[-200:]).max() < 1e-3          # the silent last beat
    assert render(torch.zeros(2, KEYS), 60, 100).max() == 0


# --- command line -------------------------------------------------------------------------


def test_cli_train_eval_generate(pieces, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--task", "music", "--data", str(pieces[0]), "--valid",
                 str(pieces[1]), "--out", str(out), "--max-steps", "4", "--eval-every", "2",
                 "--hidden-sizes", "8", "--batch-size", "2", "--quiet"]) == 0
    assert "valid NLL: " in capsys.readouterr().out
    assert not (out / "best" / "vocab.json").exists()
    assert main(["eval", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"scored: the validation file {pieces[1]} (it picked best/)"
    assert lines[1].startswith("NLL: ") and lines[2].startswith("frame accuracy: ")
    assert main(["eval", str(out), "--data", str(pieces[0])]) == 0
    held = tmp_path / "held"                       # no --valid: a fraction of the pieces
    assert main(["train", "--task", "music", "--data", str(pieces[0]), "--valid-fraction",
                 "0.3", "--out", str(held), "--max-steps", "1", "--hidden-sizes", "4",
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(held)]) == 0
    assert "time steps: 23" in capsys.readouterr().out
    assert main(["generate", str(out), "--length", "8", "--out", str(tmp_path / "s.mid"),
                 "--seed", "1"]) == 0
    assert "wrote " in capsys.readouterr().out
    assert len(read_midi(tmp_path / "s.mid")) <= 8
    assert soundfile.info(str(tmp_path / "s.wav")).frames > 0


def test_cli_errors_are_one_line(pieces, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([[[60], [64, 120]]]))
    assert main(["train", "--task", "music", "--data", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MIDI pitches 21..108" in err and "120" in err
    assert main(["train", "--task", "music", "--quiet"]) == 2
    assert "a JSON file of pieces" in capsys.readouterr().err


def test_resume_a_music_run(pieces, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--task", "music", "--data", str(pieces[0]), "--out", str(out),
                 "--max-steps", "2", "--eval-every", "1", "--hidden-sizes", "8",
                 "--batch-size", "2", "--quiet"]) == 0
    assert main(["train", "--resume", str(out), "--max-steps", "4"]) == 0
    assert "(resumed at step 2)" in capsys.readouterr().out


# --- eval --data, eval --json, predict ----------------------------------------------------


def test_eval_data_and_json(trained, pieces, capsys):
    assert main(["eval", str(trained.run), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    metrics = json.loads(out)
    assert set(metrics) == {"loss", "nll", "accuracy", "steps", "split"}
    assert metrics["split"] == "valid"
    assert metrics["nll"] == pytest.approx(trained.valid["nll"])
    assert metrics["accuracy"] == pytest.approx(trained.valid["accuracy"])
    assert metrics["steps"] == trained.valid["steps"] == 26
    assert main(["eval", str(trained.run), "--data", str(pieces[0]), "--json"]) == 0
    other = json.loads(capsys.readouterr().out)
    hand = evaluate(trained.model, FrameBatches(read_pieces(pieces[0]), 4, 16, shuffle=False))
    assert other["steps"] == 23 + 16 + 11 + 31     # every piece's frames but its first
    assert other["nll"] == pytest.approx(hand["nll"])
    assert other["accuracy"] == pytest.approx(hand["accuracy"])
    assert main(["eval", str(trained.run), "--data", str(pieces[0])]) == 0
    assert capsys.readouterr().out.splitlines()[3] == "time steps: 81"


def test_predict_plays_as_the_generate_command(trained, tmp_path, capsys):
    from elman.io import checkpoint
    from elman.tasks import get_task
    from elman.training.config import from_dict
    ck = checkpoint.load(trained.run)
    task = get_task("music")(from_dict(ck.config).options, meta=ck.meta)   # reads no data
    assert main(["generate", str(trained.run), "--length", "12", "--seed", "5",
                 "--temperature", "0.9", "--out", str(tmp_path / "g.mid")]) == 0
    opening = json.loads(capsys.readouterr().out.split("opening chord ")[1])
    assert opening in task.openings
    answer = task.predict([ck.model], [opening], length=12, temperature=0.9, seed=5)
    assert json.loads(json.dumps(answer)) == answer
    assert len(answer) == 1 and len(answer[0]) == 12 and answer[0][0] == opening
    played = read_midi(tmp_path / "g.mid")         # a silent end is not written
    roll = piano_roll(answer[0])
    assert torch.equal(played, roll[:len(played)]) and roll[len(played):].sum() == 0
