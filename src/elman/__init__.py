"""elman: the textbook recurrent neural network, real, tested and usable.

    a[l][t] = f(W_F[l] a[l-1][t] + W_R[l] a[l][t-1] + b[l])

``elman.reference`` is that equation in NumPy; ``elman.RNN`` the PyTorch engine with the
same names; ``elman.models`` the four architectures and a language model.
"""

from .errors import ElmanError
from .nn import RNN, from_torch, to_torch

__version__ = "0.1.0"
__all__ = ["ElmanError", "RNN", "from_torch", "to_torch", "__version__"]
