"""Checking backpropagation against central finite differences.

    dL/dθ_i ≈ (L(θ + ε e_i) - L(θ - ε e_i)) / (2 ε)        error O(ε^2)

``loss_and_gradients`` is the whole model as one function (stack, output layer, loss,
and their hand-written backward passes); ``check_gradients`` compares every one of its
gradients with ``numerical_gradient``. Use float64 arrays: in float32 the differences
drown in rounding error.
"""

import numpy as np

from ..errors import bad
from . import losses
from .bptt import output_backward, rnn_backward
from .forward import output_forward, rnn_forward

LOSSES = {
    "cross_entropy": losses.cross_entropy,
    "mse": losses.mse,
    "binary_cross_entropy": losses.binary_cross_entropy,
}


def numerical_gradient(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f() with respect to every entry of ``array``.

    ``array`` (float64, any shape) is modified in place, one entry at a time, and restored;
    f takes no arguments and must read ``array`` when called. Returns an array of its shape.
    """
    if not isinstance(array, np.ndarray) or array.dtype != np.float64:
        raise bad("array", "a float64 numpy array (it is perturbed in place)",
                  getattr(array, "dtype", type(array).__name__))
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        original = array[i]
        array[i] = original + eps
        up = f()
        array[i] = original - eps
        down = f()
        array[i] = original
        grad[i] = (up - down) / (2.0 * eps)
    return grad


def relative_error(analytic, numeric) -> float:
    """max_i |analytic_i - numeric_i| / max(max_i |analytic_i|, max_i |numeric_i|).

    The largest entrywise difference relative to the scale of the gradient (0.0 when both
    are all zeros); tiny entries, where finite differences are mostly rounding noise,
    do not dominate it.
    """
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
    if scale == 0.0:
        return 0.0
    return float(np.abs(analytic - numeric).max() / scale)


def loss_and_gradients(x, layers, activations, W_O, b_O, targets, loss="cross_entropy",
                       h0=None, lengths=None, many_to_one=False, merged=False):
    """L and dL/d(every parameter and input) of stack + output layer + loss.

    Many-to-many: y = output_forward(a[L]) (B, T, K), loss over the real steps.
    Many-to-one:  y = output_forward(final[L]) (B, K), targets (B,) or (B, K).
    loss is one of LOSSES. Returns (L, grads) with grads a flat dict:
    "layers.{l}.W_F", "layers.{l}.W_R", "layers.{l}.b", "W_O", "b_O", "x", "h0.{l}".
    """
    value, cache, top, d_y = _model_forward(x, layers, activations, W_O, b_O, targets, loss,
                                            h0, lengths, many_to_one, merged)
    dW_O, db_O, d_top = output_backward(top, W_O, d_y)
    if many_to_one:
        d_final = [None] * (len(cache.layers) - 1) + [d_top]
        grads = rnn_backward(cache, d_final=d_final)
    else:
        grads = rnn_backward(cache, d_a_top=d_top)
    flat = grads.flat()
    flat["W_O"], flat["b_O"] = dW_O, db_O
    return value, flat


def _model_forward(x, layers, activations, W_O, b_O, targets, loss, h0, lengths,
                   many_to_one, merged):
    """Forward pass and loss: (L, cache, top outputs used, dL/dy)."""
    if loss not in LOSSES:
        raise bad("loss", f"one of {', '.join(LOSSES)}", repr(loss))
    cache = rnn_forward(x, layers, activations, h0=h0, lengths=lengths, merged=merged)
    top = cache.final[-1] if many_to_one else cache.a[-1]
    y = output_forward(top, W_O, b_O)
    value, d_y = LOSSES[loss](y, targets, None if many_to_one else cache.mask)
    return value, cache, top, d_y


def check_gradients(x, layers, activations, W_O, b_O, targets, loss="cross_entropy",
                    h0=None, lengths=None, many_to_one=False, merged=False, eps=1e-6) -> dict:
    """relative_error between backpropagation and central differences, per gradient name.

    Same arguments as ``loss_and_gradients``; x, every layer array, W_O, b_O and every h0
    entry must be float64 numpy arrays (they are perturbed in place and restored).
    h0=None checks the gradient with respect to a zero initial state.
    Returns {name: max relative error} with the names of ``loss_and_gradients``.
    """
    if h0 is None:
        B = np.shape(x)[0]
        h0 = [np.zeros((B, np.shape(layer["b"])[0])) for layer in layers]

    def f():
        return _model_forward(x, layers, activations, W_O, b_O, targets, loss, h0,
                              lengths, many_to_one, merged)[0]

    _, analytic = loss_and_gradients(x, layers, activations, W_O, b_O, targets, loss, h0,
                                     lengths, many_to_one, merged)
    arrays = {"x": x, "W_O": W_O, "b_O": b_O}
    for l, layer in enumerate(layers):
        for key in ("W_F", "W_R", "b"):
            arrays[f"layers.{l}.{key}"] = layer[key]
        arrays[f"h0.{l}"] = h0[l]
    return {name: relative_error(analytic[name], numerical_gradient(f, array, eps))
            for name, array in arrays.items()}
