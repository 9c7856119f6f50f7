"""Gradient-flow diagnostics (elman.diagnose, elman.inside.recording): the issue's two
curves against the spectral-norm bound, dL/da_t against finite differences, the loss "at
the end", the step Jacobians against the hand-written ones, the CLI on committed fixture
runs and the trainer's --diagnose-every."""

import json
import math

import numpy as np
import pytest
import safetensors.torch
import torch
from torch import nn

from elman import RNN
from elman.cli import main
from elman.diagnose import (
    first_batch,
    fit_rate,
    gradient_flow,
    jacobian_steps,
    spectral_norms,
    step_jacobian,
)
from elman.inside import at_end, recording
from elman.training import resolve, train

FIXTURES = "tests/fixtures"


class Last(nn.Module):
    """An RNN and a linear read-out of its top layer's last step: a many-to-one model."""

    def __init__(self, I, H, *, activation="tanh", cell="elman"):
        super().__init__()
        self.rnn = RNN(I, H, cell=cell, activation=activation).double()
        self.out = nn.Linear(self.rnn.output_size, 1).double()

    def forward(self, x, lengths=None):
        h, _ = self.rnn(x, lengths)                                    # (B, T, H)
        return self.out(h[:, -1])                                      # (B, 1)


def with_spectral_norm(W: torch.Tensor, norm: float) -> torch.Tensor:
    return W * (norm / torch.linalg.matrix_norm(W, ord=2))


def test_tanh_elman_with_spectral_norm_one_half_decays_at_least_geometrically():
    """||dL/da_{t-1}|| = ||W_R^T diag(f'(z_t)) dL/da_t|| <= 0.5 ||dL/da_t|| for every t, so
    the curve falls at least by half per step back; the fitted rate and every step
    Jacobian's singular values sit under the bound."""
    torch.manual_seed(0)
    model, T = Last(3, 8), 12
    cell = model.rnn.layers[0]
    with torch.no_grad():
        cell.W_R.copy_(with_spectral_norm(torch.randn(8, 8, dtype=torch.float64), 0.5))
    x = torch.randn(5, T, 3, dtype=torch.float64)
    report = gradient_flow(model, lambda m: m(x).square().mean(), jacobians=T)
    layer = report["layers"]["rnn.layers.0"]
    norms = np.array(layer["norms"])
    assert layer["W_R"] == pytest.approx(0.5) and layer["gates"] == {"a": pytest.approx(0.5)}
    assert len(norms) == T and np.all(norms > 0)
    assert np.all(norms[:-1] <= 0.5 * norms[1:] * (1 + 1e-12))
    assert norms[0] <= 0.5 ** (T - 1) * norms[-1]
    assert layer["rate"] <= 0.5
    sigmas = [j["singular_values"][0] for j in layer["jacobians"]]
    assert len(sigmas) == T and max(sigmas) <= 0.5 + 1e-12


def test_linear_elman_with_spectral_norm_one_and_a_half_grows_by_that_factor():
    """Identity activation and W_R = 1.5 Q, Q orthogonal: every step Jacobian is W_R, all its
    singular values 1.5, so ||dL/da_t|| grows by exactly 1.5 per step back."""
    torch.manual_seed(1)
    model, T = Last(3, 6, activation="identity"), 10
    Q = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))[0]
    with torch.no_grad():
        model.rnn.layers[0].W_R.copy_(1.5 * Q)
    x = torch.randn(4, T, 3, dtype=torch.float64)
    layer = gradient_flow(model, lambda m: m(x).square().mean())["layers"]["rnn.layers.0"]
    norms = np.array(layer["norms"])
    assert norms[:-1] / norms[1:] == pytest.approx(np.full(T - 1, 1.5), rel=1e-9)
    assert layer["rate"] == pytest.approx(1.5, rel=1e-9)
    for j in layer["jacobians"]:
        assert j["singular_values"] == pytest.approx([1.5] * 3, rel=1e-9)


def test_gradient_norms_match_finite_differences_through_two_layers():
    """||dL/da_t|| of each layer, L the task-style loss of every step's output, against
    central differences of L in a_t: a perturbation added to a_t in a hand-written loop of the
    cell equations."""
    torch.manual_seed(2)
    rnn = RNN(2, [3, 4]).double()
    head = nn.Linear(4, 1).double()
    x = torch.randn(2, 5, 2, dtype=torch.float64)

    def loss_of(model):
        h, _ = model(x)
        return head(h).square().mean()

    got = gradient_flow(rnn, loss_of, end=False)["layers"]

    def perturbed(l0, t0, delta):                          # delta (B, H_l0) added to a_t0
        below = x
        for l, cell in enumerate(rnn.layers):
            a, steps = torch.zeros(2, cell.hidden_size, dtype=torch.float64), []
            for t in range(5):
                a = torch.tanh(below[:, t] @ cell.W_F.T + a @ cell.W_R.T + cell.b)
                a = a + delta if (l, t) == (l0, t0) else a
                steps.append(a)
            below = torch.stack(steps, dim=1)
        return float(head(below).square().mean())

    eps = 1e-6
    with torch.no_grad():
        for l, H in enumerate([3, 4]):
            for t in range(5):
                grad = torch.zeros(2, H, dtype=torch.float64)
                for b in range(2):
                    for h in range(H):
                        d = torch.zeros(2, H, dtype=torch.float64)
                        d[b, h] = eps
                        grad[b, h] = (perturbed(l, t, d) - perturbed(l, t, -d)) / (2 * eps)
                assert got[f"layers.{l}"]["norms"][t] == pytest.approx(float(grad.norm()),
                                                                       rel=1e-6)


def test_the_loss_at_the_end_is_the_loss_of_each_sequences_last_real_step():
    """end=True on a loss over every step (with padding) gives the norms of a loss of each
    sequence's last real output alone, and leaves the forward values unchanged."""
    torch.manual_seed(3)
    rnn = RNN(2, 4).double()
    x = torch.randn(3, 6, 2, dtype=torch.float64)
    lengths = torch.tensor([6, 4, 2])
    every = gradient_flow(rnn, lambda m: m(x, lengths)[0].sum(), end=True)
    last = gradient_flow(rnn, lambda m: m(x, lengths)[0][torch.arange(3), lengths - 1].sum(),
                         end=False)
    assert every["layers"]["layers.0"]["norms"] == pytest.approx(
        last["layers"]["layers.0"]["norms"], rel=1e-12)
    with torch.no_grad():
        assert every["loss"] == pytest.approx(float(rnn(x, lengths)[0].sum()), rel=1e-12)
    out = torch.randn(3, 6, 2, requires_grad=True)
    kept = at_end(out, lengths)
    assert torch.equal(kept, out)
    (g,) = torch.autograd.grad(kept.sum(), out)
    assert g.sum(-1).tolist() == [[0, 0, 0, 0, 0, 2], [0, 0, 0, 2, 0, 0], [0, 2, 0, 0, 0, 0]]


def test_step_jacobians_against_the_hand_written_ones():
    """Elman: diag(1 - a_t^2) W_R. LSTM: (2H, 2H) of [h; c], against central differences of
    one step of the cell."""
    torch.manual_seed(4)
    for cell_name in ("elman", "lstm"):
        rnn = RNN(2, 3, cell=cell_name).double()
        cell = rnn.layers[0]
        x = torch.randn(2, 4, 2, dtype=torch.float64)
        with recording(rnn) as tape:
            rnn(x)
        step = tape["layers.0"][2]
        J = step_jacobian(cell, step, index=1)
        if cell_name == "elman":
            a = step.a[1].detach()
            want = torch.diag(1 - a ** 2) @ cell.W_R.detach()
        else:
            s = torch.cat(step.before, -1)[1:2].detach()
            xz = step.xz[1:2].detach()
            cols = []
            with torch.no_grad():
                for k in range(6):
                    d = torch.zeros_like(s)
                    d[0, k] = 1e-6
                    plus = torch.cat(cell.step(xz, tuple((s + d).chunk(2, -1))), -1)
                    minus = torch.cat(cell.step(xz, tuple((s - d).chunk(2, -1))), -1)
                    cols.append(((plus - minus) / 2e-6)[0])
            want = torch.stack(cols, dim=1)
        assert J.shape == want.shape and torch.allclose(J, want, atol=1e-8)


def test_spectral_norms_per_gate_block_and_the_steps_taken():
    cell = RNN(2, 3, cell="lstm").layers[0]
    got = spectral_norms(cell)
    W = cell.W_R.detach().numpy()
    assert got["W_R"] == pytest.approx(np.linalg.norm(W, 2), rel=1e-5)
    assert list(got["gates"]) == ["i", "f", "g", "o"]
    assert got["gates"]["f"] == pytest.approx(np.linalg.norm(W[3:6], 2), rel=1e-5)
    assert jacobian_steps(10, 4) == [0, 3, 6, 9] and jacobian_steps(2, 4) == [0, 1]
    assert jacobian_steps(5, 0) == []
    assert fit_rate([1.0, 2.0, 4.0, 0.0]) == pytest.approx(0.5)
    assert fit_rate([0.0, 3.0]) is None and fit_rate([8.0, 4.0, 2.0]) == pytest.approx(2.0)


def test_first_batch_is_epoch_zeros_first_or_none():
    class Batches:
        def __init__(self, items):
            self.items = items

        def epoch(self, epoch, start=0):
            assert epoch == 0
            return iter(self.items)
    assert first_batch(Batches(["a", "b"])) == "a" and first_batch(Batches([])) is None


def test_recording_restores_the_model_and_changes_no_value():
    torch.manual_seed(5)
    rnn = RNN(2, [3, 3], cell="gru", bidirectional=True)
    x = torch.randn(2, 5, 2)
    want, _ = rnn(x)
    with recording(rnn, end=True) as tape:
        got, _ = rnn(x)
        assert rnn.backend == "loop"
    assert list(tape) == ["layers.0", "layers_reverse.0", "layers.1", "layers_reverse.1"]
    assert all(len(steps) == 5 for steps in tape.values())
    assert torch.allclose(got, want, atol=1e-6) and rnn.backend == "auto"
    assert "step" not in vars(rnn.layers[0]) and not rnn._forward_hooks
    assert not rnn._forward_pre_hooks


@pytest.mark.parametrize("name, layers", [
    ("v0/runs/lm", ["rnn.layers.0"]),
    ("v0/runs/translate", ["encoder.layers.0", "decoder.rnn.layers.0"]),
    ("v1/runs/reply", ["message.rnn.layers.0", "reply.rnn.layers.0"]),  # was an AttributeError
    ("v1/runs/caption", ["caption.decoder.rnn.layers.0"]),
])
def test_cli_diagnoses_a_committed_fixture_run(name, layers, tmp_path, capsys):
    plot, report = tmp_path / "d.png", tmp_path / "d.json"
    assert main(["diagnose", f"{FIXTURES}/{name}", "--plot", str(plot), "--report",
                 str(report), "--jacobians", "2"]) == 0
    got = json.loads(report.read_text())
    assert list(got["layers"]) == layers and got["end"] is True
    for layer in got["layers"].values():
        assert len(layer["jacobians"]) == 2 and all(math.isfinite(v) for v in layer["norms"])
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert out.startswith("loss (end): ") and all(k in out for k in layers)


def test_train_records_diagnostics_every_n_steps_and_trains_the_same_weights(tmp_path):
    data = tmp_path / "tiny.txt"
    data.write_text("the quick brown fox jumps over the lazy dog. " * 20, encoding="utf-8")

    def run(out, **kw):
        config = resolve(None, dict(data=str(data), out=str(tmp_path / out), hidden_sizes=8,
                                    embed_dim=4, batch_size=2, seq_len=8, max_steps=4,
                                    eval_every=4, sample_length=0, quiet=True, **kw))
        return train(config, log=lambda *a: None).run

    plain, diagnosed = run("plain"), run("diagnosed", diagnose_every=2)
    rows = [json.loads(line) for line in
            (diagnosed / "diagnostics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [2, 4]
    assert len(rows[0]["layers"]["rnn.layers.0"]["norms"]) == 8
    assert not (plain / "diagnostics.jsonl").exists()
    a, b = (safetensors.torch.load_file(str(r / "checkpoint" / "model.safetensors"))
            for r in (plain, diagnosed))
    assert all(torch.equal(a[k], b[k]) for k in a)
