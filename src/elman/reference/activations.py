"""The four layer activations f and their derivatives f'.

Every derivative is written in terms of the activation's *output* a = f(z), which is
what the forward pass stores and what backpropagation through time has at hand:

    tanh      a = tanh(z)              f'(z) = 1 - a^2
    sigmoid   a = 1 / (1 + e^-z)       f'(z) = a (1 - a)
    relu      a = max(z, 0)            f'(z) = 1 if a > 0 else 0   (0 at the kink z = 0)
    identity  a = z                    f'(z) = 1
"""

import numpy as np

from ..errors import bad

NAMES = ("tanh", "relu", "sigmoid", "identity")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) without overflow: uses e^-|z|, which is never larger than 1."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def apply(name: str, z: np.ndarray) -> np.ndarray:
    """a = f(z), elementwise, for the activation called ``name``."""
    check(name)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return sigmoid(z)
    return np.array(z, dtype=np.float64, copy=True)


def derivative(name: str, a: np.ndarray) -> np.ndarray:
    """f'(z), elementwise, computed from the output a = f(z) (see the module table)."""
    check(name)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (a > 0).astype(np.float64)
    if name == "sigmoid":
        return a * (1.0 - a)
    return np.ones_like(a, dtype=np.float64)


def check(name, argument: str = "activation") -> str:
    """Return ``name`` if it is one of NAMES, else raise ElmanError."""
    if not isinstance(name, str) or name not in NAMES:
        raise bad(argument, f"one of {', '.join(NAMES)}", repr(name))
    return name
