"""The long-range memory tasks (adding, copy-memory, parity): the generated data against plain
NumPy loops, their chance figures, the inputs users type, seeding, the metrics on
hand-computed outputs, a tiny overfit of each task and the CLI end to end."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from elman.cli import main
from elman.data import long_range
from elman.errors import ElmanError
from elman.models import ManyToMany, ManyToOne
from elman.options import make
from elman.pretrained import load_run
from elman.tasks import get_task, options_class
from elman.tasks.memory import answer_text
from elman.training import resolve, train

pytestmark = pytest.mark.usefixtures("one_thread")


def task(name: str, **options):
    return get_task(name)(make(options_class(name), options))


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- the data --------------------------------------------------------------------------------

def test_adding_marks_one_value_in_each_half_and_answers_their_sum():
    x, y = long_range.Adding(9).draw(200, gen())
    assert x.shape == (200, 9, 2) and y.shape == (200, 1)
    values, marks = x[..., 0].numpy(), x[..., 1].numpy()
    assert ((values >= 0) & (values < 1)).all()
    for b in range(200):
        first, second = np.flatnonzero(marks[b])
        assert first < 4 <= second                          # T // 2 = 4
        assert y[b, 0].item() == pytest.approx(values[b, first] + values[b, second], abs=1e-6)


def test_adding_chance_is_a_sixth():
    _, y = long_range.Adding(10).draw(40_000, gen())
    assert float(((y - 1) ** 2).mean()) == pytest.approx(1 / 6, abs=0.005)


def test_copy_memory_layout():
    p = long_range.CopyMemory(5, symbols=3, memorize=4)
    x, y = p.draw(50, gen())
    assert x.shape == (50, 13, 5) and y.shape == (50, 13)      # T + 2N, K + 2
    ids = x.argmax(-1).numpy()
    for b in range(50):
        symbols = ids[b, :4]
        assert ((symbols >= 1) & (symbols <= 3)).all()
        assert list(ids[b, 4:]) == [0] * 4 + [4] + [0] * 4       # T - 1 blanks, delimiter
        assert list(y[b].numpy()) == [0] * 9 + list(symbols)     # T + N blanks, recall
    assert torch.equal(p.answer(x), y)
    assert torch.equal(x.sum(-1), torch.ones(50, 13))            # one-hot


def test_parity_answer_is_the_sum_mod_2():
    x, y = long_range.Parity(7).draw(300, gen())
    bits = x[..., 0].numpy().astype(int)
    assert set(np.unique(bits)) == {0, 1}
    assert list(y.numpy()) == [int(sum(b)) % 2 for b in bits]
    assert 0.4 < float(y.double().mean()) < 0.6


def test_running_parity_labels_by_hand():
    x = long_range.Parity.parse("0110 1101", "t")[None]
    assert long_range.RunningParity(8).answer(x)[0].tolist() == [0, 1, 0, 0, 1, 0, 0, 1]
    x, y = long_range.RunningParity(6).draw(50, gen())
    assert y.shape == (50, 6)
    assert torch.equal(y[:, -1], long_range.Parity.answer(x))
    assert torch.equal(y, torch.stack([long_range.Parity.answer(x[:, :t + 1])
                                       for t in range(6)], 1))


def test_user_inputs_read_as_the_generated_ones():
    x = long_range.Adding.parse("0.3 0.9* 0.1 0.5*", "t")
    assert torch.equal(x, torch.tensor([[0.3, 0], [0.9, 1], [0.1, 0], [0.5, 1]]))
    assert long_range.Adding.answer(x[None]).item() == pytest.approx(1.4)
    p = long_range.CopyMemory(3, symbols=8, memorize=2)
    x = p.parse("7 2", "t")
    assert x.shape == (7, 10) and p.answer(x[None])[0].tolist() == [0] * 5 + [7, 2]
    assert long_range.Parity.parse("0110 1", "t")[:, 0].tolist() == [0, 1, 1, 0, 1]
    assert long_range.Parity.answer(long_range.Parity.parse("0110 1", "t")[None]).item() == 1


@pytest.mark.parametrize("problem, line, got", [
    (long_range.Adding(4), "0.3 x* 0.5*", "'x*' at t"),
    (long_range.Adding(4), "0.3 1.5* 0.5*", "'1.5*' at t"),
    (long_range.Adding(4), "0.3 0.2* 0.5", "1 marked at t"),
    (long_range.Adding(4), "0.3* 0.2* 0.5*", "3 marked at t"),
    (long_range.CopyMemory(4, 8, 3), "1 2 9", "'9' at t"),
    (long_range.CopyMemory(4, 8, 3), "1 2 x", "'x' at t"),
    (long_range.CopyMemory(4, 8, 3), "1 2", "2 at t"),
    (long_range.Parity(4), "0 1 2", "'0 1 2' at t"),
])
def test_bad_user_inputs_are_named(problem, line, got):
    with pytest.raises(ElmanError, match=f"input: expected .*, got {re.escape(got)}$"):
        problem.parse(line, "t")


def test_lengths_too_short_are_refused():
    with pytest.raises(ElmanError, match=r"length: expected an integer >= 2 \(one marked"):
        long_range.Adding(1)
    with pytest.raises(ElmanError, match=r"length: expected an integer >= 1"):
        long_range.Parity(0)


def test_batches_are_seeded_and_held_out_differs_from_training():
    p = long_range.Adding(6)
    a = list(long_range.Fresh(p, 4, seed=1, per_epoch=3).epoch(0))
    b = list(long_range.Fresh(p, 4, seed=1, per_epoch=3).epoch(0, start=1))
    assert len(a) == 3 and torch.equal(a[1].x, b[0].x) and not torch.equal(a[0].x, a[1].x)
    assert not torch.equal(a[0].x, next(long_range.Fresh(p, 4, seed=2).epoch(0)).x)
    held = long_range.drawn(p, 10, 0, 4)
    assert [x.shape[0] for x, _ in held.batches] == [4, 4, 2] and held.sequences == 10
    again = long_range.drawn(p, 10, 0, 4)
    assert all(torch.equal(x, y) for (x, _), (y, _) in zip(held.batches, again.batches))


def test_inputs_of_several_lengths_are_batched_by_length():
    p = long_range.Parity(3)
    xs = [p.parse(s, "t") for s in ("011", "1", "110", "10", "0")]
    d = long_range.batched(p, xs, 2)
    assert sorted(x.shape[:2] for x, _ in d.batches) == [(1, 2), (2, 1), (2, 3)]
    assert sum(int(y.sum()) for _, y in d.batches) == 2        # "1" and "10" are odd


# --- the metrics -----------------------------------------------------------------------------

def test_adding_scores_by_hand():
    s = task("adding", length=4).scores([torch.tensor([[1.0], [0.5]])],
                                        [torch.tensor([[1.02], [1.5]])])
    assert s["mse"] == s["loss"] == pytest.approx((0.02 ** 2 + 1.0) / 2, rel=1e-5)
    assert s["accuracy"] == 0.5 and s["chance"] == pytest.approx((0.02 ** 2 + 0.25) / 2)


def test_copy_memory_scores_by_hand():
    t = task("copy-memory", length=1, symbols=2, memorize=2)            # 5 steps, 3 classes
    gold = torch.tensor([[0, 0, 0, 1, 2], [0, 0, 0, 2, 2]])
    logits = torch.nn.functional.one_hot(torch.tensor([[0, 0, 0, 1, 2], [0, 0, 0, 1, 2]]),
                                         3).float() * 50
    s = t.scores([logits], [gold])
    assert s["accuracy"] == 0.75 and s["exact_match"] == 0.5
    assert s["loss"] == pytest.approx(50 / 10, rel=1e-3)           # one step wrong by 50 nats
    assert s["chance"] == pytest.approx(2 * np.log(2) / 5)


def test_parity_scores_by_hand():
    s = task("parity", length=3).scores([torch.tensor([[2.0, 0.0], [0.0, 1.0]])],
                                        [torch.tensor([0, 0])])
    assert s["accuracy"] == 0.5
    assert s["loss"] == pytest.approx((np.log1p(np.exp(-2)) + np.log1p(np.exp(1))) / 2)


def test_parity_every_scores_the_final_parity_and_every_step():
    t = task("parity", length=3, target="every")
    gold = [torch.tensor([[1, 0, 0], [0, 0, 1]]), torch.tensor([[1]])]
    guess = [torch.tensor([[1, 1, 0], [0, 0, 0]]), torch.tensor([[1]])]
    found = [torch.nn.functional.one_hot(g, 2).float() * 50 for g in guess]
    s = t.scores(found, gold)                       # batches of two lengths, as --data makes
    assert s["accuracy"] == pytest.approx(2 / 3) and s["step_accuracy"] == pytest.approx(5 / 7)
    assert s["sequences"] == 3 and s["loss"] == pytest.approx(100 / 7, rel=1e-3)
    assert t.answers(found[0].softmax(-1)) == [0, 0]


def test_several_models_answer_their_mean():
    torch.manual_seed(0)
    t, models = task("adding", length=4), [ManyToOne(2, 4, 1), ManyToOne(2, 4, 1)]
    lines = ["0.3 0.9* 0.1 0.5*", "0.2* 0.4*", "0.1 0.3* 0.1 0.5*"]
    one = [t.predict([m], lines) for m in models]
    assert t.predict(models, lines) == pytest.approx([(a + b) / 2 for a, b in zip(*one)])
    x = long_range.Adding.parse(lines[1], "t")[None]
    assert one[0][1] == pytest.approx(models[0].eval()(x).item())


def test_copy_memory_and_parity_answer_the_argmax():
    torch.manual_seed(0)
    copy, m = task("copy-memory", length=3, symbols=4, memorize=2), ManyToMany(6, 8, 5)
    logits = m.eval()(copy.problem.parse("4 1", "t")[None])[0]             # (7, 5)
    assert copy.predict([m], ["4 1"]) == [logits[-2:].argmax(-1).tolist()]
    parity, m = task("parity", length=3), ManyToOne(1, 8, 2)
    found = parity.predict([m], ["011", "1", "1 1 0 1"])
    assert found == [int(m.eval()(long_range.Parity.parse(line, "t")[None]).argmax())
                     for line in ("011", "1", "1 1 0 1")]
    assert answer_text([3, 1]) == "3 1" and answer_text(1) == "1"
    assert answer_text(0.12345678) == "0.123457"


# --- training --------------------------------------------------------------------------------

def overfit(t, model, steps: int, lr: float = 0.02) -> dict:
    """Train on one fixed batch of 16, then score it."""
    torch.manual_seed(0)
    x, y = t.problem.draw(16, gen(3))
    opt = torch.optim.Adam(model.parameters(), lr)
    for _ in range(steps):
        loss, _ = t.loss(model, x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return t.evaluate(model, long_range.Drawn([(x, y)], 16))


def test_each_task_overfits_a_tiny_batch():
    torch.manual_seed(0)
    adding = task("adding", length=4)
    assert overfit(adding, ManyToOne(2, 16, 1, "gru"), 150)["mse"] < 2e-3
    parity = task("parity", length=4)
    assert overfit(parity, ManyToOne(1, 16, 2, "gru"), 150)["accuracy"] == 1.0
    copy = task("copy-memory", length=2, symbols=3, memorize=2)
    assert overfit(copy, ManyToMany(5, 16, 4, "gru"), 200)["exact_match"] == 1.0


@pytest.mark.parametrize("target, model", [("every", ManyToMany), ("end", ManyToOne)])
def test_parity_with_a_target_at_every_step_learns(target, model):
    """150 fresh batches at T=8: the running parity is learnt, the final parity alone is
    not (no subset of fewer than all bits says anything about it)."""
    t = task("parity", length=8, target=target)
    torch.manual_seed(0)
    model = model(1, 16, 2, "gru")
    opt = torch.optim.Adam(model.parameters(), 0.02)
    for x, y in (b[:2] for b in long_range.Fresh(t.problem, 32, per_epoch=150).epoch(0)):
        loss, _ = t.loss(model, x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    s = t.evaluate(model, long_range.drawn(t.problem, 256, 1, 256))
    if target == "every":
        assert s["accuracy"] == 1.0 and s["step_accuracy"] == 1.0
    else:
        assert s["accuracy"] < 0.6


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("adding") / "run"
    config = resolve(None, {"task": "adding", "length": 6, "valid_size": 40, "max_steps": 30,
                            "eval_every": 15, "hidden_sizes": [8], "batch_size": 8,
                            "quiet": True, "out": str(out)})
    return train(config, log=lambda *a: None)


def test_cli_eval_predict_and_export(run, tmp_path, capsys):
    assert main(["eval", str(run.run), "--json"]) == 0
    valid = json.loads(capsys.readouterr().out)
    assert valid["split"] == "valid" and valid["sequences"] == 40
    assert valid["mse"] == pytest.approx(run.task.evaluate(run.model)["mse"], rel=1e-5)
    assert main(["eval", str(run.run), "--split", "test", "--json"]) == 0
    test = json.loads(capsys.readouterr().out)
    assert test["split"] == "test" and test["mse"] != valid["mse"]
    inputs = tmp_path / "in.txt"
    inputs.write_text("0.5 0.5* 0.5 0.5 0.5* 0.5\n\n0.1* 0.2*\n", encoding="utf-8")
    assert main(["eval", str(run.run), "--data", str(inputs)]) == 0
    report = capsys.readouterr().out
    assert report.startswith(f"scored: file {inputs}\nMSE: ") and "(2 sequences)" in report
    assert main(["predict", str(run.run), "--input", str(inputs)]) == 0
    found = [float(v) for v in capsys.readouterr().out.split()]
    assert found == pytest.approx(run.task.predict([run.model], ["0.5 0.5* 0.5 0.5 0.5* 0.5",
                                                                 "0.1* 0.2*"]), abs=1e-5)
    assert main(["predict", str(run.run), "0.1* 0.2 0.3*"]) == 0
    assert len(capsys.readouterr().out.split()) == 1
    assert main(["export", str(run.run), "--format", "numpy", "--out",
                 str(tmp_path / "exp")]) == 0
    usage = json.loads((tmp_path / "exp" / "export.json").read_text())["usage"]
    assert any("0.3 0.9* 0.1 0.5*" in line for line in usage)


def test_the_onnx_export_answers_as_predict(run, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    assert main(["export", str(run.run), "--out", str(tmp_path / "onnx")]) == 0
    session = ort.InferenceSession(str(tmp_path / "onnx" / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    line = "0.5 0.25* 0.5 0.5 0.5* 0.5"
    x = long_range.Adding.parse(line, "t")[None].numpy()
    (y,) = session.run(None, {"x": x, "lengths": np.array([6])})
    assert y[0, 0] == pytest.approx(run.task.predict([run.model], [line])[0], abs=1e-5)


def test_cli_errors_are_one_line(run, tmp_path, capsys):
    (tmp_path / "bad.txt").write_text("0.1* 0.2*\n\n0.1* 0.2\n", encoding="utf-8")
    for args, expected in [
        (["predict", str(run.run), "0.1 0.2"], "input: expected values in [0, 1] separated "
         "by spaces, exactly two marked with *, such as 0.3 0.9* 0.1 0.5*, got 0 marked at "
         "<text>:1"),
        (["eval", str(run.run), "--data", str(tmp_path / "bad.txt")],
         f"data: expected values in [0, 1] separated by spaces, exactly two marked with *, "
         f"such as 0.3 0.9* 0.1 0.5*, got 1 marked at {tmp_path / 'bad.txt'}:3"),
        (["train", "--task", "parity", "--valid", "x.txt", "--out", str(tmp_path / "r")],
         "valid: expected none: the parity task generates its data"),
    ]:
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"elman: error: {expected}"), err


@pytest.fixture(scope="module")
def every(tmp_path_factory):
    """A parity run with --target every, trained a few steps by the CLI: its folder."""
    out = tmp_path_factory.mktemp("every") / "run"
    assert main(["train", "--task", "parity", "--target", "every", "--length", "4",
                 "--valid-size", "16", "--max-steps", "4", "--eval-every", "2",
                 "--hidden-sizes", "4", "--batch-size", "8", "--quiet", "--out", str(out)]) == 0
    return out


def test_cli_parity_every_end_to_end(every, tmp_path, capsys):
    out = every
    capsys.readouterr()
    assert json.loads((out / "config.json").read_text())["task"]["target"] == "every"
    assert main(["eval", str(out), "--json"]) == 0
    valid = json.loads(capsys.readouterr().out)
    assert valid["sequences"] == 16 and 0 <= valid["step_accuracy"] <= 1
    inputs = tmp_path / "in.txt"
    inputs.write_text("0110 1\n1\n10\n", encoding="utf-8")
    assert main(["eval", str(out), "--data", str(inputs)]) == 0
    assert re.search(r"\(chance 50%; 3 sequences\); every step: [\d.]+%",
                     capsys.readouterr().out)
    assert main(["predict", str(out), "--input", str(inputs)]) == 0
    found = [int(v) for v in capsys.readouterr().out.split()]
    run, t = load_run(out)
    assert found == [int(run.model.eval()(long_range.Parity.parse(line, "t")[None])[0, -1]
                         .argmax()) for line in ("0110 1", "1", "10")]
    assert found == t.predict([run.model], ["0110 1", "1", "10"])
    assert main(["export", str(out), "--format", "numpy", "--out", str(tmp_path / "e")]) == 0
    usage = json.loads((tmp_path / "e" / "export.json").read_text())["usage"]
    assert any("y (B, T, 2)" in line for line in usage)


def test_the_onnx_export_of_parity_every_answers_as_predict(every, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    assert main(["export", str(every), "--out", str(tmp_path / "onnx")]) == 0
    session = ort.InferenceSession(str(tmp_path / "onnx" / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    run, t = load_run(every)
    line = "0110 1"
    (y,) = session.run(None, {"x": long_range.Parity.parse(line, "t")[None].numpy(),
                              "lengths": np.array([5])})
    assert y.shape == (1, 5, 2)
    expected = run.model.eval()(long_range.Parity.parse(line, "t")[None])[0].detach().numpy()
    assert np.allclose(y[0], expected, atol=1e-5)
    assert int(y[0, -1].argmax()) == t.predict([run.model], [line])[0]


def test_the_serve_route_of_parity_every_answers_the_final_parity(every):
    testclient = pytest.importorskip("fastapi.testclient")
    from elman.serve.app import Served, build_app
    run, t = load_run(every)
    client = testclient.TestClient(build_app([Served("p", run, t)]))
    lines = ["0110 1", "1", "111"]
    r = client.post("/v1/p/predict", json={"inputs": lines})
    assert r.status_code == 200 and r.json()["outputs"] == t.predict([run.model], lines)


def test_a_parity_run_from_before_target_resumes(tmp_path, capsys):
    """The committed fixture run has no task.target: it loads as "end" and its data's
    fingerprint is unchanged, so it resumes."""
    fixture = Path(__file__).parent / "fixtures" / "v1" / "runs" / "parity"
    assert "target" not in json.loads((fixture / "config.json").read_text())["task"]
    run = tmp_path / "parity"
    shutil.copytree(fixture, run)
    assert main(["train", "--resume", str(run), "--max-steps", "6", "--quiet"]) == 0
    assert json.loads((run / "checkpoint" / "trainer_state.json").read_text())["step"] == 6
    assert load_run(run)[1].options.target == "end"
