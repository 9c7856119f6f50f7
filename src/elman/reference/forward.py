"""The forward pass of a stack of Elman layers, one time step at a time.

For layers l = 1..L (width H_l, H_0 = I the input width) and steps t = 1..T:

    z[l][t] = W_F[l] a[l-1][t] + W_R[l] a[l][t-1] + b[l]
    a[l][t] = f_l(z[l][t])
    a[0][t] = x_t,    a[l][0] = h0[l]  (zeros by default)

Merged form (same numbers): z[l][t] = W[l] [a[l-1][t]; a[l][t-1]] + b[l] with
W[l] = [W_F[l] W_R[l]] of shape (H_l, H_{l-1} + H_l).

Shapes are batch-first and row-vector: x is (B, T, I), so a product W a is written
``a @ W.T`` on (B, H) arrays.

Padding. With ``lengths`` (B,), steps t >= lengths[b] (0-based) of sequence b are padding:

    output  a[l][t] = 0                 (padding never produces an output)
    state   h[l][t] = h[l][t-1]         (the last real state is carried unchanged)

so ``final[l][b]`` is the state of sequence b at its last real step, and the real steps
of a sequence do not depend on how much padding follows them.

Everything is computed in float64, whatever dtype comes in.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import bad
from . import activations as act


@dataclass
class ForwardCache:
    """All a forward pass computed; what ``rnn_backward`` needs.

    x           (B, T, I)        the inputs, float64
    mask        (B, T)           1.0 at real steps, 0.0 at padded steps
    layers      list of L dicts  {"W_F": (H_l, H_{l-1}), "W_R": (H_l, H_l), "b": (H_l,)}, float64
    activations list of L names
    merged      bool             whether z was computed with the merged W = [W_F W_R]
    a           list of L (B, T, H_l)    outputs a[l][t]; 0 at padded steps
    z           list of L (B, T, H_l)    pre-activations z[l][t]; 0 at padded steps
    h           list of L (B, T+1, H_l)  carried states: h[l][:, 0] = h0[l], h[l][:, t+1] the
                                         state after step t (= a[l][t] at a real step, the
                                         previous state at a padded step)
    final       list of L (B, H_l)       final states, = h[l][:, T]
    """

    x: np.ndarray
    mask: np.ndarray
    layers: list
    activations: list
    merged: bool
    a: list
    z: list
    h: list
    final: list

    @property
    def h0(self) -> list:
        """The initial states, list of L (B, H_l)."""
        return [h[:, 0] for h in self.h]


def step_mask(lengths, B: int, T: int) -> np.ndarray:
    """(B, T) float mask: mask[b, t] = 1.0 if t < lengths[b] else 0.0; all ones if lengths is None."""
    if lengths is None:
        return np.ones((B, T))
    lengths = np.asarray(lengths)
    if lengths.shape != (B,) or not np.issubdtype(lengths.dtype, np.integer):
        raise bad("lengths", f"an integer array of shape ({B},)",
                  f"dtype {lengths.dtype}, shape {lengths.shape}")
    if lengths.min() < 1 or lengths.max() > T:
        raise bad("lengths", f"values in 1..{T}", f"min {lengths.min()}, max {lengths.max()}")
    return (np.arange(T)[None, :] < lengths[:, None]).astype(np.float64)


def rnn_forward(x, layers, activations, h0=None, lengths=None, merged=False) -> ForwardCache:
    """Run the stack over x (B, T, I) and return a ForwardCache.

    layers       list of L dicts with "W_F" (H_l, H_{l-1}), "W_R" (H_l, H_l), "b" (H_l,)
    activations  one name for every layer, or a list of L names (see activations.NAMES)
    h0           None (zeros), or a list of L entries, each None or (B, H_l)
    lengths      None (every step real) or (B,) ints in 1..T
    merged       compute z[l][t] = W[l] [a[l-1][t]; a[l][t-1]] + b[l] with W = [W_F W_R]
    """
    x = _as_float(x, "x")
    if x.ndim != 3 or x.shape[1] < 1:
        raise bad("x", "a 3-D array (B, T, I) with T >= 1", f"shape {x.shape}")
    B, T, I = x.shape
    layers = check_layers(layers, I)
    names = check_activations(activations, len(layers))
    states = check_h0(h0, layers, B)
    mask = step_mask(lengths, B, T)

    below = x
    outs, pres, carried = [], [], []
    for layer, name, state in zip(layers, names, states):
        a, z, h = layer_forward(below, layer, name, state, mask, merged)
        outs.append(a)
        pres.append(z)
        carried.append(h)
        below = a
    return ForwardCache(x=x, mask=mask, layers=layers, activations=names, merged=merged,
                        a=outs, z=pres, h=carried, final=[h[:, T] for h in carried])


def layer_forward(below, layer, name, h0, mask, merged=False):
    """One layer over all steps.

    below (B, T, H_{l-1}) the layer's input a[l-1]; h0 (B, H_l); mask (B, T).
    Returns a (B, T, H_l), z (B, T, H_l) and h (B, T+1, H_l) as described in ForwardCache.
    """
    B, T, _ = below.shape
    W_F, W_R, b = layer["W_F"], layer["W_R"], layer["b"]
    H = b.shape[0]
    W = np.concatenate([W_F, W_R], axis=1) if merged else None
    a = np.zeros((B, T, H))
    z = np.zeros((B, T, H))
    h = np.zeros((B, T + 1, H))
    h[:, 0] = h0
    for t in range(T):
        if merged:
            z_t = np.concatenate([below[:, t], h[:, t]], axis=1) @ W.T + b
        else:
            z_t = below[:, t] @ W_F.T + h[:, t] @ W_R.T + b
        a_t = act.apply(name, z_t)
        real = mask[:, t, None] > 0
        z[:, t] = np.where(real, z_t, 0.0)
        a[:, t] = np.where(real, a_t, 0.0)
        h[:, t + 1] = np.where(real, a_t, h[:, t])
    return a, z, h


def output_forward(a_top, W_O, b_O) -> np.ndarray:
    """Linear output layer y = W_O a + b_O.

    a_top (B, T, H) -> (B, T, K)  (many-to-many; padded steps give y = b_O, losses mask them)
    a_top (B, H)    -> (B, K)     (many-to-one, e.g. from ``cache.final[-1]``)
    W_O (K, H), b_O (K,). Softmax / sigmoid / identity are applied by the loss (losses.py).
    """
    a_top = _as_float(a_top, "a_top")
    W_O = _as_float(W_O, "W_O")
    b_O = _as_float(b_O, "b_O")
    if a_top.ndim not in (2, 3):
        raise bad("a_top", "a 2-D (B, H) or 3-D (B, T, H) array", f"shape {a_top.shape}")
    H = a_top.shape[-1]
    if W_O.ndim != 2 or W_O.shape[1] != H:
        raise bad("W_O", f"shape (K, {H})", f"shape {W_O.shape}")
    if b_O.shape != (W_O.shape[0],):
        raise bad("b_O", f"shape ({W_O.shape[0]},)", f"shape {b_O.shape}")
    return a_top @ W_O.T + b_O


# ---------------------------------------------------------------- argument checks


def _as_float(value, argument: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise bad(argument, "a numeric array", type(value).__name__) from None


def check_layers(layers, input_size: int) -> list:
    """Validate the layer dicts against the input width; return float64 copies-or-views."""
    if not isinstance(layers, (list, tuple)) or len(layers) == 0:
        raise bad("layers", "a non-empty list of dicts with W_F, W_R, b", type(layers).__name__)
    checked, below = [], input_size
    for l, layer in enumerate(layers):
        if not isinstance(layer, dict) or not {"W_F", "W_R", "b"} <= set(layer):
            got = sorted(layer) if isinstance(layer, dict) else type(layer).__name__
            raise bad(f"layers[{l}]", "a dict with keys W_F, W_R, b", got)
        W_F = _as_float(layer["W_F"], f"layers[{l}].W_F")
        W_R = _as_float(layer["W_R"], f"layers[{l}].W_R")
        b = _as_float(layer["b"], f"layers[{l}].b")
        if b.ndim != 1:
            raise bad(f"layers[{l}].b", "a 1-D array (H,)", f"shape {b.shape}")
        H = b.shape[0]
        if W_F.shape != (H, below):
            raise bad(f"layers[{l}].W_F", f"shape ({H}, {below})", f"shape {W_F.shape}")
        if W_R.shape != (H, H):
            raise bad(f"layers[{l}].W_R", f"shape ({H}, {H})", f"shape {W_R.shape}")
        checked.append({"W_F": W_F, "W_R": W_R, "b": b})
        below = H
    return checked


def check_activations(activations, L: int) -> list:
    """One name, or a list of L names -> list of L names."""
    if isinstance(activations, str):
        activations = [activations] * L
    if not isinstance(activations, (list, tuple)) or len(activations) != L:
        raise bad("activations", f"one name or a list of {L} names", repr(activations))
    return [act.check(name, f"activations[{l}]") for l, name in enumerate(activations)]


def check_h0(h0, layers: list, B: int) -> list:
    """None or a list of L entries (None or (B, H_l)) -> list of L float64 (B, H_l) arrays."""
    L = len(layers)
    if h0 is None:
        h0 = [None] * L
    if not isinstance(h0, (list, tuple)) or len(h0) != L:
        raise bad("h0", f"None or a list of {L} arrays (B, H_l)", repr(type(h0).__name__))
    states = []
    for l, (state, layer) in enumerate(zip(h0, layers)):
        H = layer["b"].shape[0]
        if state is None:
            states.append(np.zeros((B, H)))
            continue
        state = _as_float(state, f"h0[{l}]")
        if state.shape != (B, H):
            raise bad(f"h0[{l}]", f"shape ({B}, {H})", f"shape {state.shape}")
        states.append(state)
    return states
