"""Initialisation of W_R (elman.nn.init): identity (IRNN), orthogonal, scaled; the default
touches nothing; the trainer initialises every task's model from ModelConfig."""

import pytest
import torch

from elman.nn import RNN, init_recurrent
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
