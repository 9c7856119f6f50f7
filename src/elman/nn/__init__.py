"""The PyTorch engine: cells (one step), the layer stack (RNN) and weight converters."""

from .cells import ACTIVATIONS, CELLS, ElmanCell, GRUCell, LSTMCell, make_cell
from .layer import RNN
from .weights import from_torch, to_torch

__all__ = ["ACTIVATIONS", "CELLS", "ElmanCell", "GRUCell", "LSTMCell", "RNN", "from_torch",
           "make_cell", "to_torch"]
