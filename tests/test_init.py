"""Initialisation of W_R (elman.nn.init): identity (IRNN), orthogonal, scaled; the default
touches nothing; the trainer initialises every task's model from ModelConfig."""

import numpy as np
import pytest
import torch

from elman.nn import RNN, constrain_recurrent, init_recurrent
from elman.tasks import get_task
from elman.training.config import ModelConfig, TrainConfig
from elman.training.trainer import fresh_model

GATES = {"elman": 1, "lstm": 4, "gru": 3}


@pytest.mark.parametrize("cell", list(GATES))
def test_identity_is_scale_times_eye_per_gate_block(cell):
    rnn = RNN(3, [5, 4], cell, bidirectional=True, recurrent_init="identity",
              recurrent_scale=0.5)
    for c in [*rnn.layers, *rnn.layers_reverse]:
        H = c.hidden_size
        want = torch.cat([0.5 * torch.eye(H)] * GATES[cell])
        assert torch.equal(c.W_R.detach(), want)


@pytest.mark.parametrize("cell", list(GATES))
def test_orthogonal_blocks(cell):
    torch.manual_seed(0)
    rnn = RNN(3, 6, cell, recurrent_init="orthogonal", recurrent_scale=2.0)
    blocks = rnn.layers[0].W_R.detach().split(6)
    assert len(blocks) == GATES[cell]
    for q in blocks:
        torch.testing.assert_close(q @ q.T, 4.0 * torch.eye(6), atol=1e-5, rtol=0)
    assert not torch.equal(blocks[0], 2.0 * torch.eye(6))


def test_uniform_scale_multiplies_torch_init():
    torch.manual_seed(1)
    plain = RNN(3, 4)
    torch.manual_seed(1)
    scaled = RNN(3, 4, recurrent_scale=0.25)
    assert torch.equal(scaled.layers[0].W_R, 0.25 * plain.layers[0].W_R)
    assert torch.equal(scaled.layers[0].W_F, plain.layers[0].W_F)


def test_default_touches_nothing_and_draws_no_random_numbers():
    torch.manual_seed(2)
    rnn = RNN(3, [4, 4], "lstm")
    before = {k: v.clone() for k, v in rnn.state_dict().items()}
    rng = torch.get_rng_state()
    init_recurrent(rnn, "uniform", 1.0)
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(before[k], v) for k, v in rnn.state_dict().items())


def test_irnn_keeps_a_positive_state_without_input():
    """IRNN with relu, W_F = 0 and b = 0: a_t = relu(I a_{t-1}) = a_{t-1} for a >= 0."""
    rnn = RNN(2, 3, activation="relu", recurrent_init="identity")
    with torch.no_grad():
        rnn.layers[0].W_F.zero_()
        rnn.layers[0].b.zero_()
    a0 = torch.tensor([[0.5, 2.0, 0.0]])
    out, _ = rnn(torch.randn(1, 7, 2), state=[a0])
    torch.testing.assert_close(out[0], a0.expand(7, 3), rtol=0, atol=0)


def test_trainer_initialises_every_rnn_of_a_task_model():
    """The sort task's encoder-decoder holds two RNNs: both get scale * I."""
    task = get_task("sort")(get_task("sort").Options())
    task.setup(TrainConfig(max_steps=1))
    net = fresh_model(task, ModelConfig(cell="elman", activation="relu", hidden_sizes=[8],
                                        recurrent_init="identity", recurrent_scale=0.9))
    cells = [m for m in net.modules() if hasattr(m, "W_R")]
    assert len(cells) == 2
    for c in cells:
        torch.testing.assert_close(c.W_R.detach(), 0.9 * torch.eye(c.hidden_size), rtol=0,
                                   atol=0)


@pytest.mark.parametrize("cell", list(GATES))
def test_diagonal_constraint_keeps_each_blocks_diagonal_clipped(cell):
    torch.manual_seed(3)
    rnn = RNN(2, 3, cell, recurrent_init="orthogonal", recurrent_scale=3.0)
    before = rnn.layers[0].W_R.detach().clone()
    constrain_recurrent(rnn, "diagonal")
    for old, new in zip(before.split(3), rnn.layers[0].W_R.detach().split(3)):
        want = torch.diag(torch.tensor([min(max(float(old[i, i]), -1.0), 1.0)
                                        for i in range(3)]))
        assert torch.equal(new, want)
    assert (before.abs() > 1).any()              # something was clipped


def test_no_constraint_touches_nothing():
    rnn = RNN(2, 3)
    before = rnn.layers[0].W_R.detach().clone()
    constrain_recurrent(rnn, "none")
    assert torch.equal(rnn.layers[0].W_R, before)


def test_indrnn_is_an_elementwise_recurrence():
    """With W_R = diag(u), the Elman cell computes a_t = relu(W_F x_t + u * a_{t-1} + b),
    checked against the loop written with NumPy."""
    torch.manual_seed(4)
    rnn = RNN(2, 4, activation="relu", recurrent_init="orthogonal")
    constrain_recurrent(rnn, "diagonal")
    x = torch.randn(3, 9, 2)
    out, _ = rnn(x)
    c = rnn.layers[0]
    W, u, b = (t.detach().double().numpy() for t in (c.W_F, c.W_R.diagonal(), c.b))
    a = np.zeros((3, 4))
    for t in range(9):
        a = np.maximum(x[:, t].double().numpy() @ W.T + u * a + b, 0.0)
        np.testing.assert_allclose(out[:, t].detach().numpy(), a, rtol=1e-5, atol=1e-6)


def test_trainer_keeps_the_constraint_through_training(tmp_path):
    """A high learning rate pushes the diagonal past 1 and fills the off-diagonal unless the
    trainer projects after every step: after training W_R is diagonal within [-1, 1] and has
    moved from the identity."""
    from elman.training import resolve, train
    config = resolve(None, {"task": "adding", "length": 20, "cell": "elman",
                            "activation": "relu", "recurrent_init": "identity",
                            "recurrent_constraint": "diagonal", "hidden_sizes": [8],
                            "lr": 0.05, "max_steps": 20, "valid_size": 16, "batch_size": 8,
                            "quiet": True, "out": str(tmp_path / "run")})
    result = train(config, log=lambda *a: None)
    W = result.model.rnn.layers[0].W_R.detach()
    assert torch.equal(W, torch.diag(W.diagonal()))
    assert W.diagonal().abs().max() <= 1.0
    assert not torch.equal(W, torch.eye(8))


def test_indrnn_init_forgets_below_and_keeps_on_top():
    """Every layer but the top: diag(u), u in [0, 1) and not all alike, torch's W_F and b;
    the top: I, W_F and b 100 times smaller; both directions."""
    torch.manual_seed(5)
    plain = RNN(2, [6, 6, 5], activation="relu", bidirectional=True)
    torch.manual_seed(5)
    rnn = RNN(2, [6, 6, 5], activation="relu", bidirectional=True, recurrent_init="indrnn")
    for stack, old in ((rnn.layers, plain.layers), (rnn.layers_reverse, plain.layers_reverse)):
        for c, o in zip(stack[:-1], old[:-1]):
            u = c.W_R.detach().diagonal()
            assert torch.equal(c.W_R.detach(), torch.diag(u))
            assert 0 <= u.min() and u.max() < 1 and u.std() > 0.05
            assert torch.equal(c.W_F, o.W_F) and torch.equal(c.b, o.b)
        assert torch.equal(stack[-1].W_R.detach(), torch.eye(5))
        torch.testing.assert_close(stack[-1].W_F, 0.01 * old[-1].W_F)
        torch.testing.assert_close(stack[-1].b, 0.01 * old[-1].b)


def test_input_scale_multiplies_every_cells_w_f_and_b():
    torch.manual_seed(7)
    plain = RNN(2, [6, 5], "gru")
    torch.manual_seed(7)
    rnn = RNN(2, [6, 5], "gru", input_scale=0.5)
    for c, o in zip(rnn.layers, plain.layers):
        torch.testing.assert_close(c.W_F, 0.5 * o.W_F)
        torch.testing.assert_close(c.b, 0.5 * o.b)
        assert torch.equal(c.W_R, o.W_R) and torch.equal(c.b_Rn, o.b_Rn)


@pytest.mark.parametrize("cell,keep,against", [("lstm", 1, 0), ("gru", 1, None)])
def test_chrono_sets_the_keeping_gates_bias(cell, keep, against):
    """LSTM: b_f = log U(1, T-1), b_i = -b_f; GRU: b_z = log U(1, T-1); the rest untouched.
    A unit with bias log(k) keeps about k steps: 1 - sigmoid(log k) = 1 / (1 + k)."""
    torch.manual_seed(6)
    plain = RNN(2, 50, cell)
    torch.manual_seed(6)
    rnn = RNN(2, 50, cell, chrono=600)
    old, new = plain.layers[0].b.detach().split(50), rnn.layers[0].b.detach().split(50)
    times = new[keep].exp()
    assert 1 <= times.min() and times.max() <= 599 and times.max() > 100
    if against is not None:
        assert torch.equal(new[against], -new[keep])
    rest = [g for g in range(len(new)) if g not in (keep, against)]
    assert all(torch.equal(new[g], old[g]) for g in rest)
    assert torch.equal(rnn.layers[0].W_R, plain.layers[0].W_R)


def test_chrono_refuses_the_elman_cell():
    with pytest.raises(Exception, match="chrono: expected 0, or an integer >= 3 for a gated"):
        RNN(2, 4, "elman", chrono=100)
