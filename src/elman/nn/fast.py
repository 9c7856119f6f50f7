"""The fast path: the whole time loop of one layer direction as one autograd node.

The plain loop (``layer.scan``) lets autograd record every step: several nodes per step, a
graph walk per step in backward, and the input part W_F x_t + b recomputed nowhere but also
never batched in backward. Here, per layer direction:

* the input projection xz = W_F x of all T steps is one matrix product, into a buffer the
  loop then overwrites with its results (no copy; the loop adds b); the gradients of x, W_F
  and b are large products over all T*B rows in the same hand-written backward;
* forward runs only the sequential part, z_t = xz_t + a_{t-1} W_R^T and the cell's
  elementwise update, without recording a graph, into (T, B, .) buffers;
* backward is written by hand: per step one (B, G*H) x (G*H, H) product and one pass over the
  step's elements; dW_R = sum_t dz_t^T a_{t-1} is one large product after the loop.

The two sequential loops run in C (``kernels``: one call per layer direction, torch's MKL for
the products, float32 tanh/sigmoid vectorised), or in Python over torch ops where the C part
did not build. An LSTM layer without padding and with H < 128 goes instead to torch's fused
LSTM kernel (oneDNN's LSTM primitive, the one torch.nn.LSTM runs): same gates and equations;
measured on 2 cores the C loop (batch split over the threads) is 10-50% faster from H=128,
and at H=64 20% faster on two threads but 20% slower on one.
Where every layer of a stack would go there, all of one width and with no active dropout
between them, the whole stack is one call (``lstm_stack``), as torch.nn.LSTM makes it.

Which path runs: ``layer.RNN`` calls ``scan`` here when ``backend`` is "fast", or "auto" with
more than one step; ``scan`` sends an unpadded LSTM with H < 128 to oneDNN (any unpadded LSTM
where the C loop is not available) and everything else to the loops of ``kernels`` (C when
built, for float32/float64 on the CPU). Results equal the plain loop
to rounding (tested to 1e-10 in float64, 1e-5 in float32). The autograd nodes, and the
operators torch.compile and torch.export see in their place, are in ``ops``; while those
trace, every layer direction runs them, an LSTM that would run oneDNN's kernel too.
"""

import torch

from . import kernels, ops
from .cells import Cell, ElmanCell, GRUCell, LSTMCell

ONEDNN_BELOW = 128  # an unpadded LSTM narrower than this runs oneDNN's fused kernel


def _elman(cell: ElmanCell, x, h0, mask):
    S = ops.run(ops.ELMAN, x, cell.W_F, cell.b, cell.W_R, h0, mask, cell.activation)
    return S, S[-1]


def _lstm(cell: LSTMCell, x, state, mask):
    Hs, h, c, *_ = ops.run(ops.LSTM, x, cell.W_F, cell.b, cell.W_R, state[0], state[1], mask)
    return Hs, (h, c)


def _gru(cell: GRUCell, x, h0, mask):
    S, h, *_ = ops.run(ops.GRU, x, cell.W_F, cell.b, cell.W_R, cell.b_Rn, h0, mask)
    return S, h


def _lstm_onednn(cell: LSTMCell, x, state):
    """The LSTM through torch's fused kernel (oneDNN's LSTM primitive for float32 on CPU, the
    one torch.nn.LSTM runs): same gates and equations, b as b_ih and a zero b_hh."""
    h0, c0 = state
    weights = [cell.W_F, cell.W_R, cell.b, torch.zeros_like(cell.b)]
    out, h, c = torch._VF.lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)), weights, True, 1, 0.0,
                               torch.is_grad_enabled(), False, False)
    return out, (h[0], c[0])


def _onednn(cell: Cell, x: torch.Tensor, mask) -> bool:
    """Whether this layer direction runs oneDNN's LSTM: not while torch.compile or torch.export
    traces, where its decomposition unrolls the T steps (a graph per T; export fails on a
    dynamic T) and the operators of ``ops`` keep T symbolic."""
    return isinstance(cell, LSTMCell) and mask is None and not torch.compiler.is_compiling() and (
        cell.hidden_size < ONEDNN_BELOW or not kernels.compiled(x))


def lstm_stack(rnn, x: torch.Tensor, state, mask: torch.Tensor | None):
    """A whole LSTM stack in one call of torch's fused kernel, as torch.nn.LSTM makes it, where
    every layer would go to it alone (unpadded, narrower than ``ONEDNN_BELOW``), all layers
    have one width and no dropout between them is active: x (T, B, I), state [(h, c) of
    (B, D*H)] per layer -> (outputs (T, B, D*H), final states) or None where it does not apply."""
    cells = [c for l in range(len(rnn.layers)) for c in rnn.directions(l)]
    if (len(set(rnn.hidden_sizes)) > 1 or (rnn.training and rnn.dropout.p > 0)
            or not all(_onednn(c, x, mask) for c in cells)):
        return None
    B, D, H, L = x.shape[1], rnn.num_directions, rnn.hidden_sizes[0], len(rnn.layers)

    def split(s):  # [(B, D*H)] * L -> (L*D, B, H)
        if D == 1:
            return torch.stack(s)
        return torch.cat([p.view(B, D, H).transpose(0, 1) for p in s])

    def join(s):  # (L*D, B, H) -> (L, B, D*H)
        return s if D == 1 else s.view(L, D, B, H).permute(0, 2, 1, 3).reshape(L, B, D * H)

    h0, c0 = split([s[0] for s in state]), split([s[1] for s in state])
    weights = [w for c in cells for w in (c.W_F, c.W_R, c.b, torch.zeros_like(c.b))]
    out, h, c = torch._VF.lstm(x, (h0, c0), weights, True, L, 0.0, torch.is_grad_enabled(),
                               D == 2, False)
    return out, list(zip(join(h), join(c)))


def scan(cell: Cell, x: torch.Tensor, state, mask: torch.Tensor | None):
    """Same contract as ``layer.scan``: x (T, B, H_in), mask (T, B, 1) bool or None ->
    (outputs (T, B, H), final state). An LSTM without padding and narrower than
    ``ONEDNN_BELOW`` runs torch's fused LSTM kernel; the rest runs the loops of ``kernels``."""
    if _onednn(cell, x, mask):
        return _lstm_onednn(cell, x, state)
    m = None if mask is None else mask.reshape(mask.shape[0], mask.shape[1]).contiguous()
    if isinstance(cell, LSTMCell):
        S, final = _lstm(cell, x, state, m)
    elif isinstance(cell, GRUCell):
        S, final = _gru(cell, x, state, m)
    else:
        S, final = _elman(cell, x, state, m)
    return (S if mask is None else S * mask), final
