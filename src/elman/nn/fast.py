"""The fast path: the whole time loop of one layer direction as one autograd node.

The plain loop (``layer.scan``) lets autograd record every step: several nodes per step, a
graph walk per step in backward, and the input part W_F x_t + b recomputed nowhere but also
never batched in backward. Here, per layer direction:

* forward runs only the sequential part, z_t = xz_t + W_R a_{t-1}, without recording a graph,
  storing the states in one (T, B, H) buffer;
* backward is written by hand: every elementwise derivative that does not depend on the
  incoming gradient (1 - a^2 for tanh, the gate derivatives of LSTM and GRU) is computed for
  all steps at once before the loop, the loop does one (B, H) x (H, G*H) matrix product and
  two or three elementwise ops per step, and dW_R = sum_t dz_t^T a_{t-1} is one large matrix
  product after the loop. The input projection's gradients (W_F, b, x) come from autograd as
  large matrix products over all T*B rows.

An LSTM layer without padding goes instead to torch's fused LSTM kernel (oneDNN's LSTM
primitive for float32 on CPU), whose gates and equations are the same: per-step elementwise
work driven from Python cannot match it. With lengths, the LSTM takes the path above.

Results equal the plain loop to rounding (tested to 1e-10 in float64). ``scan`` picks the
function for a cell; ``layer.RNN`` calls it when ``backend`` is "fast" (or "auto").
"""

import torch

from .cells import Cell, ElmanCell, GRUCell, LSTMCell

_DERIVATIVE = {  # f'(z) written through a = f(z)
    "tanh": lambda a: 1 - a * a,
    "sigmoid": lambda a: a * (1 - a),
    "relu": lambda a: (a > 0).to(a.dtype),
    "identity": lambda a: torch.ones_like(a),
}
_INPLACE = {
    "tanh": torch.Tensor.tanh_,
    "sigmoid": torch.Tensor.sigmoid_,
    "relu": torch.Tensor.relu_,
    "identity": lambda a: a,
}


def _outer_sum(dz: torch.Tensor, h0: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
    """dW_R = sum_t dz_t^T a_{t-1}, with a_{-1} = h0: dz (T, B, G*H), S (T, B, H) -> (G*H, H)."""
    dW = dz[0].t() @ h0
    if len(S) > 1:
        dW.addmm_(dz[1:].flatten(0, 1).t(), S[:-1].flatten(0, 1))
    return dW


def _keep(state_new: torch.Tensor, state_old: torch.Tensor, m: torch.Tensor | None):
    """At padded steps (m False) the state is carried unchanged; in place on state_new."""
    if m is not None:
        torch.where(m, state_new, state_old, out=state_new)


class _Elman(torch.autograd.Function):
    """a_t = f(xz_t + a_{t-1} W_R^T): xz (T, B, H) time-major, h0 (B, H), mask (T, B, 1)."""

    @staticmethod
    def forward(ctx, xz, W_R, h0, mask, activation):
        S = xz.clone()                                # S[t]: state after step t, (T, B, H)
        # W_R^T copied contiguous: MKL's small-batch GEMM is ~3x slower on a transposed view
        WT, f, h = W_R.t().contiguous(), _INPLACE[activation], h0
        for t, s in enumerate(S.unbind(0)):
            f(s.addmm_(h, WT))
            if mask is not None:
                torch.where(mask[t], s, h, out=s)
            h = s
        ctx.save_for_backward(S, W_R, h0, mask)
        ctx.activation = activation
        return S, S[-1].clone()

    @staticmethod
    def backward(ctx, dS_all, d_last):
        S, W_R, h0, mask = ctx.saved_tensors
        fp = _DERIVATIVE[ctx.activation](S)           # (T, B, H), for all steps at once
        # dz starts as the gradient arriving from above; the loop adds the gradient from the
        # next step (dz_{t+1} W_R) and multiplies by f'(z_t) in place.
        dz = dS_all.clone() if dS_all is not None else torch.zeros_like(S)
        if d_last is not None:
            dz[-1] += d_last
        if mask is not None:
            carry = (~mask).to(S.dtype)
            fp = fp * mask
        steps = dz.unbind(0)
        dh0 = torch.zeros_like(h0)
        for t in range(len(steps) - 1, -1, -1):
            below = steps[t - 1] if t > 0 else dh0
            if mask is not None:
                below.addcmul_(steps[t], carry[t])
            steps[t].mul_(fp[t])
            below.addmm_(steps[t], W_R)
        return dz, _outer_sum(dz, h0, S), dh0, None, None


def _elman(cell: ElmanCell, xz, h0, mask):
    return _Elman.apply(xz, cell.W_R, h0, mask, cell.activation)


class _LSTM(torch.autograd.Function):
    """Gates i,f,g,o = xz_t + h_{t-1} W_R^T; c_t = f c_{t-1} + i g; h_t = o tanh(c_t)."""

    @staticmethod
    def forward(ctx, xz, W_R, h0, c0, mask):
        T, B, G = xz.shape
        H = G // 4
        gates = xz.clone()                            # activated gates, (T, B, 4H)
        Hs, Cs = xz.new_empty(T, B, H), xz.new_empty(T, B, H)
        WT, h, c = W_R.t().contiguous(), h0, c0
        for t, z in enumerate(gates.unbind(0)):
            z.addmm_(h, WT)
            z[:, :2 * H].sigmoid_()
            z[:, 2 * H:3 * H].tanh_()
            z[:, 3 * H:].sigmoid_()
            i, f, g, o = z.chunk(4, dim=1)
            torch.addcmul(f * c, i, g, out=Cs[t])
            torch.mul(o, torch.tanh(Cs[t]), out=Hs[t])
            if mask is not None:
                _keep(Cs[t], c, mask[t])
                _keep(Hs[t], h, mask[t])
            h, c = Hs[t], Cs[t]
        ctx.save_for_backward(gates, Hs, Cs, W_R, h0, c0, mask)
        return Hs, Hs[-1].clone(), Cs[-1].clone()

    @staticmethod
    def backward(ctx, dH_all, dh_last, dc_last):
        gates, Hs, Cs, W_R, h0, c0, mask = ctx.saved_tensors
        T, B, G = gates.shape
        H = G // 4
        i, f, g, o = gates.chunk(4, dim=2)
        c_prev = torch.cat([c0.unsqueeze(0), Cs[:-1]])
        tc = torch.tanh(Cs)
        # d/d(pre-activation) factors for all steps: dc += dh*A; d_o = dh*Bo; d_ifg = dc*C
        A = o * (1 - tc * tc)
        Bo = tc * o * (1 - o)
        C = torch.cat([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], dim=2)
        if mask is not None:
            m = mask.to(gates.dtype)
            A, Bo, C, keep_c = A * m, Bo * m, C * m, f * m + (1 - m)
            carry = 1 - m
        else:
            keep_c = f
        dh = dh_last.clone() if dh_last is not None else torch.zeros_like(h0)
        dc = dc_last.clone() if dc_last is not None else torch.zeros_like(c0)
        dH_all = dH_all if dH_all is not None else torch.zeros_like(Hs)
        dz = torch.empty_like(gates)
        for t in range(T - 1, -1, -1):
            g_h = dh + dH_all[t]
            dc = torch.addcmul(dc, g_h, A[t])
            torch.mul(C[t].view(B, 3, H), dc.unsqueeze(1), out=dz[t, :, :3 * H].view(B, 3, H))
            torch.mul(g_h, Bo[t], out=dz[t, :, 3 * H:])
            dc = dc * keep_c[t]
            dh = dz[t] @ W_R if mask is None else torch.addcmul(dz[t] @ W_R, g_h, carry[t])
        return dz, _outer_sum(dz, h0, Hs), dh, dc, None


def _lstm(cell: LSTMCell, xz, state, mask):
    Hs, h, c = _LSTM.apply(xz, cell.W_R, state[0], state[1], mask)
    return Hs, (h, c)


class _GRU(torch.autograd.Function):
    """r,z = sigmoid(xz_rz + W_R h); n = tanh(xz_n + r (W_Rn h + b_Rn)); h = n + z (h - n)."""

    @staticmethod
    def forward(ctx, xz, W_R, b_Rn, h0, mask):
        T, B, G = xz.shape
        H = G // 3
        rzn = torch.empty_like(xz)                    # r, z, n activated, (T, B, 3H)
        hn = xz.new_empty(T, B, H)                    # W_Rn h_{t-1} + b_Rn
        S = xz.new_empty(T, B, H)
        WT, h = W_R.t().contiguous(), h0
        for t in range(T):
            hr = h @ WT
            rz = torch.add(xz[t, :, :2 * H], hr[:, :2 * H], out=rzn[t, :, :2 * H]).sigmoid_()
            torch.add(hr[:, 2 * H:], b_Rn, out=hn[t])
            n = torch.addcmul(xz[t, :, 2 * H:], rz[:, :H], hn[t], out=rzn[t, :, 2 * H:]).tanh_()
            torch.addcmul(n, rz[:, H:], h - n, out=S[t])
            _keep(S[t], h, None if mask is None else mask[t])
            h = S[t]
        ctx.save_for_backward(rzn, hn, S, W_R, h0, mask)
        return S, S[-1].clone()

    @staticmethod
    def backward(ctx, dS_all, d_last):
        rzn, hn, S, W_R, h0, mask = ctx.saved_tensors
        T, B, G = rzn.shape
        H = G // 3
        r, z, n = rzn.chunk(3, dim=2)
        h_prev = torch.cat([h0.unsqueeze(0), S[:-1]])
        dn_f = (1 - z) * (1 - n * n)                  # dh -> d(pre-activation of n)
        dz_f = (h_prev - n) * z * (1 - z)             # dh -> d(pre-activation of z)
        dr_f = hn * r * (1 - r)                       # d_n_pre -> d(pre-activation of r)
        keep_h = z
        if mask is not None:
            m = mask.to(rzn.dtype)
            dn_f, dz_f, keep_h = dn_f * m, dz_f * m, z * m + (1 - m)
        dh = d_last.clone() if d_last is not None else torch.zeros_like(h0)
        dS_all = dS_all if dS_all is not None else torch.zeros_like(S)
        dx = torch.empty_like(rzn)                    # gradient wrt xz
        dhr = torch.empty_like(rzn)                   # gradient wrt h W_R^T (+ b_Rn for n)
        for t in range(T - 1, -1, -1):
            g = dh + dS_all[t]
            dn = torch.mul(g, dn_f[t], out=dx[t, :, 2 * H:])
            torch.mul(dn, dr_f[t], out=dx[t, :, :H])
            torch.mul(g, dz_f[t], out=dx[t, :, H:2 * H])
            dhr[t, :, :2 * H] = dx[t, :, :2 * H]
            torch.mul(dn, r[t], out=dhr[t, :, 2 * H:])
            dh = torch.addcmul(dhr[t] @ W_R, g, keep_h[t])
        flat = dhr.flatten(0, 1)
        dW_R = flat.t() @ h_prev.flatten(0, 1)
        db_Rn = flat[:, 2 * H:].sum(0)
        return dx, dW_R, db_Rn, dh, None


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


def scan(cell: Cell, x: torch.Tensor, state, mask: torch.Tensor | None):
    """Same contract as ``layer.scan``: x (T, B, H_in), mask (T, B, 1) bool or None ->
    (outputs (T, B, H), final state). An LSTM without padding runs torch's fused LSTM kernel,
    which is faster on CPU than any per-step loop driven from Python."""
    if isinstance(cell, LSTMCell) and mask is None:
        return _lstm_onednn(cell, x, state)
    xz = cell.project(x).contiguous()
    if isinstance(cell, LSTMCell):
        S, final = _lstm(cell, xz, state, mask)
    elif isinstance(cell, GRUCell):
        S, final = _gru(cell, xz, state, mask)
    else:
        S, final = _elman(cell, xz, state, mask)
    return (S if mask is None else S * mask), final
