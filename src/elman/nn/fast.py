"""The fast path: the whole time loop of one layer direction as one autograd node.

The plain loop (``layer.scan``) lets autograd record every step: several nodes per step, a
graph walk per step in backward, and the input part W_F x_t + b recomputed nowhere but also
never batched in backward. Here, per layer direction:

* the input projection xz = W_F x + b of all T steps is one matrix product (autograd gives its
  gradients, W_F, b and x, as large products over all T*B rows);
* forward runs only the sequential part, z_t = xz_t + a_{t-1} W_R^T and the cell's
  elementwise update, without recording a graph, into (T, B, .) buffers;
* backward is written by hand: per step one (B, G*H) x (G*H, H) product and one pass over the
  step's elements; dW_R = sum_t dz_t^T a_{t-1} is one large product after the loop.

The two sequential loops run in C (``kernels``: one call per layer direction, torch's MKL for
the products, float32 tanh/sigmoid vectorised), or in Python over torch ops where the C part
did not build. An LSTM layer without padding and with H < 256 goes instead to torch's fused
LSTM kernel (oneDNN's LSTM primitive, the one torch.nn.LSTM runs): same gates and equations;
measured here it is as fast as the C loop at H=128, and 15-25% slower from H=256.
Where every layer of a stack would go there, all of one width and with no active dropout
between them, the whole stack is one call (``lstm_stack``), as torch.nn.LSTM makes it.

Which path runs: ``layer.RNN`` calls ``scan`` here when ``backend`` is "fast", or "auto" with
more than one step; ``scan`` sends an unpadded LSTM with H < 256 to oneDNN (any unpadded LSTM
where the C loop is not available) and everything else to the loops of ``kernels`` (C when
built, for float32/float64 on the CPU). Results equal the plain loop
to rounding (tested to 1e-10 in float64, 1e-5 in float32).
"""

import torch

from . import kernels
from .cells import Cell, ElmanCell, GRUCell, LSTMCell

ONEDNN_BELOW = 256  # an unpadded LSTM narrower than this runs oneDNN's fused kernel


def _outer_sum(dz: torch.Tensor, h0: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
    """dW_R = sum_t dz_t^T a_{t-1}, with a_{-1} = h0: dz (T, B, G*H), S (T, B, H) -> (G*H, H)."""
    dW = dz[0].t() @ h0
    if len(S) > 1:
        dW.addmm_(dz[1:].flatten(0, 1).t(), S[:-1].flatten(0, 1))
    return dW


def _grad(g: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    """An incoming gradient as a fresh contiguous buffer (zeros where autograd passed None),
    copied once."""
    if g is None:
        return torch.zeros_like(like)
    return g.clone() if g.is_contiguous() else g.contiguous()


class _Elman(torch.autograd.Function):
    """a_t = f(xz_t + a_{t-1} W_R^T): xz (T, B, H) time-major, h0 (B, H), mask (T, B) or None
    -> the states S (T, B, H), written over xz (a fresh buffer of ``scan``'s; no copy). The
    final state is S[-1], as padded rows carry their state to the end."""

    @staticmethod
    def forward(ctx, xz, W_R, h0, mask, activation):
        ctx.mark_dirty(xz)
        kernels.elman_forward(xz, h0.contiguous(), W_R.contiguous(), mask, activation)
        ctx.save_for_backward(xz, W_R, h0, mask)
        ctx.activation = activation
        return xz

    @staticmethod
    def backward(ctx, dS):
        S, W_R, h0, mask = ctx.saved_tensors
        dz, dh0 = torch.empty_like(S), torch.empty_like(h0)
        kernels.elman_backward(S, W_R.contiguous(), mask, dS.contiguous(), dz, dh0,
                               ctx.activation)
        return dz, _outer_sum(dz, h0, S), dh0, None, None


def _elman(cell: ElmanCell, xz, h0, mask):
    S = _Elman.apply(xz, cell.W_R, h0, mask, cell.activation)
    return S, S[-1]


class _LSTM(torch.autograd.Function):
    """Gates i,f,g,o = xz_t + h_{t-1} W_R^T; c_t = f c_{t-1} + i g; h_t = o tanh(c_t)."""

    @staticmethod
    def forward(ctx, xz, W_R, h0, c0, mask):
        T, B, G = xz.shape
        gates = xz.clone()                            # activated gates, (T, B, 4H)
        Hs, Cs, Tc = (xz.new_empty(T, B, G // 4) for _ in range(3))
        h0, c0 = h0.contiguous(), c0.contiguous()
        kernels.lstm_forward(gates, Hs, Cs, Tc, h0, c0, W_R.contiguous(), mask)
        ctx.save_for_backward(gates, Hs, Cs, Tc, W_R, h0, c0, mask)
        return Hs, Hs[-1].clone(), Cs[-1].clone()

    @staticmethod
    def backward(ctx, dH_all, dh_last, dc_last):
        gates, Hs, Cs, Tc, W_R, h0, c0, mask = ctx.saved_tensors
        dh, dc = _grad(dh_last, h0), _grad(dc_last, c0)
        dH = torch.zeros_like(Hs) if dH_all is None else dH_all.contiguous()
        dz = torch.empty_like(gates)
        kernels.lstm_backward(gates, Cs, Tc, c0, W_R.contiguous(), mask, dH, dh, dc, dz)
        return dz, _outer_sum(dz, h0, Hs), dh, dc, None


def _lstm(cell: LSTMCell, xz, state, mask):
    Hs, h, c = _LSTM.apply(xz, cell.W_R, state[0], state[1], mask)
    return Hs, (h, c)


class _GRU(torch.autograd.Function):
    """r,z = sigmoid(xz_rz + W_R h); n = tanh(xz_n + r (W_Rn h + b_Rn)); h = n + z (h - n)."""

    @staticmethod
    def forward(ctx, xz, W_R, b_Rn, h0, mask):
        T, B, G = xz.shape
        rzn = torch.empty_like(xz)                    # r, z, n activated, (T, B, 3H)
        hn, S = xz.new_empty(T, B, G // 3), xz.new_empty(T, B, G // 3)
        h0 = h0.contiguous()
        kernels.gru_forward(xz, rzn, hn, S, h0, W_R.contiguous(), b_Rn.contiguous(), mask)
        ctx.save_for_backward(rzn, hn, S, W_R, h0, mask)
        return S, S[-1].clone()

    @staticmethod
    def backward(ctx, dS_all, d_last):
        rzn, hn, S, W_R, h0, mask = ctx.saved_tensors
        H = S.shape[2]
        dh = _grad(d_last, h0)
        dS = torch.zeros_like(S) if dS_all is None else dS_all.contiguous()
        dx, dhr = torch.empty_like(rzn), torch.empty_like(rzn)
        kernels.gru_backward(rzn, hn, S, h0, W_R.contiguous(), mask, dS, dh, dx, dhr)
        db_Rn = dhr[..., 2 * H:].sum((0, 1))
        return dx, _outer_sum(dhr, h0, S), db_Rn, dh, None


def _gru(cell: GRUCell, xz, h0, mask):
    return _GRU.apply(xz, cell.W_R, cell.b_Rn, h0, mask)


def _lstm_onednn(cell: LSTMCell, x, state):
    """The LSTM through torch's fused kernel (oneDNN's LSTM primitive for float32 on CPU, the
    one torch.nn.LSTM runs): same gates and equations, b as b_ih and a zero b_hh."""
    h0, c0 = state
    weights = [cell.W_F, cell.W_R, cell.b, torch.zeros_like(cell.b)]
    out, h, c = torch._VF.lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)), weights, True, 1, 0.0,
                               torch.is_grad_enabled(), False, False)
    return out, (h[0], c[0])


def _onednn(cell: Cell, x: torch.Tensor, mask) -> bool:
    return isinstance(cell, LSTMCell) and mask is None and (
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
    h0, c0 = (torch.cat([s[i].view(B, D, H).transpose(0, 1) for s in state]) for i in (0, 1))
    weights = [w for c in cells for w in (c.W_F, c.W_R, c.b, torch.zeros_like(c.b))]
    out, h, c = torch._VF.lstm(x, (h0, c0), weights, True, L, 0.0, torch.is_grad_enabled(),
                               D == 2, False)

    def join(s):
        return s.view(L, D, B, H).permute(0, 2, 1, 3).reshape(L, B, D * H)
    return out, list(zip(join(h), join(c)))


def scan(cell: Cell, x: torch.Tensor, state, mask: torch.Tensor | None):
    """Same contract as ``layer.scan``: x (T, B, H_in), mask (T, B, 1) bool or None ->
    (outputs (T, B, H), final state). An LSTM without padding and narrower than
    ``ONEDNN_BELOW`` runs torch's fused LSTM kernel; the rest runs the loops of ``kernels``."""
    if _onednn(cell, x, mask):
        return _lstm_onednn(cell, x, state)
    xz = cell.project(x).contiguous()
    m = None if mask is None else mask.reshape(mask.shape[0], mask.shape[1]).contiguous()
    if isinstance(cell, LSTMCell):
        S, final = _lstm(cell, xz, state, m)
    elif isinstance(cell, GRUCell):
        S, final = _gru(cell, xz, state, m)
    else:
        S, final = _elman(cell, xz, state, m)
    return (S if mask is None else S * mask), final
