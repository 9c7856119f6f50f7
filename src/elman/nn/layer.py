"""elman.RNN: a stack of recurrent layers of any widths, run over batch-first sequences.

Shapes (batch-first everywhere; D = 2 if bidirectional else 1):

==========  =====================================================================
x           (B, T, I) float
lengths     (B,) ints in 1..T, or None (every sequence is T long)
state       list of L entries, entry l is (B, D*H_l); for cell="lstm" a tuple (h, c) of two
outputs     (B, T, D*H_L): the top layer's a_t at every step, 0 at padded steps
==========  =====================================================================

Equivalent plain loop for one direction of layer l (cell="elman")::

    for t in range(T):
        a[l][t] = f(W_F @ a[l-1][t] + W_R @ a[l][t-1] + b)

Padded steps (t >= lengths[b]) leave the state unchanged and output zeros, so padding never
changes a real step's output or the final state. The backward direction of a bidirectional
layer reads each sequence from its last real step back to its first.
"""

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import bad
from . import fast
from .cells import Cell, make_cell
from .init import check_recurrent_init, init_recurrent
from .memory import check_fits, rnn_parameters
from .validate import check_inputs

BACKENDS = ("auto", "loop", "fast")


def _where(mask: torch.Tensor, new, old):
    """Per-sequence choice between two states (tensors or (h, c) tuples); mask (B, 1) bool."""
    if isinstance(new, tuple):
        return tuple(torch.where(mask, n, o) for n, o in zip(new, old))
    return torch.where(mask, new, old)


def scan(cell: Cell, x: torch.Tensor, state, mask: torch.Tensor | None):
    """Run one direction of one layer over time: the plain loop.

    Time-major inside the layer: x (T, B, H_in); state: initial state; mask (T, B, 1) bool,
    True at real steps, or None. Returns outputs (T, B, H) (0 at padded steps) and the final
    state. The input part W_F x_t + b of every step is one matrix product before the loop.
    The readable path; ``fast.scan`` has the same contract.
    """
    xz = cell.project(x)
    outputs = []
    for t in range(xz.shape[0]):
        new = cell.step(xz[t], state)
        state = new if mask is None else _where(mask[t], new, state)
        outputs.append(cell.output(state))
    out = torch.stack(outputs)
    return (out if mask is None else out * mask), state


def reverse_index(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(T, B) index that reverses each sequence within its length and keeps padding in place."""
    t = torch.arange(T, device=lengths.device).unsqueeze(1)
    L = lengths.unsqueeze(0)
    return torch.where(t < L, L - 1 - t, t)


def _reverse(x: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    """Reverse time-major x (T, B, F) along time, within each sequence's length."""
    if index is None:
        return x.flip(0)
    return x.gather(0, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


class RNN(nn.Module):
    """Stacked recurrent layers with the textbook parameter names.

    Args:
        input_size: I, features per step.
        hidden_sizes: H_1..H_L, one width per layer (an int means one layer).
        cell: "elman" (the textbook a_t = f(W_F x_t + W_R a_{t-1} + b)), "lstm" or "gru".
        activation: f per layer, a name or a list of L names: tanh, relu, sigmoid, identity.
        bidirectional: add a reverse direction per layer; outputs are [forward; backward].
        dropout: dropout on the input of every layer but the first.
        backend: "loop" runs ``scan``, the plain per-step loop that autograd records step by
            step; "fast" runs ``fast.scan``, one autograd node per layer direction with a
            hand-written backward and its time loop in C (see ``elman.nn.fast`` and
            ``elman.nn.kernels``); "auto" takes "fast" for sequences
            longer than one step and "loop" for single steps (streaming), where the fast
            path has nothing to batch, and "fast" for any T while torch.compile or
            torch.export traces (see docs/compile.md).
        recurrent_init: W_R of every cell: "uniform" (torch's), "identity" (IRNN, with
            relu), "orthogonal" or "indrnn", one (H, H) block per gate (``elman.nn.init``).
        recurrent_scale: multiplies that W_R (e.g. 0.5 for a scaled identity).
        input_scale: multiplies the initial W_F and b of every cell.
        chrono: 0, or T: the chrono initialisation of the gates' biases for dependencies up
            to T steps (lstm and gru; ``elman.nn.init.init_chrono``).

    Parameters are ``layers.{l}.W_F``, ``layers.{l}.W_R``, ``layers.{l}.b`` (l from 0), and
    ``layers_reverse.{l}.*`` for the reverse direction; see ``elman.nn.cells`` for layouts.
    """

    def __init__(self, input_size: int, hidden_sizes: int | Sequence[int], cell: str = "elman",
                 activation: str | Sequence[str] = "tanh", bidirectional: bool = False,
                 dropout: float = 0.0, backend: str = "auto", *,
                 recurrent_init: str = "uniform", recurrent_scale: float = 1.0,
                 input_scale: float = 1.0, chrono: int = 0):
        super().__init__()
        check_recurrent_init(recurrent_init, recurrent_scale, input_scale)
        if backend not in BACKENDS:
            raise bad("backend", f"one of {list(BACKENDS)}", repr(backend))
        self.backend = backend
        sizes = [hidden_sizes] if isinstance(hidden_sizes, int) else \
            list(hidden_sizes) if isinstance(hidden_sizes, (list, tuple)) else None
        if not sizes or any(isinstance(h, bool) or not isinstance(h, int) or h < 1
                            for h in sizes):
            raise bad("hidden_sizes", "a positive int or a non-empty list of positive ints",
                      repr(hidden_sizes))
        if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < 1:
            raise bad("input_size", "a positive int", repr(input_size))
        check_size(input_size, sizes, cell, bidirectional)
        acts = [activation] * len(sizes) if isinstance(activation, str) else list(activation)
        if len(acts) != len(sizes):
            raise bad("activation", f"one name or {len(sizes)} names (one per layer)", acts)
        if not 0.0 <= dropout < 1.0:
            raise bad("dropout", "a probability in [0, 1)", dropout)
        self.input_size, self.hidden_sizes = input_size, sizes
        self.cell, self.activations = cell, acts
        self.bidirectional, self.num_directions = bidirectional, 2 if bidirectional else 1
        widths = [input_size] + [h * self.num_directions for h in sizes[:-1]]
        self.layers = nn.ModuleList(
            make_cell(cell, i, h, a) for i, h, a in zip(widths, sizes, acts))
        if bidirectional:
            self.layers_reverse = nn.ModuleList(
                make_cell(cell, i, h, a) for i, h, a in zip(widths, sizes, acts))
        self.dropout = nn.Dropout(dropout)
        init_recurrent(self, recurrent_init, recurrent_scale, input_scale=input_scale,
                       chrono=chrono)

    @property
    def output_size(self) -> int:
        """Features of the top layer's output per step, D * H_L."""
        return self.num_directions * self.hidden_sizes[-1]

    def directions(self, l: int) -> list[Cell]:
        return [self.layers[l]] + ([self.layers_reverse[l]] if self.bidirectional else [])

    def zero_state(self, batch: int, like: torch.Tensor) -> list:
        """All-zero state: list of (B, D*H_l) (or (h, c) pairs for the LSTM)."""
        return [_join([c.zero_state(batch, like) for c in self.directions(l)])
                for l in range(len(self.layers))]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None, state=None):
        """x (B, T, I), lengths (B,) or None, state (see module doc) or None ->
        (outputs (B, T, D*H_L), final state of every layer)."""
        lengths = check_inputs(self, x, lengths, state)
        B, T, _ = x.shape
        tracing = torch.compiler.is_compiling()  # no branch on T or on the values of lengths
        full = lengths is None or (not tracing and bool((lengths == T).all()))
        mask = None if full else (torch.arange(T, device=x.device)[:, None] < lengths)[..., None]
        rev = None if full else reverse_index(lengths, T)
        state = self.zero_state(B, x) if state is None else state
        fast_path = self.backend == "fast" or (self.backend == "auto" and (tracing or T > 1))
        run = fast.scan if fast_path else scan
        x = x.transpose(0, 1)  # time-major inside: (T, B, features)
        whole = fast.lstm_stack(self, x, state, mask) if run is fast.scan else None
        if whole is not None:
            return whole[0].transpose(0, 1), whole[1]
        finals = []
        for l in range(len(self.layers)):
            if l > 0:
                x = self.dropout(x)
            outs, ends = [], []
            for d, (cell, s) in enumerate(zip(self.directions(l), _split(state[l], self))):
                out, end = run(cell, x if d == 0 else _reverse(x, rev), s, mask)
                outs.append(out if d == 0 else _reverse(out, rev))
                ends.append(end)
            x = outs[0] if len(outs) == 1 else torch.cat(outs, dim=-1)
            finals.append(_join(ends))
        return x.transpose(0, 1), finals

    def step(self, x_t: torch.Tensor, state=None):
        """One step for streaming: x_t (B, I), state or None -> (a_t of top layer (B, H_L), state).

        Unidirectional only: a reverse direction needs the whole sequence.
        """
        if self.bidirectional:
            raise bad("step", "a unidirectional RNN (a reverse direction needs the whole "
                      "sequence)", "bidirectional=True")
        if not isinstance(x_t, torch.Tensor) or x_t.dim() != 2:
            raise bad("x_t", f"a 2-D tensor (B, I={self.input_size})",
                      f"shape {tuple(getattr(x_t, 'shape', ()))}")
        check_inputs(self, x_t.unsqueeze(1), None, state)
        state = self.zero_state(x_t.shape[0], x_t) if state is None else state
        new, x = [], x_t
        for l, cell in enumerate(self.layers):
            s = cell(x if l == 0 else self.dropout(x), state[l])
            new.append(s)
            x = cell.output(s)
        return x, new

    def summary(self, batch_size: int = 1, seq_len: int = 1):
        """Print and return the layer table and parameter counts (see ``elman.summary``)."""
        from .summary import summarize
        s = summarize(self, batch_size, seq_len)
        print(s)
        return s

    def extra_repr(self):
        return f"cell={self.cell!r}, bidirectional={self.bidirectional}"


def check_size(input_size: int, sizes: list[int], cell: str, bidirectional: bool):
    """Refuse sizes whose weights do not fit in memory (``elman.nn.memory``), naming
    input_size when its weights are most of them, else hidden_sizes."""
    first, total = rnn_parameters(input_size, sizes, cell, bidirectional)
    if 2 * first > total:
        check_fits(total, "input_size", "an input size whose weights fit", input_size)
    check_fits(total, "hidden_sizes", "layer widths whose weights fit", sizes)


def _join(states: list):
    """Concatenate per-direction states along features: [(B, H)]*D -> (B, D*H)."""
    if len(states) == 1:
        return states[0]
    if isinstance(states[0], tuple):
        return tuple(torch.cat(parts, dim=-1) for parts in zip(*states))
    return torch.cat(states, dim=-1)


def _split(state, rnn: RNN) -> list:
    """Inverse of _join: (B, D*H) -> [(B, H)]*D."""
    if rnn.num_directions == 1:
        return [state]
    if isinstance(state, tuple):
        return list(zip(*(s.chunk(2, dim=-1) for s in state)))
    return list(state.chunk(2, dim=-1))
