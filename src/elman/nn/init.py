"""Initialisation of the recurrent weights W_R, one (H, H) block per gate.

==========  ==========================================================================
uniform     torch.nn.RNN's U(-1/sqrt(H), 1/sqrt(H)) (what every cell starts with)
identity    I: the IRNN of Le, Jaitly and Hinton (2015), "A simple way to initialize
            recurrent networks of rectified linear units", meant with activation relu
orthogonal  a random orthogonal matrix (torch.nn.init.orthogonal_)
indrnn      diagonal: u ~ U(0, 1) in every layer of a stack but the top one (units that
            forget at every rate, with torch's W_F and b), I in the top one (units that
            keep, whose W_F and b start 100 times smaller so that they do not sum large
            inputs over long sequences), after Li et al. (2018) on the adding problem;
            meant with the "diagonal" constraint below and activation relu
==========  ==========================================================================

Each is then multiplied by ``scale`` (``recurrent_scale``; 1 leaves it as it is). The
gated cells get the same matrix in every gate block: an LSTM's W_R (4H, H) is four
blocks i, f, g, o, a GRU's (3H, H) three, r, z, n (see ``elman.nn.cells``). W_F and b
keep torch's uniform initialisation, multiplied by ``input_scale`` (1 by default; e.g.
0.01, so that a unit that keeps, u = 1, does not sum large inputs over long sequences).
``chrono`` T (``init_chrono``) then sets the biases of the gated cells' keeping gates for
dependencies up to T steps.

A constraint (``recurrent_constraint``) is a projection of W_R applied after every optimizer
step, as Keras' ``recurrent_constraint``; the trainer applies it to the initial weights and
after each step, and ``constrain_recurrent`` does it in a training loop of one's own:

==========  ==========================================================================
none        W_R is free
diagonal    every (H, H) block keeps only its diagonal u, clipped to [-1, 1]: each unit
            has its own recurrence, a_t = f(W_F x_t + u * a_{t-1} + b), the IndRNN of
            Li et al. (2018), "Independently recurrent neural network (IndRNN)". With
            relu, |u| <= 1 keeps a unit from growing along time; u = 1 (``identity``)
            carries a value unchanged across any number of steps
==========  ==========================================================================
"""

import math

import torch
from torch import nn

from ..errors import bad
from .cells import Cell

RECURRENT_INITS = ("uniform", "identity", "orthogonal", "indrnn")
RECURRENT_CONSTRAINTS = ("none", "diagonal")
KEEPER_INPUT_SCALE = 0.01        # "indrnn": the top layer's W_F and b start this much smaller


def check_recurrent_init(init: str, scale: float, input_scale: float = 1.0):
    """Refuse an unknown ``init`` or a scale that is not a finite number."""
    if init not in RECURRENT_INITS:
        raise bad("recurrent_init", f"one of {list(RECURRENT_INITS)}", repr(init))
    for name, value in (("recurrent_scale", scale), ("input_scale", input_scale)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value):
            raise bad(name, "a finite number", repr(value))


@torch.no_grad()
def init_cell(cell: Cell, init: str = "uniform", scale: float = 1.0, *, top: bool = True,
              input_scale: float = 1.0):
    """Set ``cell.W_R`` (G*H, H) to ``init`` times ``scale``, block by block, and multiply
    W_F and b by ``input_scale`` (and by KEEPER_INPUT_SCALE on the top of "indrnn");
    ``top``: the cell is its stack's last layer. "uniform" with both scales 1 touches
    nothing (and draws no random numbers)."""
    check_recurrent_init(init, scale, input_scale)
    H = cell.hidden_size
    for block in cell.W_R.split(H, dim=0):                 # (H, H) per gate
        if init == "identity" or init == "indrnn" and top:
            block.copy_(torch.eye(H, dtype=block.dtype, device=block.device))
        elif init == "indrnn":
            block.copy_(torch.diag(torch.rand(H, dtype=block.dtype, device=block.device)))
        elif init == "orthogonal":
            nn.init.orthogonal_(block)
        if scale != 1.0:
            block.mul_(scale)
    if init == "indrnn" and top:
        input_scale = input_scale * KEEPER_INPUT_SCALE
    if input_scale != 1.0:
        cell.W_F.mul_(input_scale)
        cell.b.mul_(input_scale)


@torch.no_grad()
def init_chrono(cell: Cell, longest: int):
    """The chrono initialisation of Tallec and Ollivier (2018), "Can recurrent neural networks
    warp time?", for dependencies up to ``longest`` steps: the gate that keeps the state
    (the LSTM's f, the GRU's z) gets biases log U(1, longest - 1), so that its units keep
    their state for 1 to ``longest`` steps, and the LSTM's input gate i the negative."""
    kept = [g for g in cell.gate_names if g in ("f", "z")]
    if not kept or isinstance(longest, bool) or not isinstance(longest, int) or longest < 3:
        raise bad("chrono", "0, or an integer >= 3 for a gated cell (lstm or gru)",
                  f"{longest!r} for an {type(cell).__name__}")
    H = cell.hidden_size
    bias = torch.log(torch.empty(H, dtype=cell.b.dtype, device=cell.b.device)
                     .uniform_(1.0, longest - 1.0))
    blocks = dict(zip(cell.gate_names, cell.b.split(H)))
    blocks[kept[0]].copy_(bias)
    if "i" in blocks:
        blocks["i"].copy_(-bias)


def stacked_cells(model: nn.Module) -> list[tuple[Cell, bool]]:
    """Every cell of ``model`` with whether it is the top layer of its stack (an RNN's
    ``layers`` or ``layers_reverse``); a cell outside any stack counts as a top."""
    tops = {}
    for module in model.modules():
        for name in ("layers", "layers_reverse"):
            stack = getattr(module, name, None)
            if isinstance(stack, nn.ModuleList) and all(isinstance(c, Cell) for c in stack):
                tops.update({c: i == len(stack) - 1 for i, c in enumerate(stack)})
    return [(c, tops.get(c, True)) for c in model.modules() if isinstance(c, Cell)]


def init_recurrent(model: nn.Module, init: str = "uniform", scale: float = 1.0, *,
                   input_scale: float = 1.0, chrono: int = 0):
    """``init_cell`` on every cell of ``model`` (every layer and direction of every
    elman.RNN in it, e.g. a tagger's character RNN too), then ``init_chrono`` with
    ``chrono`` steps when it is not 0."""
    check_recurrent_init(init, scale, input_scale)
    for cell, top in stacked_cells(model):
        init_cell(cell, init, scale, top=top, input_scale=input_scale)
        if chrono:
            init_chrono(cell, chrono)


def check_recurrent_constraint(constraint: str):
    if constraint not in RECURRENT_CONSTRAINTS:
        raise bad("recurrent_constraint", f"one of {list(RECURRENT_CONSTRAINTS)}",
                  repr(constraint))


@torch.no_grad()
def constrain_recurrent(model: nn.Module, constraint: str = "none"):
    """Project W_R of every cell in ``model`` onto ``constraint`` (in place): "diagonal"
    zeroes each (H, H) block off its diagonal and clips the diagonal to [-1, 1]; "none"
    touches nothing."""
    check_recurrent_constraint(constraint)
    if constraint == "none":
        return
    for cell in model.modules():
        if isinstance(cell, Cell):
            H = cell.hidden_size
            for block in cell.W_R.split(H, dim=0):
                block.copy_(torch.diag(block.diagonal().clamp(-1.0, 1.0)))
