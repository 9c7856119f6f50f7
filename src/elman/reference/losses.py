"""Losses as (value, gradient with respect to the logits / outputs) pairs.

Every loss is a per-step loss l(b, t), summed over the real steps of each sequence and
averaged over the B sequences:

    L = (1/B) sum_b sum_t m[b, t] l(b, t)          m = mask, 1 at real steps, 0 at padding

so the gradient at step (b, t) is m[b, t] / B times the per-step gradient, and padded
steps (whatever their targets hold) contribute nothing.

    cross_entropy         l = -log softmax(y)[k]                dl/dy = softmax(y) - onehot(k)
    binary_cross_entropy  l = sum_k [log(1 + e^y_k) - t_k y_k]  dl/dy = sigmoid(y) - t
    mse                   l = sum_k (y_k - t_k)^2               dl/dy = 2 (y - t)
                          (no 1/2, not averaged over steps or features)

Many-to-one: inputs without a T axis, logits (B, K) with targets (B,) for cross_entropy
or (B, K) otherwise, are treated as sequences of one step (T = 1): the loss is averaged
over the B sequences, the gradient comes back as (B, K), and ``mask`` may be None or (B,).
"""

import numpy as np

from ..errors import bad
from .activations import sigmoid


def log_softmax(y: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, via log-sum-exp: y - max - log sum e^(y - max)."""
    shifted = y - y.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(y: np.ndarray) -> np.ndarray:
    """softmax over the last axis."""
    return np.exp(log_softmax(np.asarray(y, dtype=np.float64)))


def cross_entropy(logits, targets, mask=None):
    """Softmax cross-entropy. logits (B, T, K), targets (B, T) ints in 0..K-1; mask (B, T) or None.

    Targets at padded steps are ignored (any value). Returns (L, dL/dlogits (B, T, K)).
    """
    y, squeeze = _steps(logits, "logits")
    B, T, K = y.shape
    k = np.asarray(targets)
    k = k[:, None] if squeeze and k.ndim == 1 else k
    if k.shape != (B, T) or not np.issubdtype(k.dtype, np.integer):
        want = f"({B},)" if squeeze else f"({B}, {T})"
        raise bad("targets", f"an integer array of shape {want}", f"dtype {k.dtype}, shape {k.shape}")
    m = _mask(mask, B, T, squeeze)
    real = m > 0
    if np.any((k[real] < 0) | (k[real] >= K)):
        raise bad("targets", f"class indices in 0..{K - 1} at real steps",
                  f"min {k[real].min()}, max {k[real].max()}")
    k = np.where(real, k, 0)
    onehot = np.eye(K)[k]
    logp = log_softmax(y)
    value = -(m * (onehot * logp).sum(axis=-1)).sum() / B
    grad = (m / B)[..., None] * (np.exp(logp) - onehot)
    return value, _unsteps(grad, squeeze)


def binary_cross_entropy(logits, targets, mask=None):
    """Sigmoid cross-entropy summed over K labels. logits, targets (B, T, K), targets in {0, 1}.

    Stable form of log(1 + e^y) - t y: max(y, 0) - t y + log(1 + e^-|y|).
    Returns (L, dL/dlogits (B, T, K)).
    """
    y, squeeze = _steps(logits, "logits")
    t = _same_shape(targets, y, squeeze)
    B, T, _ = y.shape
    m = _mask(mask, B, T, squeeze)
    per_label = np.maximum(y, 0.0) - t * y + np.log1p(np.exp(-np.abs(y)))
    value = (m * per_label.sum(axis=-1)).sum() / B
    grad = (m / B)[..., None] * (sigmoid(y) - t)
    return value, _unsteps(grad, squeeze)


def mse(outputs, targets, mask=None):
    """Squared error sum_k (y_k - t_k)^2 per step; outputs, targets (B, T, K).

    Summed over steps and features, averaged over sequences (no 1/2 factor).
    Returns (L, dL/doutputs (B, T, K)) = 2 m (y - t) / B.
    """
    y, squeeze = _steps(outputs, "outputs")
    t = _same_shape(targets, y, squeeze)
    B, T, _ = y.shape
    m = _mask(mask, B, T, squeeze)
    diff = np.where(m[..., None] > 0, y - t, 0.0)
    value = (diff ** 2).sum() / B
    grad = 2.0 * diff / B
    return value, _unsteps(grad, squeeze)


# ---------------------------------------------------------------- shapes


def _steps(y, argument: str):
    """(B, T, K) -> itself, (B, K) -> (B, 1, K); returns (array, whether a T axis was added)."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        return y[:, None, :], True
    if y.ndim == 3:
        return y, False
    raise bad(argument, "a 3-D (B, T, K) or 2-D (B, K) array", f"shape {y.shape}")


def _unsteps(grad, squeeze: bool):
    return grad[:, 0, :] if squeeze else grad


def _same_shape(targets, y, squeeze: bool) -> np.ndarray:
    t = np.asarray(targets, dtype=np.float64)
    t = t[:, None, :] if squeeze and t.ndim == 2 else t
    if t.shape != y.shape:
        want = (y.shape[0], y.shape[2]) if squeeze else y.shape
        raise bad("targets", f"shape {want}", f"shape {np.shape(targets)}")
    return t


def _mask(mask, B: int, T: int, squeeze: bool) -> np.ndarray:
    """None -> ones (B, T); (B, T) (or (B,) when there is no T axis) -> float (B, T)."""
    if mask is None:
        return np.ones((B, T))
    m = np.asarray(mask, dtype=np.float64)
    m = m[:, None] if squeeze and m.ndim == 1 else m
    if m.shape != (B, T):
        want = f"({B},)" if squeeze else f"({B}, {T})"
        raise bad("mask", f"shape {want}", f"shape {np.shape(mask)}")
    return m
