"""elman.RNN and the torch losses against the NumPy reference, forward and gradients, float64."""

import numpy as np
import pytest
import torch

from elman import losses, reference
from elman.models import ManyToMany, ManyToOne

CASES = [  # (hidden sizes, activations, lengths or None)
    ([5], ["tanh"], None),
    ([4, 6], ["relu", "sigmoid"], [6, 2, 4]),
    ([5, 3, 4], ["identity", "tanh", "relu"], [1, 6, 5]),
    ([7], ["sigmoid"], [3, 6, 6]),
]
LOSSES = {"cross_entropy": losses.cross_entropy, "mse": losses.mse,
          "binary_cross_entropy": losses.binary_cross_entropy}


def _targets(loss, shape, K, rng):
    if loss == "cross_entropy":
        return rng.integers(0, K, shape)
    if loss == "mse":
        return rng.normal(size=shape + (K,))
    return rng.integers(0, 2, shape + (K,)).astype(float)


def _reference_params(model):
    layers = [{k: getattr(c, k).detach().numpy() for k in ("W_F", "W_R", "b")}
              for c in model.rnn.layers]
    return layers, model.output.weight.detach().numpy(), model.output.bias.detach().numpy()


@pytest.mark.parametrize("many_to_one", [False, True])
@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("sizes,acts,lengths", CASES)
def test_engine_equals_reference(sizes, acts, lengths, loss, many_to_one):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    B, T, I, K = 3, 6, 4, 3
    cls = ManyToOne if many_to_one else ManyToMany
    model = cls(I, sizes, K, activation=acts).double()
    x = rng.normal(size=(B, T, I))
    h0 = [rng.normal(size=(B, H)) * 0.5 for H in sizes]
    y = _targets(loss, (B,) if many_to_one else (B, T), K, rng)

    layers, W_O, b_O = _reference_params(model)
    want, grads = reference.loss_and_gradients(
        x, layers, acts, W_O, b_O, y, loss=loss, h0=h0, lengths=None if lengths is None else np.array(lengths), many_to_one=many_to_one)

    xt = torch.tensor(x, requires_grad=True)
    state = [torch.tensor(h, requires_grad=True) for h in h0]
    lt = None if lengths is None else torch.tensor(lengths)
    out = model(xt, lt, state)
    got = LOSSES[loss](out, torch.tensor(y), None if many_to_one else lt)
    got.backward()
    assert got.item() == pytest.approx(want, rel=1e-12)

    tol = dict(rtol=1e-10, atol=1e-12)
    for l, cell in enumerate(model.rnn.layers):
        for k in ("W_F", "W_R", "b"):
            np.testing.assert_allclose(getattr(cell, k).grad.numpy(), grads[f"layers.{l}.{k}"], **tol)
        np.testing.assert_allclose(state[l].grad.numpy(), grads[f"h0.{l}"], **tol)
    np.testing.assert_allclose(model.output.weight.grad.numpy(), grads["W_O"], **tol)
    np.testing.assert_allclose(model.output.bias.grad.numpy(), grads["b_O"], **tol)
    np.testing.assert_allclose(xt.grad.numpy(), grads["x"], **tol)


@pytest.mark.parametrize("sizes,acts,lengths", CASES)
def test_engine_forward_equals_reference_every_layer(sizes, acts, lengths):
    torch.manual_seed(1)
    model = ManyToMany(4, sizes, 2, activation=acts).double()
    x = np.random.default_rng(1).normal(size=(3, 6, 4))
    lt = None if lengths is None else torch.tensor(lengths)
    cache = reference.rnn_forward(x, _reference_params(model)[0], acts,
                                  lengths=None if lengths is None else np.array(lengths))
    out, finals = model.rnn(torch.tensor(x), lt)
    np.testing.assert_allclose(out.detach().numpy(), cache.a[-1], rtol=0, atol=1e-12)
    for f, want in zip(finals, cache.final):
        np.testing.assert_allclose(f.detach().numpy(), want, rtol=0, atol=1e-12)


def test_float32_engine_is_close_to_reference():
    model = ManyToMany(4, [16, 8], 2)
    x = np.random.default_rng(2).normal(size=(2, 20, 4)).astype(np.float32)
    cache = reference.rnn_forward(x, _reference_params(model)[0], "tanh")
    out, _ = model.rnn(torch.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), cache.a[-1], rtol=0, atol=1e-5)
