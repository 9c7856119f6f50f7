"""Spoken digits end to end on synthetic recordings made here: each "digit" a chirp starting at
its own frequency, said by two "speakers". File names, the speaker-stratified split, reading
(mix-down, resampling, corrupt files), feature shapes and normalisation, batches, a
classifier and a CTC recogniser that overfit the set, train / eval / transcribe through the
CLI, bad input, and a few real FSDD files when ../shared/data/fsdd is there."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from elman.cli import load_run, main
from elman.data import audio
from elman.data.features import FeatureSettings, FrameBatches, Normaliser, features
from elman.errors import ElmanError
from elman.io import checkpoint
from elman.training import resolve, train

FSDD = Path(__file__).resolve().parents[2] / "shared/data/fsdd"
RATE = 8000
SMALL = {"n_mels": 16, "hop_ms": 20.0, "window_ms": 40.0, "cell": "lstm", "hidden_sizes": [32],
         "bidirectional": True, "dropout": 0.0, "batch_size": 8, "max_minutes": None,
         "quiet": True, "valid_fraction": 0.2}
FLAGS = ["--n-mels", "16", "--hop-ms", "20", "--window-ms", "40", "--cell", "lstm",
         "--hidden-sizes", "32", "--bidirectional", "true", "--dropout", "0", "--batch-size",
         "8", "--max-minutes", "none", "--quiet", "--valid-fraction", "0.2"]


def chirp(digit: int, speaker: int, seconds: float, phase: float = 0.0) -> np.ndarray:
    """A digit's sound: a 400 Hz rise from 400 + 800 * digit Hz (+ 40 Hz for speaker 1)."""
    t = np.arange(int(RATE * seconds)) / RATE
    f0 = 400 + 800 * digit + 40 * speaker
    wave = 0.5 * np.sin(2 * np.pi * (f0 * t + 200 / t[-1] * t ** 2) + phase)
    return (wave * np.hanning(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory) -> Path:
    """30 files: digits 0-2, speakers ann and bob, indices 0-4."""
    d = tmp_path_factory.mktemp("wavs")
    rng = np.random.default_rng(0)
    for digit in range(3):
        for s, speaker in enumerate(("ann", "bob")):
            for index in range(5):
                wave = chirp(digit, s, rng.uniform(0.2, 0.3), rng.uniform(0, 6))
                soundfile.write(d / f"{digit}_{speaker}_{index}.wav", wave, RATE,
                                subtype="PCM_16")
    return d


def settings(**kw) -> FeatureSettings:
    return FeatureSettings(**{"n_mels": 16, **kw})


# --- names, split, reading ---------------------------------------------------------------


def test_names():
    r = audio.parse_name("recordings/7_theo_12.wav")
    assert (r.digits, r.speaker, r.index) == ("7", "theo", 12)
    assert audio.parse_name("471_x_3.WAV").digits == "471"
    for name in ("7_theo.wav", "seven_theo_1.wav", "7_theo_1.mp3", "7_the_o_1.wav"):
        with pytest.raises(ElmanError, match=r"data: expected WAV files named .*" + name[:5]):
            audio.parse_name(name)


def test_listing_refuses_a_bad_name_and_an_empty_folder(tmp_path):
    with pytest.raises(ElmanError, match="data: expected WAV files in the folder, got none"):
        audio.list_recordings(tmp_path)
    with pytest.raises(ElmanError, match="data: expected a folder of WAV files"):
        audio.list_recordings(tmp_path / "absent")
    (tmp_path / "hello.wav").write_bytes(b"")
    with pytest.raises(ElmanError, match="'hello.wav'"):
        audio.list_recordings(tmp_path)


def test_split_holds_out_a_seeded_share_of_every_speaker_and_digit(wavs):
    found = audio.list_recordings(wavs)
    train_ids, valid_ids = audio.split(found, 0.2, seed=0)
    assert sorted(train_ids + valid_ids) == list(range(30))
    held = [found[i] for i in valid_ids]
    groups = {(r.speaker, r.digits) for r in found}
    assert sorted((r.speaker, r.digits) for r in held) == sorted(groups)      # one of each
    assert audio.split(found, 0.2, seed=0) == (train_ids, valid_ids)
    assert {audio.split(found, 0.2, seed=s)[1] != valid_ids for s in range(1, 6)} == {True}
    assert audio.split(found, 0.0, seed=0) == (list(range(30)), [])
    assert len(audio.split(found, 0.5, seed=0)[1]) == 6 * 2    # round(2.5) = 2 per group


def test_reading_mixes_down_and_resamples(tmp_path):
    wave = chirp(1, 0, 0.25)
    soundfile.write(tmp_path / "mono.wav", wave, RATE)
    soundfile.write(tmp_path / "stereo.wav", np.stack([wave, 0 * wave], 1), RATE)
    soundfile.write(tmp_path / "fast.wav", chirp(1, 0, 0.25).repeat(2), 2 * RATE)
    mono = audio.read_wav(tmp_path / "mono.wav", RATE)
    assert mono.dtype == np.float32 and mono.shape == wave.shape
    np.testing.assert_allclose(audio.read_wav(tmp_path / "stereo.wav", RATE), mono / 2,
                               atol=1e-6)
    fast = audio.read_wav(tmp_path / "fast.wav", RATE)
    assert abs(len(fast) - len(wave)) <= 1
    s = settings()
    assert features(fast, s).shape[0] == features(mono, s).shape[0]


def test_corrupt_and_empty_wavs_are_named(tmp_path):
    (tmp_path / "3_x_1.wav").write_bytes(b"RIFF....WAVEfmt not really a wave file")
    with pytest.raises(ElmanError, match=r"wav: expected a readable WAV file, got '.*3_x_1.wav'"):
        audio.read_wav(tmp_path / "3_x_1.wav", RATE)
    soundfile.write(tmp_path / "4_x_1.wav", np.zeros(0, np.float32), RATE)
    with pytest.raises(ElmanError, match=r"wav: expected a WAV file with samples, got .*4_x_1"):
        audio.read_wav(tmp_path / "4_x_1.wav", RATE)
    soundfile.write(tmp_path / "5_x_1.wav", np.array([0.1, np.nan], np.float32), RATE,
                    subtype="FLOAT")
    with pytest.raises(ElmanError, match=r"wav: expected finite samples, got NaN .*5_x_1"):
        audio.read_wav(tmp_path / "5_x_1.wav", RATE)


def test_join_puts_short_pauses_around_the_recordings():
    waves = [np.ones(100, np.float32), 2 * np.ones(50, np.float32)]
    joined = audio.join(waves, RATE, np.random.default_rng(0))
    gap = int(audio.GAP_S * RATE)
    assert 150 <= len(joined) <= 150 + 3 * gap
    assert np.abs(joined).max() == 2 and (joined == 1).sum() == 100


# --- features and batches -----------------------------------------------------------------


@pytest.mark.parametrize("kind,size", [("logmel", 16), ("mfcc", 13)])
def test_feature_shapes(kind, size):
    wave = chirp(0, 0, 0.3)                                      # 2,400 samples
    s = settings(kind=kind, hop_ms=10.0)
    frames = features(wave, s)
    assert frames.shape == (1 + 2400 // 80, size) == (31, s.size)
    assert features(wave, settings(kind=kind, hop_ms=20.0)).shape == (16, size)
    assert np.isfinite(frames).all()


def test_features_tell_digits_apart():
    a, b = features(chirp(0, 0, 0.3), settings()), features(chirp(2, 0, 0.3), settings())
    assert a[10:20].mean(0).argmax() < b[10:20].mean(0).argmax()        # higher mel band


def test_window_too_short_for_the_mel_filters():
    with pytest.raises(ElmanError, match="window_ms: expected a window of at least 78 samples"):
        features(chirp(0, 0, 0.3), settings(n_mels=40, window_ms=5.0))


def test_normaliser_standardises_training_frames_and_round_trips():
    g = np.random.default_rng(0)
    frames = [g.normal(3.0, 2.0, (n, 4)).astype(np.float32) for n in (10, 20, 30)]
    norm = Normaliser.fit(frames)
    out = torch.cat([norm(f) for f in frames])
    torch.testing.assert_close(out.mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(0, unbiased=False), torch.ones(4), atol=1e-4, rtol=0)
    again = Normaliser.from_dict(norm.to_dict())
    torch.testing.assert_close(again(frames[0]), norm(frames[0]))


def test_frame_batches_pad_frames_and_label_sequences():
    examples = [(torch.ones(n, 3), [n] * (n // 2)) for n in (2, 5, 4)]
    batch = next(FrameBatches(examples, 3, shuffle=False).epoch(0))
    assert batch.x.x.shape == (3, 5, 3) and batch.x.lengths.tolist() == [2, 5, 4]
    assert batch.x.x[0, 2:].abs().sum() == 0
    assert batch.y.tolist() == [[2, 0], [5, 5], [4, 4]]


def test_utterance_batches_are_seeded_and_resume_mid_epoch():
    from elman.tasks.digit_sequences import UtteranceBatches, Utterances
    waves = [chirp(d, 0, 0.2) for d in range(3)]
    s = settings(hop_ms=20.0)
    norm = Normaliser.fit([features(w, s) for w in waves])
    utts = Utterances(waves, ["0", "1", "2"], 3, RATE, lambda w: norm(features(w, s)))
    batches = UtteranceBatches(utts, 10, 4, seed=1, hop=s.hop)
    first, again = list(batches.epoch(2)), list(batches.epoch(2))
    assert len(first) == len(batches) == 3
    for a, b in zip(first, again):
        torch.testing.assert_close(a.x.x, b.x.x)
        assert torch.equal(a.y, b.y)
    tail = list(batches.epoch(2, start=1))
    torch.testing.assert_close(tail[0].x.x, first[1].x.x)
    labels = torch.cat([b.y.flatten() for b in first])
    assert set(labels.tolist()) <= {0, 1, 2, 3} and (first[0].y != 0).sum(1).max() <= 3
    assert not torch.equal(list(batches.epoch(3))[0].y, first[0].y)
    assert max(b.x.x.shape[1] for b in first) <= batches.seq_len


# --- models that learn the tiny set --------------------------------------------------------


def test_digit_classifier_overfits(wavs, tmp_path):
    config = resolve(None, {**SMALL, "task": "digits", "data": str(wavs), "lr": 0.02,
                            "max_steps": 40, "eval_every": 20, "out": str(tmp_path / "r")})
    result = train(config, log=lambda *a: None)
    task = result.task
    assert task.labels == ["0", "1", "2"] and (len(task.train), len(task.valid)) == (24, 6)
    assert task.evaluate(result.model, task.train_batches)["accuracy"] == 1.0
    assert result.valid["accuracy"] == 1.0
    ck = checkpoint.load(tmp_path / "r")
    assert ck.vocab is None and not (ck.path / "vocab.json").exists()
    assert ck.meta["features"]["n_mels"] == 16 and len(ck.meta["normaliser"]["mean"]) == 16


def test_ctc_recogniser_overfits(wavs, tmp_path):
    config = resolve(None, {**SMALL, "task": "digit-sequences", "data": str(wavs),
                            "lr": 0.02, "max_steps": 70, "eval_every": 35,
                            "utterances": 48, "valid_utterances": 24, "max_digits": 3,
                            "out": str(tmp_path / "r")})
    result = train(config, log=lambda *a: None)
    first = (tmp_path / "r/metrics.jsonl").read_text().splitlines()[0]
    assert result.valid["loss"] < 0.5 < float(re.search(r'"train_loss": ([0-9.]+)', first)[1])
    beam = result.task.evaluate(result.model, beam=8)
    assert beam["digit_error_rate"] <= 0.15 and beam["accuracy"] >= 0.75


# --- the command line ----------------------------------------------------------------------


def test_cli_digits_train_eval_transcribe(wavs, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--task", "digits", "--data", str(wavs), *FLAGS, "--lr", "0.02",
                 "--max-steps", "30", "--eval-every", "15", "--out", str(run)]) == 0
    assert "valid accuracy:" in capsys.readouterr().out
    assert main(["eval", str(run), "--data", str(wavs)]) == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"accuracy: ([0-9.]+) \(30 recordings\)", out)[1])
    assert accuracy > 0.9 and (run / "confusion.png").is_file()
    assert main(["eval", str(run)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("scored: the validation split (it picked best/)\n")
    assert "(6 recordings)" in out
    assert main(["transcribe", str(run), str(wavs / "2_bob_3.wav")]) == 0
    digit, p = capsys.readouterr().out.split()
    assert digit == "2" and 0.5 < float(p) <= 1.0
    (run / "confusion.png").unlink()
    assert main(["eval", str(run), "--data", str(wavs), "--json"]) == 0
    out = capsys.readouterr().out
    metrics = json.loads(out)                                  # one JSON object, no table
    assert out.count("\n") == 1 and not (run / "confusion.png").exists()
    assert set(metrics) == {"accuracy", "per_class", "count", "split"}
    assert metrics["count"] == 30 and metrics["split"] == "file"
    assert f"{metrics['accuracy']:.4f}" == f"{accuracy:.4f}"
    assert [r["label"] for r in metrics["per_class"]] == ["0", "1", "2"]
    assert sum(r["support"] for r in metrics["per_class"]) == 30
    assert main(["eval", str(run), "--json", "--plot", str(tmp_path / "c.png")]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 6
    assert (tmp_path / "c.png").is_file()


def test_cli_digit_sequences_train_eval_transcribe(wavs, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--task", "digit-sequences", "--data", str(wavs), *FLAGS,
                 "--lr", "0.02", "--max-steps", "10", "--eval-every", "10", "--utterances",
                 "16", "--valid-utterances", "8", "--max-digits", "2", "--out", str(run)]) == 0
    assert re.search(r"valid sequence accuracy: [0-9.]+%, digit error rate: [0-9.]+% \(greedy "
                     r"decoding; loss [0-9.]+ nats per digit, 8 utterances",
                     capsys.readouterr().out)
    assert main(["eval", str(run), "--beam", "4"]) == 0
    scored, *lines = capsys.readouterr().out.splitlines()
    assert scored == "scored: the validation split (it picked best/)"
    assert lines[0].startswith("greedy   sequence accuracy:") and "(8 utterances)" in lines[0]
    assert lines[1].startswith("beam 4   sequence accuracy:")
    joined = np.concatenate([chirp(2, 0, 0.25), np.zeros(400, np.float32), chirp(0, 1, 0.25)])
    soundfile.write(tmp_path / "20_ann_0.wav", joined, RATE)
    assert main(["transcribe", str(run), str(tmp_path / "20_ann_0.wav"), "--beam", "3"]) == 0
    assert re.fullmatch(r"[0-9]*\n", capsys.readouterr().out)
    assert main(["eval", str(run), "--data", str(tmp_path), "--beam", "1"]) == 0
    assert "(1 utterances)" in capsys.readouterr().out
    assert main(["eval", str(run), "--beam", "4", "--json"]) == 0
    out = capsys.readouterr().out
    metrics = json.loads(out)
    assert out.count("\n") == 1
    assert set(metrics) == {"loss", "tokens", "greedy", "beam", "split"}
    assert metrics["tokens"] == 8 and metrics["beam"]["width"] == 4
    assert f"sequence accuracy: {metrics['greedy']['accuracy']:.4f}" in lines[0]
    assert f"digit error rate: {metrics['beam']['digit_error_rate']:.4f}" in lines[1]
    assert f"loss: {metrics['loss']:.4f} nats per digit" == lines[2]
    assert main(["eval", str(run), "--data", str(tmp_path), "--beam", "1", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert "beam" not in metrics and metrics["tokens"] == 1


def test_digits_predict_is_json_and_agrees_with_transcribe(wavs, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--task", "digits", "--data", str(wavs), *FLAGS, "--lr", "0.02",
                 "--max-steps", "6", "--eval-every", "6", "--out", str(run)]) == 0
    path = wavs / "1_ann_2.wav"
    assert main(["transcribe", str(run), str(path)]) == 0
    digit, p = capsys.readouterr().out.split()[-2:]
    r, task = load_run(run)                        # restored from the checkpoint, no data read
    assert task.train is None and task.labels == ["0", "1", "2"]
    answers = task.predict([r.model], [str(path), audio.read_wav(path, RATE),
                                       chirp(2, 1, 0.25).tolist()])
    assert json.loads(json.dumps(answers)) == answers and len(answers) == 3
    assert answers[0] == {"digit": digit, "probability": answers[0]["probability"]}
    assert f"{answers[0]['probability']:.4f}" == p and answers[1] == answers[0]
    assert answers[2]["digit"] in task.labels and 0 < answers[2]["probability"] <= 1
    voted = task.predict([r.model, r.model], [path])[0]
    assert voted["digit"] == digit and abs(voted["probability"] - float(p)) < 1e-4
    assert task.predict([r.model], []) == []
    with pytest.raises(ElmanError, match=r"wav: expected at least one analysis window"):
        task.predict([r.model], [np.zeros(100, np.float32)])
    with pytest.raises(ElmanError, match=r"wave: expected a path or a 1-D array"):
        task.predict([r.model], [np.zeros((2, 800), np.float32)])


def test_digit_sequences_predict_is_json_and_agrees_with_transcribe(wavs, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--task", "digit-sequences", "--data", str(wavs), *FLAGS,
                 "--lr", "0.02", "--max-steps", "6", "--eval-every", "6", "--utterances",
                 "16", "--valid-utterances", "8", "--max-digits", "2", "--out", str(run)]) == 0
    joined = np.concatenate([chirp(2, 0, 0.25), np.zeros(400, np.float32), chirp(0, 1, 0.25)])
    soundfile.write(tmp_path / "20_ann_0.wav", joined, RATE)
    capsys.readouterr()
    r, task = load_run(run)
    wave = audio.read_wav(tmp_path / "20_ann_0.wav", RATE)          # as the file holds it
    for beam in (1, 3):
        assert main(["transcribe", str(run), str(tmp_path / "20_ann_0.wav"), "--beam",
                     str(beam)]) == 0
        heard = capsys.readouterr().out.rstrip("\n")
        answers = task.predict([r.model], [tmp_path / "20_ann_0.wav", wave], beam=beam)
        assert json.loads(json.dumps(answers)) == answers == [heard, heard]
    assert task.predict([r.model, r.model], [wave]) == task.predict([r.model], [wave])


def error_of(argv, capsys) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


def test_cli_errors(wavs, tmp_path, capsys):
    assert "data: expected a folder of WAV files (--data DIR) for the digits task, got none" \
        in error_of(["train", "--task", "digits", *FLAGS], capsys)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "12_x_1.wav").write_bytes(b"")
    assert "expected recordings of one digit each for the digits task" in \
        error_of(["train", "--task", "digits", "--data", str(bad), *FLAGS], capsys)
    assert "wav: expected a readable WAV file, got" in \
        error_of(["train", "--task", "digit-sequences", "--data", str(bad), *FLAGS], capsys)
    assert "checkpoint: expected a folder holding model.safetensors" in \
        error_of(["transcribe", str(tmp_path), str(wavs / "0_ann_0.wav")], capsys)
    (tmp_path / "story.txt").write_text("one two three four five six seven " * 20)
    assert main(["train", "--data", str(tmp_path / "story.txt"), "--hidden-sizes", "8",
                 "--max-steps", "1", "--sample-length", "0", "--quiet", "--out",
                 str(tmp_path / "lm")]) == 0
    capsys.readouterr()
    assert "run: expected a run of a task with the transcribe command (digits, digit-sequences), " \
        "got a lm run" in error_of(["transcribe", str(tmp_path / "lm"), str(wavs / "0_ann_0.wav")],
                                   capsys)


def test_transcribe_refuses_bad_input(wavs, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--task", "digits", "--data", str(wavs), *FLAGS, "--max-steps", "2",
                 "--eval-every", "2", "--out", str(run)]) == 0
    assert "FILE.wav: expected a value (elman transcribe RUN FILE.wav), got none" in \
        error_of(["transcribe", str(run)], capsys)
    soundfile.write(tmp_path / "short.wav", np.zeros(150, np.float32), RATE)
    assert "wav: expected at least one analysis window (320 samples at 8000 Hz), got" in \
        error_of(["transcribe", str(run), str(tmp_path / "short.wav")], capsys)
    assert "wav: expected an existing WAV file, got" in \
        error_of(["transcribe", str(run), str(tmp_path / "absent.wav")], capsys)
    (tmp_path / "noise.wav").write_bytes(b"not a wave")
    assert "wav: expected a readable WAV file, got" in \
        error_of(["transcribe", str(run), str(tmp_path / "noise.wav")], capsys)
    assert "beam: expected an integer >= 1, got 0" in \
        error_of(["transcribe", str(run), str(wavs / "0_ann_0.wav"), "--beam", "0"], capsys)
    (bad := tmp_path / "bad").mkdir()
    soundfile.write(bad / "7_ann_0.wav", chirp(0, 0, 0.2), RATE)
    assert "data: expected digits the model knows (0, 1, 2), got '7_ann_0.wav'" in \
        error_of(["eval", str(run), "--data", str(bad)], capsys)


def test_a_valid_folder_replaces_the_split(wavs, tmp_path):
    (valid := tmp_path / "valid").mkdir()
    soundfile.write(valid / "1_cat_0.wav", chirp(1, 0, 0.25), RATE)
    soundfile.write(valid / "2_cat_0.wav", chirp(2, 1, 0.25), RATE)
    config = resolve(None, {**SMALL, "task": "digits", "data": str(wavs), "valid": str(valid),
                            "max_steps": 1, "eval_every": 1, "out": str(tmp_path / "r")})
    task = train(config, log=lambda *a: None).task
    assert (len(task.train), len(task.valid)) == (30, 2)
    assert [r.speaker for r in task.valid] == ["cat", "cat"]


def test_resumed_classifier_matches_an_uninterrupted_one(wavs, tmp_path):
    base = {**SMALL, "task": "digits", "data": str(wavs), "lr": 0.01, "eval_every": 5}
    straight = train(resolve(None, {**base, "max_steps": 10, "out": str(tmp_path / "straight")}),
                     log=lambda *a: None)
    train(resolve(None, {**base, "max_steps": 5, "out": str(tmp_path / "split")}),
          log=lambda *a: None)
    from elman.training.trainer import resume_config
    resumed = train(resume_config(tmp_path / "split", {"max_steps": 10}),
                    resume=tmp_path / "split", log=lambda *a: None)
    a = checkpoint.load(tmp_path / "straight/checkpoint").model.state_dict()
    b = checkpoint.load(tmp_path / "split/checkpoint").model.state_dict()
    assert resumed.step == straight.step == 10
    for k in a:
        torch.testing.assert_close(a[k], b[k])


# --- real recordings -------------------------------------------------------------------------


@pytest.mark.skipif(not (FSDD / "recordings").is_dir(), reason="no ../shared/data/fsdd")
def test_real_fsdd_files():
    names = ["0_george_5.wav", "7_theo_23.wav", "9_yweweler_49.wav"]
    for name in names:
        r = audio.parse_name(FSDD / "recordings" / name)
        wave = audio.read_wav(r.path, RATE)
        frames = features(wave, FeatureSettings())
        assert r.digits == name[0] and 0.1 < len(wave) / RATE < 2.5
        assert frames.shape == (1 + len(wave) // 80, 40) and np.isfinite(frames).all()
