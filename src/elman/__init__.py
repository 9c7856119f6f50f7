"""elman: the textbook recurrent neural network, real, tested and usable.

    a[l][t] = f(W_F[l] a[l-1][t] + W_R[l] a[l][t-1] + b[l])

``elman.reference`` is that equation in NumPy; ``elman.RNN`` the PyTorch engine with the
same names; ``elman.models`` the four architectures and a language model; ``elman.runtime``
streams a trained model with NumPy alone; ``elman.load("runs/NAME")`` restores a trained
model with its task, ready for ``predict`` (``elman.pretrained``). torch is imported on
first use of a torch name, so the NumPy parts load without it.
"""

from .errors import ElmanError

__version__ = "0.1.0"
__all__ = ["ElmanError", "Pretrained", "RNN", "from_torch", "load", "to_torch", "__version__"]
_TORCH_NAMES = {"RNN", "from_torch", "to_torch"}


def __getattr__(name):
    if name in ("load", "Pretrained"):
        from . import pretrained
        return getattr(pretrained, name)
    if name in _TORCH_NAMES:
        from . import nn
        return getattr(nn, name)
    raise AttributeError(f"module 'elman' has no attribute {name!r}")
