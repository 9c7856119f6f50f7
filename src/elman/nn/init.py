"""Initialisation of the recurrent weights W_R, one (H, H) block per gate.

==========  ==========================================================================
uniform     torch.nn.RNN's U(-1/sqrt(H), 1/sqrt(H)) (what every cell starts with)
identity    I: the IRNN of Le, Jaitly and Hinton (2015), "A simple way to initialize
            recurrent networks of rectified linear units", meant with activation relu
orthogonal  a random orthogonal matrix (torch.nn.init.orthogonal_)
==========  ==========================================================================

Each is then multiplied by ``scale`` (``recurrent_scale``; 1 leaves it as it is). The
gated cells get the same matrix in every gate block: an LSTM's W_R (4H, H) is four
blocks i, f, g, o, a GRU's (3H, H) three, r, z, n (see ``elman.nn.cells``). W_F and b
keep torch's uniform initialisation.
"""

import math

import torch
from torch import nn

from ..errors import bad
from .cells import Cell

RECURRENT_INITS = ("uniform", "identity", "orthogonal")


def check_recurrent_init(init: str, scale: float):
    """Refuse an unknown ``init`` or a ``scale`` that is not a finite number."""
    if init not in RECURRENT_INITS:
        raise bad("recurrent_init", f"one of {list(RECURRENT_INITS)}", repr(init))
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or \
            not math.isfinite(scale):
        raise bad("recurrent_scale", "a finite number", repr(scale))


@torch.no_grad()
def init_cell(cell: Cell, init: str = "uniform", scale: float = 1.0):
    """Set ``cell.W_R`` (G*H, H) to ``init`` times ``scale``, block by block. "uniform" with
    scale 1 touches nothing (and draws no random numbers)."""
    check_recurrent_init(init, scale)
    H = cell.hidden_size
    for block in cell.W_R.split(H, dim=0):                 # (H, H) per gate
        if init == "identity":
            block.copy_(torch.eye(H, dtype=block.dtype, device=block.device))
        elif init == "orthogonal":
            nn.init.orthogonal_(block)
        if scale != 1.0:
            block.mul_(scale)


def init_recurrent(model: nn.Module, init: str = "uniform", scale: float = 1.0):
    """``init_cell`` on every cell of ``model`` (every layer and direction of every
    elman.RNN in it, e.g. a tagger's character RNN too)."""
    check_recurrent_init(init, scale)
    for module in model.modules():
        if isinstance(module, Cell):
            init_cell(module, init, scale)
