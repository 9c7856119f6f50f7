"""TensorBoard event files (``elman.training.board``), read back with tensorboard's own
EventAccumulator: the same numbers as metrics.jsonl, the gradient norm, a language model's
sample; ``--tensorboard false`` and a missing tensorboard package write none."""

import json
import math
import sys

import pytest
import torch

from elman.cli import main
from elman.io import checkpoint
from elman.tasks.lm import generate
from elman.training import resolve
from elman.training.board import MISSING, grad_norm, tag
from elman.training.trainer import resume_config, train

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)

TEXT = "the quick brown fox jumps over the lazy dog. " * 40


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    p = tmp_path_factory.mktemp("data") / "tiny.txt"
    p.write_text(TEXT, encoding="utf-8")
    return str(p)


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """(config, run folder) of 6 steps with a clip too large to act."""
    config = cfg(data, tmp_path_factory.mktemp("runs") / "r", clip=1e9)
    return config, train(config, log=lambda *a: None).run


def cfg(data, out, **kw):
    values = dict(data=data, out=str(out), hidden_sizes=8, embed_dim=4, batch_size=4,
                  dropout=0.0, seq_len=16, max_steps=6, eval_every=2, max_minutes=None,
                  sample_length=12, quiet=True, lr=0.01)
    return resolve(None, {**values, **kw})


def events(run) -> EventAccumulator:
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    return acc


def scalars(acc: EventAccumulator, name: str) -> dict[int, float]:
    return {e.step: e.value for e in acc.Scalars(name)}


def rows(run) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_the_events_hold_the_metrics_rows(trained):
    run = trained[1]
    acc, got = events(run), rows(run)
    assert [r["step"] for r in got] == [2, 4, 6]
    for key in ("train_loss", "valid_loss", "bpc", "perplexity", "lr", "tokens_per_s"):
        assert scalars(acc, tag(key)) == pytest.approx({r["step"]: r[key] for r in got},
                                                       rel=1e-6), key
    assert tag("valid_loss") == "loss/valid" and tag("bpc") == "valid/bpc"
    assert all(v > 0 for v in scalars(acc, "train/grad_norm").values())


def test_the_gradient_norm_is_the_same_clipped_or_not(trained, data, tmp_path):
    """With clip the trainer's pre-clip norm is logged, without it the gradients' own norm:
    a clip too large to act leaves the gradients, so both runs log the same numbers."""
    a = trained[1]
    b = train(cfg(data, tmp_path / "b", clip=None), log=lambda *a: None).run
    norms = scalars(events(a), "train/grad_norm")
    assert norms == pytest.approx(scalars(events(b), "train/grad_norm"), rel=1e-5)
    assert len(norms) == 3


def test_grad_norm_is_the_norm_of_every_gradient():
    model = torch.nn.Linear(3, 2)
    assert grad_norm(model) is None
    model(torch.ones(4, 3)).pow(2).sum().backward()
    flat = torch.cat([p.grad.flatten() for p in model.parameters()])
    assert grad_norm(model) == pytest.approx(math.sqrt(float(flat.pow(2).sum())), rel=1e-6)


def test_a_language_model_logs_its_sample(trained):
    config, run = trained
    samples = {e.step: e.tensor_proto.string_val[0].decode()
               for e in events(run).Tensors("sample/text_summary")}
    assert sorted(samples) == [2, 4, 6]
    ck = checkpoint.load(run / "checkpoint")                     # the model at step 6
    text = "".join(generate(ck.model, ck.vocab, "", 12, 0.8, None, config.train.seed))
    assert samples[6] == f"sample (temperature 0.8):\n{text}\n"


def test_a_resumed_run_drops_the_events_after_its_step(data, tmp_path):
    run = train(cfg(data, tmp_path / "r", max_steps=4), log=lambda *a: None).run
    train(resume_config(run, {"max_steps": 6}), resume=run, log=lambda *a: None)
    assert sorted(scalars(events(run), "loss/train")) == [2, 4, 6]
    assert scalars(events(run), "loss/train") == pytest.approx(
        {r["step"]: r["train_loss"] for r in rows(run)}, rel=1e-6)


def test_tensorboard_false_writes_no_events(data, tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--task", "lm", "--data", data, "--out", str(out), "--max-steps", "2",
                 "--eval-every", "2", "--hidden-sizes", "4", "--sample-length", "0",
                 "--quiet", "--tensorboard", "false"]) == 0
    assert (out / "metrics.jsonl").is_file() and not (out / "tensorboard").exists()


def test_without_the_package_the_run_trains_and_says_so(data, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)    # import fails
    lines = []
    run = train(cfg(data, tmp_path / "r", max_steps=2), log=lines.append).run
    assert MISSING in lines and len(rows(run)) == 1
    assert not (run / "tensorboard").exists()
    assert MISSING.startswith("tensorboard: no event files written")
