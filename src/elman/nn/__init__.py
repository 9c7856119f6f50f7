"""The PyTorch engine: cells (one step), the layer stack (RNN) and weight converters."""

from .cells import ACTIVATIONS, CELLS, ElmanCell, GRUCell, LSTMCell, make_cell
from .init import RECURRENT_CONSTRAINTS, RECURRENT_INITS, constrain_recurrent, init_recurrent
from .layer import RNN
from .weights import from_torch, to_torch

__all__ = ["ACTIVATIONS", "CELLS", "RECURRENT_CONSTRAINTS", "RECURRENT_INITS", "ElmanCell",
           "GRUCell", "LSTMCell", "RNN", "constrain_recurrent", "from_torch", "init_recurrent",
           "make_cell", "to_torch"]
