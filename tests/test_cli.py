"""The elman command end to end: train, eval, generate, summary, resume, and every error as one
line on stderr with a non-zero exit code."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from elman.cli import main

TEXT = "to be or not to be, that is the question. " * 50
COMMANDS = ("train, eval, generate, next, export, predict, transcribe, forecast, translate, "
            "reply, caption, serve, recipes, summary, diagnose, prepare")
TINY = ["--hidden-sizes", "16", "--embed-dim", "8", "--batch-size", "4", "--seq-len", "16", "--dropout", "0",
        "--max-minutes", "none", "--sample-length", "30", "--quiet"]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("data") / "text.txt"
    p.write_text(TEXT, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def trained(text_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    assert main(["train", "--data", str(text_file), "--out", str(out), "--max-steps", "20",
                 "--eval-every", "10", *TINY]) == 0
    return out


def test_train_prints_sample_and_valid_bpc(text_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", str(text_file), "--out", str(out), "--max-steps", "6",
                 "--eval-every", "3", "--bptt", "full", "--cell", "lstm", *TINY]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"run: {out}"
    assert any(line.startswith("stopped: max_steps at step 6") for line in lines)
    assert any(line.startswith("valid bits per char: ") for line in lines)
    assert (out / "best" / "model.safetensors").exists() and (out / "loss.png").exists()


def test_train_from_a_config_file_with_flags_winning(text_file, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'data = "{text_file}"\nmax_steps = 2\neval_every = 1\n[model]\ncell = "elman"\n'
                   'activation = "relu"\nhidden_sizes = 8\n')
    assert main(["train", "--config", str(cfg), "--out", str(tmp_path / "r"), "--max-steps", "3",
                 "--sample-length", "0", "--quiet"]) == 0
    saved = json.loads((tmp_path / "r" / "config.json").read_text())
    assert saved["model"]["activation"] == "relu" and saved["train"]["max_steps"] == 3


def test_resume(text_file, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--data", str(text_file), *TINY]
    assert main(["train", "--out", str(out), "--max-steps", "4", "--eval-every", "2", *args]) == 0
    assert main(["train", "--resume", str(out), "--max-steps", "8", "--sample-length", "0"]) == 0
    output = capsys.readouterr().out
    assert f"run: {out} (resumed at step 4)" in output and "at step 8" in output
    assert main(["train", "--resume", str(out), "--seq-len", "32"]) == 2
    assert capsys.readouterr().err.startswith("elman: error: seq_len: expected the resumed")


def test_resume_before_the_first_checkpoint_starts_over(text_file, trained, tmp_path, capsys):
    import shutil

    import safetensors.torch
    import torch

    from elman.training import resolve
    from elman.training.trainer import trainer
    args = ["--data", str(text_file), *TINY, "--max-steps", "4", "--eval-every", "2"]
    whole, out = tmp_path / "whole", tmp_path / "run"
    assert main(["train", "--out", str(whole), *args]) == 0
    given = [a for a in args if a != "--quiet"]
    flags = dict(zip([a[2:].replace("-", "_") for a in given[::2]], given[1::2]))
    trainer(resolve(None, {**flags, "out": str(out)}), log=lambda *a: None)   # then stopped
    shutil.copytree(trained / "best", out / "best")      # best/ written, checkpoint/ not yet
    assert sorted(p.name for p in out.iterdir()) == ["best", "config.json", "metrics.jsonl"]
    capsys.readouterr()
    assert main(["train", "--resume", str(out)]) == 0
    assert f"run: {out} (started over: it stopped before its first checkpoint)" in \
        capsys.readouterr().out
    for folder in ("checkpoint", "best"):
        a, b = (safetensors.torch.load_file(str(r / folder / "model.safetensors"))
                for r in (whole, out))
        assert all(torch.equal(a[k], b[k]) for k in a)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "--resume", str(empty)]) == 2
    assert capsys.readouterr().err == (
        f"elman: error: resume: expected a run folder holding checkpoint/ or config.json, got "
        f"'{empty}' with neither (it stopped before writing its config; train it again with "
        f"--out '{empty}')\n")


def test_eval(trained, text_file, capsys):
    assert main(["eval", str(trained)]) == 0
    own = capsys.readouterr().out.splitlines()
    assert own[0] == "scored: the validation split (it picked best/)"
    assert own[1].startswith("loss: ") and own[1].endswith(" nats/char")
    assert own[2].startswith("bits per char: ") and own[3].startswith("perplexity: ")
    assert main(["eval", str(trained), "--data", str(text_file)]) == 0
    assert capsys.readouterr().out.startswith(f"scored: file {text_file}\nloss: ")
    assert main(["eval", str(trained), "--split", "valid", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["split"] == "valid"
    assert main(["eval", str(trained), "--data", str(text_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["split"] == "file"


def test_eval_split_test_of_a_task_without_one_is_a_one_line_error(trained, text_file, capsys):
    assert main(["eval", str(trained), "--split", "test"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("elman: error: split: expected valid (the lm task keeps no test "
                            "split; score a held-out file with --data PATH), got 'test'\n")
    assert main(["eval", str(trained), "--split", "valid", "--data", str(text_file)]) == 2
    assert capsys.readouterr().err == ("elman: error: split: expected no --split with --data "
                                       "(the file is scored), got 'valid'\n")


def test_eval_notes_unknown_characters(trained, tmp_path, capsys):
    p = tmp_path / "other.txt"
    p.write_text("to be or not to be? Zebra!", encoding="utf-8")
    assert main(["eval", str(trained), "--data", str(p)]) == 0
    assert capsys.readouterr().err.startswith("note: 3 characters not in the vocabulary")


def test_generate_is_seeded_and_continues_the_prompt(trained, capsys):
    argv = ["generate", str(trained), "--prompt", "to be", "--length", "40", "--seed", "3"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert main(argv) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("to be") and len(first) == len("to be") + 40 + 1
    assert main(["generate", str(trained), "--length", "5", "--top-k", "1",
                 "--temperature", "0.5"]) == 0
    assert len(capsys.readouterr().out) == 6


def test_summary(trained, capsys):
    assert main(["summary", "--input-size", "3", "--hidden-sizes", "4,10,20",
                 "--output-size", "2", "--cell", "lstm", "--batch-size", "5"]) == 0
    table = capsys.readouterr().out
    assert "(16, 3)" in table and "(40, 10)" in table          # LSTM W_F of layers 1 and 2
    assert main(["summary", str(trained), "--seq-len", "7"]) == 0
    assert "embedding" in capsys.readouterr().out


def test_real_subprocess(trained):
    elman = Path(sys.executable).with_name("elman")
    cmd = [str(elman)] if elman.exists() else [sys.executable, "-m", "elman.cli"]
    done = subprocess.run(cmd + ["generate", str(trained), "--prompt", "to", "--length", "20",
                                 "--seed", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("to") and len(done.stdout) == 23
    done = subprocess.run(cmd + ["eval", str(trained / "nope")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"elman: error: checkpoint: expected a run folder or a checkpoint folder, got "
        f"'{trained / 'nope'}'"]


def test_keyboard_interrupt_exits_130(text_file, tmp_path, monkeypatch, capsys):
    from elman.training import trainer

    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(trainer.Trainer, "run", interrupted)
    assert main(["train", "--data", str(text_file), "--out", str(tmp_path / "r"), *TINY]) == 130
    err = capsys.readouterr().err
    assert err.startswith("elman: interrupted") and len(err.splitlines()) == 1


# --- every error: exit 2, one line on stderr, no traceback -------------------------------


@pytest.fixture(scope="module")
def broken(trained, tmp_path_factory):
    """Copies of the trained run with a corrupt and a mismatched checkpoint, and bad texts."""
    import shutil
    root = tmp_path_factory.mktemp("broken")
    corrupt, mismatched = root / "corrupt", root / "mismatched"
    shutil.copytree(trained, corrupt)
    (corrupt / "best" / "model.safetensors").write_bytes(b"not a safetensors file at all")
    shutil.copytree(trained, mismatched)
    cfg = json.loads((mismatched / "best" / "config.json").read_text())
    cfg["arguments"]["hidden_sizes"] = [17]
    (mismatched / "best" / "config.json").write_text(json.dumps(cfg))
    (root / "latin1.txt").write_bytes("café au lait".encode("latin-1"))
    (root / "empty.txt").write_bytes(b"")
    (root / "bad.yaml").write_text("learning_rate: 3\n")
    return root


ERRORS = [
    (["train", "--data", "{root}/missing.txt"], "data: expected an existing file, got '{root}/missing.txt'"),
    (["train", "--data", "{root}/latin1.txt"], "data: expected a UTF-8 text file, got '{root}/latin1.txt' with byte 0xe9 at offset 3"),
    (["train", "--data", "{root}/empty.txt"], "data: expected a file with some text, got '{root}/empty.txt', which is empty"),
    (["train", "--cell", "rnn"], "cell: expected one of ['elman', 'lstm', 'gru'], got 'rnn'"),
    (["train", "--activation", "swish"], "activation: expected one of ['identity', 'relu', 'sigmoid', 'tanh'], got 'swish'"),
    (["train", "--cell", "gru", "--activation", "relu", "--data", "{data}"], "activation: expected 'tanh' for cell='gru'"),
    (["train", "--lr", "-1"], "lr: expected a number > 0, got -1.0"),
    (["train", "--hidden-sizes", "4,x"], "hidden_sizes: expected an integer, got 'x'"),
    (["train", "--config", "{root}/bad.yaml"], "config: expected settings of the lm task (see elman train --task lm --help), got unknown key 'learning_rate'"),
    (["train", "--bogus", "1"], "arguments: expected options listed by --help, got unrecognized --bogus 1"),
    (["bogus"], f"command: expected one of {COMMANDS}, got 'bogus'"),
    (["train", "--resume", "{root}/nothing"], "resume: expected a run folder, got '{root}/nothing' (no such folder)"),
    (["eval", "{root}/corrupt"], "checkpoint: expected a valid safetensors file at '{root}/corrupt/best/model.safetensors', got a corrupt file"),
    (["eval", "{root}/mismatched"], "checkpoint: expected rnn.layers.0.W_F of shape (51, 8) (from config.json), got shape (48, 8)"),
    (["eval", "{run}", "--data", "{root}/latin1.txt"], "data: expected a UTF-8 text file"),
    (["generate", "{run}", "--temperature", "0"], "temperature: expected a number > 0, got 0.0"),
    (["generate", "{run}", "--temperature", "hot"], "temperature: expected a number, got 'hot'"),
    (["generate", "{run}", "--top-k", "0"], "top_k: expected an integer >= 1, got 0"),
    (["generate", "{run}", "--length", "-5"], "length: expected an integer >= 0, got -5"),
    (["generate", "{root}/corrupt"], "checkpoint: expected a valid safetensors file"),
    (["generate"], "RUN: expected a run folder (elman generate RUN), got none"),
    (["summary"], "summary: expected a RUN folder, or --input-size and --hidden-sizes, got neither"),
    (["summary", "--input-size", "3", "--hidden-sizes", "5", "--cell", "rnn"], "cell: expected one of"),
    ([], f"command: expected one of {COMMANDS} (see elman --help), got none"),
]


@pytest.mark.parametrize("argv, message", ERRORS, ids=[" ".join(a)[:40] for a, _ in ERRORS])
def test_errors_are_one_line(broken, trained, text_file, argv, message, capsys, tmp_path):
    root = str(broken)
    argv = [a.format(root=root, run=trained, data=text_file) for a in argv]
    if argv and argv[0] == "train" and "--resume" not in argv:
        argv += ["--out", str(tmp_path / "r"), "--max-steps", "1", "--quiet"]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith("elman: error: " + message.format(root=root))
    assert not (tmp_path / "r").exists()               # a failed start leaves no run folder
