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
to rounding (tested to 1e-10 in float64, 1e-5 in float32).
"""

import torch
from torch.autograd.function import once_differentiable

from . import kernels, pool
from .cells import Cell, ElmanCell, GRUCell, LSTMCell

ONEDNN_BELOW = 128  # an unpadded LSTM narrower than this runs oneDNN's fused kernel


def _project(x: torch.Tensor, W_F: torch.Tensor):
    """The input part of every step in one product: x (T, B, I) -> (xz = x W_F^T, a fresh
    (T, B, G*H) buffer the loop may overwrite; x as (T*B, I), for backward). The loop adds the
    bias: addmm's broadcast of it measured up to 1.6x the product's time."""
    T, B, I = x.shape
    x2 = x.reshape(T * B, I)
    xz = torch.mm(x2, W_F.t(), out=pool.empty((T * B, W_F.shape[0]), x))
    return xz.view(T, B, -1), x2


def _input_grads(ctx, dz: torch.Tensor, x2: torch.Tensor, W_F: torch.Tensor):
    """(dx (T, B, I), dW_F, db) of xz = x W_F^T + b from dz (T, B, G*H); None where the
    input needs none."""
    T, B, G = dz.shape
    d2 = dz.view(T * B, G)
    dx = None
    if ctx.needs_input_grad[0]:
        dx = torch.mm(d2, W_F, out=pool.empty((T * B, W_F.shape[1]), dz)).view(T, B, -1)
    dW_F = None
    if ctx.needs_input_grad[1]:  # for inputs narrower than 128, x2^T d2 measured 10-30% faster
        dW_F = (x2.t() @ d2).t().contiguous() if x2.shape[1] < 128 else d2.t() @ x2
    db = d2.sum(0) if ctx.needs_input_grad[2] else None
    return dx, dW_F, db


def _outer_sum(dz: torch.Tensor, h0: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
    """dW_R = sum_t dz_t^T a_{t-1}, with a_{-1} = h0: dz (T, B, G*H), S (T, B, H) -> (G*H, H)."""
    dW = dz[0].t() @ h0
    if len(S) > 1:
        dW.addmm_(dz[1:].flatten(0, 1).t(), S[:-1].flatten(0, 1))
    return dW


def _buffers(g: torch.Tensor | None, ref: torch.Tensor, *shapes):
    """The incoming gradient g (shaped like ref) contiguous, and backward's scratch of
    `shapes` from the pool (reused from pass to pass): g itself where it is contiguous, else a
    copy in scratch too (zeros where autograd passed None)."""
    scratch = [pool.empty(s, ref) for s in shapes]
    if g is not None and g.is_contiguous():
        return g, *scratch
    copy = pool.empty(ref.shape, ref)
    return (copy.zero_() if g is None else copy.copy_(g)), *scratch


def _grad(g: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    """An incoming gradient as a fresh contiguous buffer (zeros where autograd passed None),
    copied once."""
    if g is None:
        return torch.zeros_like(like)
    return g.clone() if g.is_contiguous() else g.contiguous()


class _Elman(torch.autograd.Function):
    """a_t = f(W_F x_t + b + a_{t-1} W_R^T): x (T, B, I) time-major, h0 (B, H), mask (T, B) or
    None -> the states S (T, B, H), written over the input projection (no copy). The final
    state is S[-1], as padded rows carry their state to the end."""

    @staticmethod
    def forward(ctx, x, W_F, b, W_R, h0, mask, activation):
        S, x2 = _project(x, W_F)
        kernels.elman_forward(S, h0.contiguous(), W_R.contiguous(), b.contiguous(), mask,
                              activation)
        ctx.save_for_backward(x2, W_F, S, W_R, h0, mask)
        ctx.activation = activation
        return S

    @staticmethod
    @once_differentiable
    def backward(ctx, dS):
        x2, W_F, S, W_R, h0, mask = ctx.saved_tensors
        dS, dz = _buffers(dS, S, S.shape)
        dh0 = torch.empty_like(h0)
        kernels.elman_backward(S, W_R.contiguous(), mask, dS, dz, dh0, ctx.activation)
        return (*_input_grads(ctx, dz, x2, W_F), _outer_sum(dz, h0, S), dh0, None, None)


def _elman(cell: ElmanCell, x, h0, mask):
    S = _Elman.apply(x, cell.W_F, cell.b, cell.W_R, h0, mask, cell.activation)
    return S, S[-1]


class _LSTM(torch.autograd.Function):
    """Gates i,f,g,o = W_F x_t + b + h_{t-1} W_R^T; c_t = f c_{t-1} + i g; h_t = o tanh(c_t)."""

    @staticmethod
    def forward(ctx, x, W_F, b, W_R, h0, c0, mask):
        gates, x2 = _project(x, W_F)                  # activated in place: (T, B, 4H)
        T, B, G = gates.shape
        Hs, Cs, Tc = (pool.empty((T, B, G // 4), x) for _ in range(3))
        h0, c0 = h0.contiguous(), c0.contiguous()
        kernels.lstm_forward(gates, Hs, Cs, Tc, h0, c0, W_R.contiguous(), b.contiguous(), mask)
        ctx.save_for_backward(x2, W_F, gates, Hs, Cs, Tc, W_R, h0, c0, mask)
        return Hs, Hs[-1].clone(), Cs[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, dH_all, dh_last, dc_last):
        x2, W_F, gates, Hs, Cs, Tc, W_R, h0, c0, mask = ctx.saved_tensors
        dh, dc = _grad(dh_last, h0), _grad(dc_last, c0)
        dH, dz = _buffers(dH_all, Hs, gates.shape)
        kernels.lstm_backward(gates, Cs, Tc, c0, W_R.contiguous(), mask, dH, dh, dc, dz)
        return (*_input_grads(ctx, dz, x2, W_F), _outer_sum(dz, h0, Hs), dh, dc, None)


def _lstm(cell: LSTMCell, x, state, mask):
    Hs, h, c = _LSTM.apply(x, cell.W_F, cell.b, cell.W_R, state[0], state[1], mask)
    return Hs, (h, c)


class _GRU(torch.autograd.Function):
    """r,z = sigmoid(xz_rz + W_R h); n = tanh(xz_n + r (W_Rn h + b_Rn)); h = n + z (h - n),
    with xz = W_F x + b."""

    @staticmethod
    def forward(ctx, x, W_F, b, W_R, b_Rn, h0, mask):
        rzn, x2 = _project(x, W_F)                    # r, z, n activated in place: (T, B, 3H)
        T, B, G = rzn.shape
        hn, S = pool.empty((T, B, G // 3), x), pool.empty((T, B, G // 3), x)
        h0 = h0.contiguous()
        kernels.gru_forward(rzn, rzn, hn, S, h0, W_R.contiguous(), b.contiguous(),
                            b_Rn.contiguous(), mask)
        ctx.save_for_backward(x2, W_F, rzn, hn, S, W_R, h0, mask)
        return S, S[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, dS_all, d_last):
        x2, W_F, rzn, hn, S, W_R, h0, mask = ctx.saved_tensors
        H = S.shape[2]
        dh = _grad(d_last, h0)
        dS, dx, dhr = _buffers(dS_all, S, rzn.shape, rzn.shape)
        kernels.gru_backward(rzn, hn, S, h0, W_R.contiguous(), mask, dS, dh, dx, dhr)
        db_Rn = dhr[..., 2 * H:].sum((0, 1))
        return (*_input_grads(ctx, dx, x2, W_F), _outer_sum(dhr, h0, S), db_Rn, dh, None)


def _gru(cell: GRUCell, x, h0, mask):
    return _GRU.apply(x, cell.W_F, cell.b, cell.W_R, cell.b_Rn, h0, mask)


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
