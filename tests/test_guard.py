"""The divergence guard: the rule by hand, runs that diverge (the last good checkpoint and
best/ stay), bad batches skipped, a resumed run judged as an uninterrupted one, and the one
line and exit code of ``elman train``."""

import json
import math
import signal
import warnings

import pytest
import safetensors.torch
import torch
from test_training import cfg, quiet

from elman.cli import main
from elman.io import checkpoint
from elman.training import resolve, stop
from elman.training.guard import Diverged, Guard
from elman.training.trainer import resume_config, train, trainer


def files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def rows(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def scaled_after(t, step: int, by: float, monkeypatch):
    """Make the task's loss ``by`` times larger from ``step`` on (NaN: not finite)."""
    real = t.task.loss

    def loss(*args):
        value, state = real(*args)
        return (value * by if t.step >= step else value), state
    monkeypatch.setattr(t.task, "loss", loss)


# --- the rule --------------------------------------------------------------------------------


def test_the_rule_by_hand():
    g = Guard(factor=10, evals=3, skip=False)
    g.start(4.0)
    assert [g.judge(x) for x in (3.0, 2.0, 25.0)] == [False, False, False]   # median 3, 2.5
    assert g.history == [4.0, 3.0, 2.0, 25.0] and g.diverged is None
    assert g.judge(40.0) and g.suspect and g.diverged is None       # 40 > 10 * median 3.5
    assert not g.judge(3.0) and not g.suspect                       # it came back
    assert g.judge(41.0) and g.judge(math.inf) and g.judge(42.0)
    assert g.history == [4.0, 3.0, 2.0, 25.0, 3.0]                  # suspect ones left out
    assert g.diverged == ("training loss 42, 14 times its running median 3, 3 evaluations "
                          "in a row (diverge_factor 10, diverge_evals 3)")


def test_batches_and_skipped_intervals():
    g = Guard(factor=10, evals=1, skip=False)
    g.start(2.0)
    assert g.batch(100.0) is None                    # without skip only non-finite is bad
    assert g.batch(math.nan) == "the loss is nan"
    assert g.batch(1.0, math.inf) == "the gradient norm is inf (loss 1)"
    s = Guard(factor=10, evals=2, skip=True)
    s.start(2.0)
    assert s.batch(100.0).startswith("training loss 100, 50 times its running median 2")
    assert s.batch(19.0) is None
    assert not s.judge(1.5, skipped=5, steps=10)     # half skipped: still fine
    assert s.judge(1.5, skipped=6, steps=10) and s.reason == ("6 of 10 batches skipped since "
                                                              "the previous evaluation")
    assert s.judge(None, skipped=10, steps=10)
    assert s.diverged.startswith("every batch since the previous evaluation was skipped, 2 ")
    off = Guard(factor=None, evals=1, skip=True)
    off.start(1.0)
    assert off.batch(1e9) is None and not off.judge(1e9)


def test_replay_of_metrics_rows_judges_as_the_run_did():
    g = Guard(factor=10, evals=3, skip=True)
    g.start(4.0)
    for loss, skipped in ((3.0, 0), (50.0, 0), (None, 10), (2.0, 1)):
        g.judge(loss, skipped, 10)
    r = Guard(factor=10, evals=3, skip=True)
    r.replay(4.0, [{"step": 10 * (i + 1), "train_loss": loss, "skipped": skipped}
                   for i, (loss, skipped) in enumerate(((3.0, 0), (50.0, 0), (None, 10),
                                                        (2.0, 1)))])
    assert (r.history, r.streak) == (g.history, g.streak) == ([4.0, 3.0, 2.0], 0)


def test_settings_are_checked():
    with pytest.raises(ValueError, match=r"^diverge_factor: expected a number > 1, got 1.0$"):
        resolve(None, {"diverge_factor": 1})
    with pytest.raises(ValueError, match=r"^diverge_evals: expected an integer >= 1"):
        resolve(None, {"diverge_evals": 0})
    assert resolve(None, {"diverge_factor": "none"}).train.diverge_factor is None


# --- runs ------------------------------------------------------------------------------------


def test_a_huge_learning_rate_diverges_before_any_checkpoint(data, tmp_path):
    with pytest.raises(Diverged, match=r"^training diverged at step \d+: training loss \S+, "
                       r"\S+ times its running median \S+, 3 evaluations in a row "
                       r"\(diverge_factor 10, diverge_evals 3\); no checkpoint had been "
                       r"written \(try a lower --lr"):
        train(cfg(data, tmp_path / "r", lr=1000, max_steps=50), log=quiet)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["config.json",
                                                                  "metrics.jsonl",
                                                                  "tensorboard"]


def test_divergence_keeps_the_last_good_checkpoint_and_best(data, tmp_path, monkeypatch):
    t = trainer(cfg(data, tmp_path / "r", max_steps=100), log=quiet)
    kept = {}

    def snapshot_at_20(*args):
        if t.step == 20 and not kept:
            kept.update(checkpoint=files(t.run_dir / "checkpoint"), best=files(t.run_dir / "best"))
    monkeypatch.setattr(t.task, "at_step", snapshot_at_20)
    scaled_after(t, 20, 1000.0, monkeypatch)
    with pytest.raises(Diverged, match=r"^training diverged at step 50: .*; checkpoint/ keeps "
                       r"step 20 \(try"):
        t.run()
    assert files(t.run_dir / "checkpoint") == kept["checkpoint"]
    assert files(t.run_dir / "best") == kept["best"]
    assert [r["step"] for r in rows(t.run_dir)] == [10, 20, 30, 40, 50]
    assert [r["valid_loss"] is None for r in rows(t.run_dir)] == [False] * 2 + [True] * 3


def test_a_loss_that_is_not_finite_stops_before_the_step(data, tmp_path, monkeypatch):
    t = trainer(cfg(data, tmp_path / "r", max_steps=100), log=quiet)
    scaled_after(t, 14, math.nan, monkeypatch)
    with pytest.raises(Diverged, match=r"^training diverged at step 15: the loss is nan; "
                       r"checkpoint/ keeps step 10 \(try"):
        t.run()
    assert all(torch.isfinite(p).all() for p in t.model.parameters())
    ck = checkpoint.load(t.run_dir / "checkpoint", training=True)
    assert ck.trainer_state["step"] == 10


def test_skip_bad_batches_skips_them(data, tmp_path, monkeypatch):
    t = trainer(cfg(data, tmp_path / "r", skip_bad_batches=True), log=quiet)
    real = t.task.loss

    def loss(*args):
        value, state = real(*args)
        return (value * math.nan if t.step in (3, 14) else value), state
    monkeypatch.setattr(t.task, "loss", loss)
    result = t.run()
    assert result.step == 20 and [(r["step"], r["skipped"]) for r in rows(t.run_dir)] == [
        (10, 1), (20, 1)]
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


def test_resumed_run_judges_and_logs_as_an_uninterrupted_one(data, tmp_path, monkeypatch):
    whole = train(cfg(data, tmp_path / "whole", max_steps=30), log=quiet)
    t = trainer(cfg(data, tmp_path / "part", max_steps=30), log=quiet)
    real = t.task.loss

    def loss(*args):                          # a signal noted during step 15
        if t.step == 14:
            stop._noted.append(signal.SIGTERM)
        return real(*args)
    monkeypatch.setattr(t.task, "loss", loss)
    with pytest.raises(stop.Interrupted) as e:
        t.run()
    stop._noted.clear()
    assert e.value.exit_code == 143
    assert str(e.value) == (f"at step 15; checkpoint/ keeps step 15 (elman train --resume "
                            f"{t.run_dir} continues)")
    resumed = train(resume_config(t.run_dir), resume=t.run_dir, log=quiet)
    assert resumed.step == 30
    a, b = (safetensors.torch.load_file(str(r.run / "checkpoint" / "model.safetensors"))
            for r in (whole, resumed))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["train_loss"] for r in rows(whole.run)] == [r["train_loss"] for r in rows(t.run_dir)]
    state = json.loads((t.run_dir / "checkpoint" / "trainer_state.json").read_text())
    assert state["first_loss"] == pytest.approx(math.log(len(whole.task.vocab)), rel=0.1)


def test_elman_train_prints_one_line_and_exits_3(data, tmp_path, capsys):
    args = ["train", "--data", data, "--out", str(tmp_path / "r"), "--hidden-sizes", "16",
            "--embed-dim", "8", "--batch-size", "4", "--seq-len", "16", "--max-steps", "30",
            "--eval-every", "10", "--max-minutes", "none", "--quiet", "--cell", "elman",
            "--activation", "relu", "--clip", "none", "--lr", "1000"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(args) == 3
    assert caught == []                        # torch's warnings never reach the user
    err = capsys.readouterr().err
    assert err.startswith("elman: error: training diverged at step ") and \
        len(err.splitlines()) == 1, err
