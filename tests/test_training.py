"""The training loop on tiny texts: determinism, both BPTT modes, resume, early stopping,
budgets, clipping, optimizers, schedules, config files and run outputs."""

import json
import math

import pytest
import safetensors.torch
import torch

from elman import ElmanError
from elman.io import checkpoint
from elman.tasks import TASKS, get_task
from elman.training import resolve, train
from elman.training.config import ModelConfig, TrainConfig, fixed, from_dict
from elman.training.trainer import (
    detach,
    lr_factor,
    resume_config,
    state_tensors,
    tensors_state,
    trainer,
)


def quiet(*args):
    pass


def cfg(data, out, **kw):
    values = dict(data=data, out=str(out), hidden_sizes=16, embed_dim=8, batch_size=4, dropout=0.0,
                  seq_len=16, max_steps=20, eval_every=10, max_minutes=None, sample_length=0,
                  quiet=True, lr=0.01)
    values.update(kw)
    return resolve(None, values)


def run(data, out, resume=None, **kw):
    return train(cfg(data, out, **kw), resume=resume, log=quiet)


def tensors(folder):
    return safetensors.torch.load_file(str(folder / "model.safetensors"))


def test_same_seed_gives_bit_identical_weights(data, tmp_path):
    a = run(data, tmp_path / "a", dropout=0.3, hidden_sizes="16,16", max_steps=10)
    b = run(data, tmp_path / "b", dropout=0.3, hidden_sizes="16,16", max_steps=10)
    c = run(data, tmp_path / "c", dropout=0.3, hidden_sizes="16,16", max_steps=10, seed=1)
    ta, tb, tc = (tensors(r.run / "checkpoint") for r in (a, b, c))
    assert ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)
    assert not all(torch.equal(ta[k], tc[k]) for k in ta)


@pytest.mark.parametrize("bptt, optimizer, cell, lr", [
    ("truncated", "adam", "gru", 0.01),
    ("full", "adam", "lstm", 0.01),
    ("truncated", "sgd", "elman", 0.3),
])
def test_training_reduces_the_loss(data, tmp_path, bptt, optimizer, cell, lr):
    r = run(data, tmp_path / "r", bptt=bptt, optimizer=optimizer, cell=cell, lr=lr,
            max_steps=60, eval_every=20)
    rows = [json.loads(line) for line in (r.run / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [20, 40, 60]
    assert rows[-1]["valid_loss"] < rows[0]["valid_loss"] < math.log(len(r.task.vocab))
    assert r.valid["loss"] < 0.75 * math.log(len(r.task.vocab))
    assert r.valid["bpc"] == pytest.approx(r.valid["loss"] / math.log(2))


def test_run_folder_outputs(data, tmp_path):
    r = run(data, tmp_path / "r")
    assert sorted(p.name for p in r.run.iterdir()) == [
        "best", "checkpoint", "config.json", "loss.png", "metrics.jsonl", "tensorboard"]
    rows = [json.loads(line) for line in (r.run / "metrics.jsonl").read_text().splitlines()]
    assert {"step", "train_loss", "valid_loss", "bpc", "lr", "tokens_per_s", "elapsed"} <= set(rows[0])
    assert (r.run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((r.run / "config.json").read_text())
    assert saved["model"]["hidden_sizes"] == [16] and saved["train"]["out"] == str(r.run)
    assert from_dict(saved).train.seq_len == 16
    assert checkpoint.load(r.run).config["train"]["seq_len"] == 16


def test_resume_continues_exactly(data, tmp_path):
    kw = dict(dropout=0.2, eval_every=5)
    whole = run(data, tmp_path / "whole", max_steps=30, **kw)
    run(data, tmp_path / "part", max_steps=15, **kw)
    config = resume_config(tmp_path / "part", {"max_steps": 30})
    resumed = train(config, resume=tmp_path / "part", log=quiet)
    assert resumed.step == 30
    ta, tb = tensors(whole.run / "checkpoint"), tensors(resumed.run / "checkpoint")
    assert all(torch.equal(ta[k], tb[k]) for k in ta)
    steps = [json.loads(line)["step"] for line in (resumed.run / "metrics.jsonl").open()]
    assert steps == [5, 10, 15, 20, 25, 30]


def test_resume_full_bptt_across_an_epoch_boundary(data, tmp_path):
    kw = dict(bptt="full", eval_every=7, batch_size=8)
    whole = run(data, tmp_path / "whole", max_steps=35, **kw)
    part = run(data, tmp_path / "part", max_steps=21, **kw)
    assert len(part.task.train_batches) < 21                  # the resume point is in epoch 2+
    resumed = train(resume_config(part.run, {"max_steps": 35}), resume=part.run, log=quiet)
    ta, tb = tensors(whole.run / "checkpoint"), tensors(resumed.run / "checkpoint")
    assert all(torch.equal(ta[k], tb[k]) for k in ta)


def test_ema_keeps_the_hand_computed_average_and_best_is_the_average(data, tmp_path):
    tr = trainer(cfg(data, tmp_path / "r", ema=0.9, max_steps=6, eval_every=6), log=quiet)
    weights, average = [], None
    original = tr.train_step

    def step(batch):                          # the average by hand after every step
        nonlocal average
        loss = original(batch)
        w = {k: v.detach().clone() for k, v in tr.model.named_parameters()}
        average = w if average is None else {k: 0.9 * average[k] + 0.1 * w[k] for k in w}
        weights.append(w)
        return loss

    tr.train_step = step
    result = tr.run()
    best, saved = tensors(result.run / "best"), tensors(result.run / "checkpoint")
    kept = safetensors.torch.load_file(str(result.run / "checkpoint" / "average.safetensors"))
    assert len(weights) == 6 and average.keys() <= best.keys()
    for k in average:
        torch.testing.assert_close(best[k], average[k], rtol=0, atol=1e-6)
        torch.testing.assert_close(kept[k], average[k], rtol=0, atol=1e-6)
        assert torch.equal(saved[k], weights[-1][k])                   # the weights themselves
    assert not all(torch.allclose(best[k], saved[k]) for k in average)
    valid = tr.task.evaluate(checkpoint.load(result.run / "best").model)
    assert result.valid["loss"] == pytest.approx(valid["loss"], rel=1e-6)


def test_resume_with_ema_continues_the_average_exactly(data, tmp_path):
    kw = dict(ema=0.8, dropout=0.2, eval_every=5)
    whole = run(data, tmp_path / "whole", max_steps=20, **kw)
    run(data, tmp_path / "part", max_steps=10, **kw)
    with pytest.raises(ElmanError, match=r"^ema: expected the resumed run's value 0.8"):
        resume_config(tmp_path / "part", {"ema": 0.5})
    resumed = train(resume_config(tmp_path / "part", {"max_steps": 20}),
                    resume=tmp_path / "part", log=quiet)
    for name in ("model.safetensors", "average.safetensors"):
        ta, tb = (safetensors.torch.load_file(str(r.run / "checkpoint" / name))
                  for r in (whole, resumed))
        assert ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)
    (resumed.run / "checkpoint" / "average.safetensors").unlink()
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a file average.safetensors"):
        trainer(resume_config(resumed.run, {"max_steps": 30}), resume=resumed.run, log=quiet)


def test_resume_refuses_to_change_fixed_settings(data, tmp_path):
    run(data, tmp_path / "r", max_steps=10)
    with pytest.raises(ElmanError, match=r"^seq_len: expected the resumed run's value 16 "
                                         r"\(it is fixed on resume\), got 32"):
        resume_config(tmp_path / "r", {"seq_len": 32})
    with pytest.raises(ElmanError, match=r"^cell: expected the resumed run's value 'gru'"):
        resume_config(tmp_path / "r", {"cell": "lstm"})
    assert {"seq_len", "lr", "seed", "data"} <= set(fixed(TrainConfig))


def test_early_stopping(data, tmp_path):
    # a learning rate too small to change float32 weights: the loss never improves
    r = run(data, tmp_path / "r", optimizer="sgd", momentum=0.0, lr=1e-30, patience=2,
            eval_every=5, max_steps=100)
    assert r.stopped == "early stopping" and r.step == 15 and r.best_step == 5
    assert json.loads((r.run / "best" / "trainer_state.json").read_text())["step"] == 5
    lrs = [json.loads(line)["lr"] for line in (r.run / "metrics.jsonl").open()]
    assert lrs == pytest.approx([1e-30, 0.5e-30, 0.25e-30], rel=1e-6)   # plateau halves it


def test_plateau_patience_decays_after_that_many_bad_evaluations(data, tmp_path):
    r = run(data, tmp_path / "r", optimizer="sgd", momentum=0.0, lr=1e-30, patience=4,
            lr_patience=2, eval_every=5, max_steps=100)
    assert r.stopped == "early stopping" and r.step == 25
    lrs = [json.loads(line)["lr"] for line in (r.run / "metrics.jsonl").open()]
    assert lrs == pytest.approx([1e-30, 1e-30, 0.5e-30, 0.5e-30, 0.25e-30], rel=1e-6)


def test_resume_with_a_damaged_trainer_state(data, tmp_path):
    run(data, tmp_path / "r", max_steps=10)
    state = tmp_path / "r" / "checkpoint" / "trainer_state.json"
    s = json.loads(state.read_text())
    del s["rng"]
    state.write_text(json.dumps(s))
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a complete trainer_state.json "
                                         r"in '.*checkpoint', got rng: expected a value, "
                                         r"got none"):
        train(resume_config(tmp_path / "r", {"max_steps": 20}), resume=tmp_path / "r", log=quiet)


def test_resume_on_a_changed_text(data, tmp_path):
    run(data, tmp_path / "r", max_steps=10)
    with open(data, "a") as f:
        f.write("more text")
    with pytest.raises(ElmanError, match=r"^data: expected the text the resumed run was trained "
                                         r"on, got a different text from"):
        train(resume_config(tmp_path / "r", {"max_steps": 20}), resume=tmp_path / "r", log=quiet)


def test_time_budget_and_max_steps(data, tmp_path):
    r = run(data, tmp_path / "a", max_minutes=1e-6, max_steps=1000)
    assert r.stopped == "time budget" and r.step == 1
    assert (r.run / "checkpoint").is_dir()                 # the stop is evaluated and saved
    assert run(data, tmp_path / "b", max_steps=3).stopped == "max_steps"


def test_gradient_norm_clipping(data, tmp_path):
    config = cfg(data, tmp_path / "r", optimizer="sgd", momentum=0.0, lr=1.0,
                               clip=1e-3, max_steps=1, eval_every=1)
    t = trainer(config, log=quiet)
    before = [p.detach().clone() for p in t.model.parameters()]
    t.run()
    after = checkpoint.load(t.run_dir / "checkpoint").model.parameters()
    moved = torch.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(after, before)))
    assert 0 < moved <= 1e-3 * (1 + 1e-4)


def test_interrupt_keeps_the_last_complete_checkpoint(data, tmp_path, monkeypatch):
    config = cfg(data, tmp_path / "r", max_steps=100, eval_every=5)
    t = trainer(config, log=quiet)
    real = t.task.loss

    def loss(*args):
        if t.step == 12:
            raise KeyboardInterrupt
        return real(*args)
    monkeypatch.setattr(t.task, "loss", loss)
    with pytest.raises(KeyboardInterrupt):
        t.run()
    ck = checkpoint.load(tmp_path / "r" / "checkpoint", training=True)
    assert ck.trainer_state["step"] == 10
    assert not [p for p in (tmp_path / "r").iterdir() if p.name.startswith(".")]


def test_lr_schedules():
    base = dict(max_steps=110, warmup=10)
    f = lr_factor(TrainConfig(lr_schedule="cosine", **base))
    assert f(0) == pytest.approx(0.1) and f(9) == 1.0 and f(10) == 1.0
    assert f(60) == pytest.approx(0.5) and f(110) == pytest.approx(0.0, abs=1e-12)
    g = lr_factor(TrainConfig(lr_schedule="step", lr_step_size=20, lr_gamma=0.5, **base))
    assert [g(s) for s in (10, 29, 30, 50)] == [1.0, 1.0, 0.5, 0.25]
    assert lr_factor(TrainConfig())(12345) == 1.0


def test_cosine_follows_the_time_budget_when_it_comes_first():
    cfg = TrainConfig(lr_schedule="cosine", max_steps=1000, max_minutes=1.0)
    seconds = [0.0]
    f = lr_factor(cfg, lambda: seconds[0])
    assert f(500) == pytest.approx(0.5)          # half the steps, no time spent
    seconds[0] = 45.0                            # 3/4 of the budget beats 1/2 of the steps
    assert f(500) == pytest.approx(0.5 * (1 + math.cos(0.75 * math.pi)))
    seconds[0] = 90.0
    assert f(10) == pytest.approx(0.0, abs=1e-12)
    no_budget = lr_factor(TrainConfig(lr_schedule="cosine", max_steps=1000, max_minutes=None),
                          lambda: 1e9)
    assert no_budget(500) == pytest.approx(0.5)


def test_cosine_schedule_in_a_run(data, tmp_path):
    r = run(data, tmp_path / "r", lr_schedule="cosine", max_steps=20, eval_every=10)
    rows = [json.loads(line) for line in (r.run / "metrics.jsonl").open()]
    assert rows[0]["lr"] == pytest.approx(0.005) and rows[1]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_detach_and_state_files():
    h = torch.ones(2, 3, requires_grad=True) * 2
    state = [(h, h + 1), (h, h)]
    out = detach(state)
    assert isinstance(out, list) and isinstance(out[0], tuple)
    assert not any(t.requires_grad for pair in out for t in pair)
    flat = state_tensors(out)
    assert sorted(flat) == ["0.0", "0.1", "1.0", "1.1"]
    back = tensors_state(flat)
    assert torch.equal(back[0][1], out[0][1])
    assert tensors_state(state_tensors([h.detach()]))[0].shape == (2, 3)
    assert detach(None) is None


def test_new_run_folder_must_be_new(data, tmp_path):
    run(data, tmp_path / "r", max_steps=2)
    with pytest.raises(ElmanError, match=r"^out: expected a new or empty folder \(use --resume "
                                         r"RUN to continue a run\), got '.*r'"):
        run(data, tmp_path / "r", max_steps=2)


def test_task_registry():
    assert get_task("lm").name == "lm"
    assert {"lm", "classify", "tag", "translate", "frames", "reply", "caption"} <= set(TASKS)
    with pytest.raises(ElmanError, match=r"^task: expected one of \['add', .*'classify', "
                       r".*'translate'.*\], got 'bogus'"):
        get_task("bogus")


# --- configuration ---------------------------------------------------------------------


def test_yaml_config_with_flags_winning(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model:\n  cell: lstm\n  hidden_sizes: [32, 16]\ntrain:\n  lr: 0.01\n"
                 "seq_len: 50\nclip: null\n")
    c = resolve(str(p), {"lr": "0.5", "batch_size": "7"})
    model, tr = c.model, c.train
    assert model.cell == "lstm" and model.hidden_sizes == [32, 16]
    assert tr.lr == 0.5 and tr.seq_len == 50 and tr.batch_size == 7 and tr.clip is None
    assert tr.optimizer == "adam"                                # untouched default


def test_toml_config(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('cell = "elman"\nactivation = "relu"\nhidden_sizes = 8\n\n'
                 '[train]\nbptt = "full"\nmax_minutes = 0.5\n')
    c = resolve(str(p))
    model, tr = c.model, c.train
    assert (model.cell, model.activation, model.hidden_sizes) == ("elman", "relu", [8])
    assert tr.bptt == "full" and tr.max_minutes == 0.5


@pytest.mark.parametrize("text, name, match", [
    ("lr: 0.1\nlearning_rate: 3\n", "c.yaml", r"^config: expected settings of the lm task \(see "
                                              r"elman train --task lm --help\), got unknown key "
                                              r"'learning_rate' from"),
    ("model:\n  width: 3\n", "c.yaml", r"^config: expected model settings of the lm task among "
                                       r".*, got unknown key model.width"),
    ("lr = [\n", "c.toml", r"^config: expected valid YAML or TOML, got '.*c.toml': "),
    ("a: [1\n", "c.yml", r"^config: expected valid YAML or TOML"),
    ("- 1\n- 2\n", "c.yaml", r"^config: expected a mapping of settings, got list"),
    ("lr: 1\n", "c.json", r"^config: expected a file ending in .yaml, .yml or .toml"),
    ("lr: -1\n", "c.yaml", r"^lr: expected a number > 0, got -1.0"),
    ("cell: rnn\n", "c.yaml", r"^cell: expected one of \['elman', 'lstm', 'gru'\], got 'rnn'"),
    ("activation: swish\n", "c.yaml", r"^activation: expected one of \['identity', 'relu', "
                                      r"'sigmoid', 'tanh'\], got 'swish'"),
    ("hidden_sizes: [4, 0]\n", "c.yaml", r"^hidden_sizes: expected positive layer widths"),
    ("batch_size: 2.5\n", "c.yaml", r"^batch_size: expected an integer, got 2.5"),
    ("dropout: 1\n", "c.yaml", r"^dropout: expected a number in \[0, 1\), got 1.0"),
    ("quiet: maybe\n", "c.yaml", r"^quiet: expected true or false, got 'maybe'"),
    ("max_minutes: nan\n", "c.yaml", r"^max_minutes: expected a finite number, got nan"),
])
def test_bad_config_files(tmp_path, text, name, match):
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ElmanError, match=match):
        resolve(str(p))


def test_missing_config_file_and_bad_flag_value(tmp_path):
    with pytest.raises(ElmanError, match=r"^config: expected an existing .yaml, .yml or .toml "
                                         r"file, got '.*nope.yaml'"):
        resolve(str(tmp_path / "nope.yaml"))
    with pytest.raises(ElmanError, match=r"^seq_len: expected an integer, got 'ten'"):
        resolve(None, {"seq_len": "ten"})
    with pytest.raises(ElmanError, match=r"^top_k: expected an integer >= 1, got 0"):
        resolve(None, {"top_k": "0"})


def test_a_setting_of_another_task_is_an_unknown_key_naming_the_task(tmp_path):
    with pytest.raises(ElmanError, match=r"^config: expected settings of the tag task \(see "
                                         r"elman train --task tag --help\), got unknown key "
                                         r"'vectors' from the flags$"):
        resolve(None, {"task": "tag", "vectors": "wordllama"})
    with pytest.raises(ElmanError, match=r"^config: expected settings of the lm task .*, got "
                                         r"unknown key 'pooling'"):
        resolve(None, {"pooling": "max"})
    config = tmp_path / "run.yaml"
    config.write_text("model:\n  char_dim: 32\ntrain:\n  task: tag\n")   # the older sections
    assert resolve(str(config)).options.char_dim == 32                  # its own task
    with pytest.raises(ElmanError, match=r"^config: expected model settings of the classify "
                                         r"task among .*, got unknown key model.char_dim"):
        resolve(str(config), {"task": "classify"})
    sectioned = tmp_path / "task.yaml"
    sectioned.write_text("task:\n  name: digits\n  pooling: mean\ntrain:\n  lr: 0.01\n")
    c = resolve(str(sectioned))
    assert (c.task, c.options.pooling, c.train.lr) == ("digits", "mean", 0.01)


def test_config_dict_round_trip():
    c = resolve(None, {"hidden_sizes": "4,10,20", "clip": "none", "top_k": "5"})
    assert c.model.hidden_sizes == [4, 10, 20] and c.train.clip is None and c.options.top_k == 5
    assert from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert ModelConfig().cell == "gru"


def test_bad_device(data, tmp_path):
    with pytest.raises(ElmanError, match=r"^device: expected a torch device such as cpu, cuda "
                                         r"or cuda:0, got 'toaster'"):
        run(data, tmp_path / "r", device="toaster")
