"""Backpropagation through time, written out by hand.

Notation: for any quantity q, dq = dL/dq. For layer l, run t = T..1 backwards with a
carried gradient g = dL/dh[l][t] of the state leaving step t (g = d final[l] at t = T):

    da[l][t]  = m_t (d out[l][t] + g)                  m_t = 1 at a real step, 0 at padding
    dz[l][t]  = da[l][t] * f_l'(z[l][t])
    dW_F[l]  += dz[l][t]^T a[l-1][t]       dW_R[l] += dz[l][t]^T h[l][t-1]     db[l] += sum_b dz[l][t]
    d out[l-1][t] = dz[l][t] W_F[l]                    (the layer below's output gradient)
    g        <- dz[l][t] W_R[l] + (1 - m_t) g          (a padded step passes its state through)

and finally dh0[l] = g. Layers are processed top to bottom, since the gradient of layer
l-1's outputs is only complete once layer l is done; d out[0] is dx. "d out" of the top
layer is the given dL/da_top; an output at a padded step is the constant 0, so its
gradient is ignored.

With the merged form, dW[l] = sum_t dz[l][t]^T [a[l-1][t]; h[l][t-1]] and
[d out[l-1][t], dh] = dz[l][t] W[l]; the results are the same, split into W_F and W_R.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import bad
from . import activations as act
from .forward import ForwardCache


@dataclass
class Gradients:
    """dL/d(everything) of a stack.

    layers  list of L dicts {"W_F": (H_l, H_{l-1}), "W_R": (H_l, H_l), "b": (H_l,)}
    x       (B, T, I)        zero at padded steps
    h0      list of L (B, H_l)
    """

    layers: list
    x: np.ndarray
    h0: list

    def flat(self) -> dict:
        """Flat dict: "layers.{l}.W_F", "layers.{l}.W_R", "layers.{l}.b", "x", "h0.{l}"."""
        out = {}
        for l, grads in enumerate(self.layers):
            for key in ("W_F", "W_R", "b"):
                out[f"layers.{l}.{key}"] = grads[key]
        out["x"] = self.x
        for l, g in enumerate(self.h0):
            out[f"h0.{l}"] = g
        return out


def rnn_backward(cache: ForwardCache, d_a_top=None, d_final=None) -> Gradients:
    """Gradients of a loss L given dL/d(top outputs) and dL/d(final states).

    d_a_top  None (no loss on the outputs) or (B, T, H_L): dL/da[L][t]
    d_final  None, or a list of L entries, each None or (B, H_l): dL/dfinal[l]
             (many-to-one: d_final = [None, ..., dL/dfinal[L]])
    """
    B, T, _ = cache.x.shape
    L = len(cache.layers)
    d_out = _check_grad(d_a_top, (B, T, cache.a[-1].shape[2]), "d_a_top")
    if d_final is None:
        d_final = [None] * L
    if not isinstance(d_final, (list, tuple)) or len(d_final) != L:
        raise bad("d_final", f"None or a list of {L} entries", repr(type(d_final).__name__))

    layer_grads, h0_grads = [None] * L, [None] * L
    for l in reversed(range(L)):
        H = cache.layers[l]["b"].shape[0]
        d_last = _check_grad(d_final[l], (B, H), f"d_final[{l}]")
        below = cache.a[l - 1] if l > 0 else cache.x
        layer_grads[l], d_out, h0_grads[l] = layer_backward(
            cache, l, below, d_out, d_last)
    return Gradients(layers=layer_grads, x=d_out, h0=h0_grads)


def layer_backward(cache: ForwardCache, l: int, below, d_out, d_last):
    """Backward through layer l over all steps (see the module docstring).

    below (B, T, H_{l-1}) the layer's input; d_out (B, T, H_l) dL/d outputs;
    d_last (B, H_l) dL/d final state. Returns ({"W_F", "W_R", "b"}, d_below (B, T, H_{l-1}),
    d_h0 (B, H_l)).
    """
    layer, name, mask = cache.layers[l], cache.activations[l], cache.mask
    a, h = cache.a[l], cache.h[l]
    W_F, W_R = layer["W_F"], layer["W_R"]
    W = np.concatenate([W_F, W_R], axis=1)
    n_below = W_F.shape[1]
    B, T, _ = below.shape

    dW = np.zeros_like(W)
    db = np.zeros_like(layer["b"])
    d_below = np.zeros_like(below)
    g = d_last.copy()
    for t in reversed(range(T)):
        m = mask[:, t, None]
        da = m * (d_out[:, t] + g)
        dz = da * act.derivative(name, a[:, t])
        db += dz.sum(axis=0)
        if cache.merged:
            dW += dz.T @ np.concatenate([below[:, t], h[:, t]], axis=1)
            d_inputs = dz @ W
            d_below[:, t], d_h = d_inputs[:, :n_below], d_inputs[:, n_below:]
        else:
            dW[:, :n_below] += dz.T @ below[:, t]
            dW[:, n_below:] += dz.T @ h[:, t]
            d_below[:, t], d_h = dz @ W_F, dz @ W_R
        g = d_h + (1.0 - m) * g
    grads = {"W_F": dW[:, :n_below], "W_R": dW[:, n_below:], "b": db}
    return grads, d_below, g


def output_backward(a_top, W_O, d_y):
    """Backward through y = W_O a + b_O.

    a_top (B, T, H) with d_y (B, T, K), or a_top (B, H) with d_y (B, K).
    Returns dW_O (K, H) = sum d_y^T a, db_O (K,) = sum d_y, d_a_top = d_y W_O (shape of a_top).
    """
    a_top = np.asarray(a_top, dtype=np.float64)
    W_O = np.asarray(W_O, dtype=np.float64)
    d_y = np.asarray(d_y, dtype=np.float64)
    if d_y.shape != a_top.shape[:-1] + (W_O.shape[0],):
        raise bad("d_y", f"shape {a_top.shape[:-1] + (W_O.shape[0],)}", f"shape {d_y.shape}")
    H, K = a_top.shape[-1], W_O.shape[0]
    dW_O = d_y.reshape(-1, K).T @ a_top.reshape(-1, H)
    db_O = d_y.reshape(-1, K).sum(axis=0)
    return dW_O, db_O, d_y @ W_O


def _check_grad(g, shape, argument: str) -> np.ndarray:
    """None -> zeros of shape; otherwise a float64 array that must have that shape."""
    if g is None:
        return np.zeros(shape)
    g = np.asarray(g, dtype=np.float64)
    if g.shape != shape:
        raise bad(argument, f"shape {shape}", f"shape {g.shape}")
    return g
