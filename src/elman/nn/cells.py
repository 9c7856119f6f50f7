"""Cells: one time step of one layer, written like the equation.

Weight layout (written down once; ``elman.nn.weights`` converts to and from torch.nn):

============  ==================  ==================  ============  ==============
cell          W_F                 W_R                 b             extra
============  ==================  ==================  ============  ==============
elman         (H, H_in)           (H, H)              (H,)
lstm          (4H, H_in) i,f,g,o  (4H, H) i,f,g,o     (4H,)
gru           (3H, H_in) r,z,n    (3H, H) r,z,n       (3H,)         b_Rn (H,)
============  ==================  ==================  ============  ==============

Gate order and equations are those of torch.nn.LSTM / torch.nn.GRU. torch's two biases
(b_ih + b_hh) are one ``b``, except the GRU's candidate gate, where the recurrent bias sits
inside the reset product and is kept as ``b_Rn``.

A cell splits its step into ``project`` (the input part, which does not depend on the state,
so a layer may compute it for all steps at once) and ``step`` (the sequential part).
"""

import math

import torch
from torch import nn

from ..errors import bad

ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "identity": lambda z: z,
}
CELLS = ("elman", "lstm", "gru")


class Cell(nn.Module):
    """Base cell. State is a tensor (B, H) or, for the LSTM, a tuple (h, c) of two."""

    gates = 1
    gate_names = ("a",)          # the blocks of W_F, W_R and b, in order

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        G = self.gates * hidden_size
        self.W_F = nn.Parameter(torch.empty(G, input_size))
        self.W_R = nn.Parameter(torch.empty(G, hidden_size))
        self.b = nn.Parameter(torch.empty(G))
        self.reset_parameters()

    def reset_parameters(self):
        """U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias, as torch.nn.RNN does."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -k, k)

    @property
    def W(self) -> torch.Tensor:
        """The merged weight [W_F W_R], (G*H, H_in + H): z = W [a_below; a_prev] + b."""
        return torch.cat([self.W_F, self.W_R], dim=1)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Input part of z: W_F x + b. x (..., H_in) -> (..., G*H)."""
        return torch.nn.functional.linear(x, self.W_F, self.b)

    def zero_state(self, batch: int, like: torch.Tensor):
        return like.new_zeros(batch, self.hidden_size)

    @staticmethod
    def output(state) -> torch.Tensor:
        """The activation a_t passed up and out, (B, H)."""
        return state

    def forward(self, x: torch.Tensor, state):
        """One full step: x (B, H_in), state -> new state."""
        return self.step(self.project(x), state)


class ElmanCell(Cell):
    """z_t = W_F x_t + W_R a_{t-1} + b,  a_t = f(z_t)."""

    def __init__(self, input_size: int, hidden_size: int, activation: str = "tanh"):
        if activation not in ACTIVATIONS:
            raise bad("activation", f"one of {sorted(ACTIVATIONS)}", repr(activation))
        super().__init__(input_size, hidden_size)
        self.activation = activation
        self.f = ACTIVATIONS[activation]

    def step(self, xz: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """xz = W_F x_t + b (B, H), a = a_{t-1} (B, H) -> a_t (B, H)."""
        return self.f(torch.addmm(xz, a, self.W_R.t()))

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, activation={self.activation}"


class LSTMCell(Cell):
    """i,f,g,o = split(W_F x_t + W_R h_{t-1} + b); c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t)."""

    gates = 4
    gate_names = ("i", "f", "g", "o")

    def zero_state(self, batch: int, like: torch.Tensor):
        h = like.new_zeros(batch, self.hidden_size)
        return (h, h.clone())

    @staticmethod
    def output(state) -> torch.Tensor:
        return state[0]

    def step(self, xz: torch.Tensor, state):
        """xz (B, 4H), state (h, c) each (B, H) -> (h_t, c_t)."""
        h, c = state
        i, f, g, o = torch.addmm(xz, h, self.W_R.t()).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class GRUCell(Cell):
    """r,z = sigmoid(W_F x + W_R h + b); n = tanh(W_Fn x + b_n + r*(W_Rn h + b_Rn));
    h_t = (1-z)*n + z*h_{t-1}."""

    gates = 3
    gate_names = ("r", "z", "n")

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.b_Rn = nn.Parameter(torch.empty(hidden_size))
        self.reset_parameters()

    def step(self, xz: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """xz (B, 3H), h (B, H) -> h_t (B, H)."""
        H = self.hidden_size
        hr = torch.nn.functional.linear(h, self.W_R)
        r = torch.sigmoid(xz[:, :H] + hr[:, :H])
        z = torch.sigmoid(xz[:, H:2 * H] + hr[:, H:2 * H])
        n = torch.tanh(xz[:, 2 * H:] + r * (hr[:, 2 * H:] + self.b_Rn))
        return n + z * (h - n)


def make_cell(cell: str, input_size: int, hidden_size: int, activation: str) -> Cell:
    """Build one cell by name; gated cells take only the tanh of their equations."""
    if cell == "elman":
        return ElmanCell(input_size, hidden_size, activation)
    if cell not in CELLS:
        raise bad("cell", f"one of {list(CELLS)}", repr(cell))
    if activation != "tanh":
        raise bad("activation", f"'tanh' for cell={cell!r} (its gates fix the nonlinearity)",
                  repr(activation))
    return LSTMCell(input_size, hidden_size) if cell == "lstm" else GRUCell(input_size, hidden_size)
