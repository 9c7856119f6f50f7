"""The fast path's autograd nodes, and the same as PyTorch operators, ``torch.ops.elman.*``.

Per cell, a forward that runs the whole time loop of one layer direction (returning, besides
its outputs, the intermediates backward reads: nothing is kept on the side) and a backward
that runs the loop back and makes the input and weight gradients. Both write only into
buffers they allocate (``pool``), never into their inputs.

``run`` calls them in one of two ways, with the same numbers:

* eagerly, through one ``torch.autograd.Function`` (``_Eager``) that calls the functions
  directly;
* while torch.compile or torch.export traces, as the operators ``elman::{cell}_scan`` and
  ``elman::{cell}_scan_backward`` (``torch.library.custom_op``): ``register_fake`` gives the
  shapes of their results, so a graph is traced through them for any T and B, and
  ``register_autograd`` makes the backward operator their gradient, so AOTAutograd puts it
  into the compiled backward graph. Eager calls skip the dispatcher, which measured about
  80 us of CPU per layer direction and training step (forward and backward).

Shapes, time-major: x (T, B, I); h0, c0 (B, H); mask (T, B) bool or None; W_F (G*H, I), W_R
(G*H, H), b (G*H,) with G = 1 (elman), 4 (lstm), 3 (gru). ``needs`` (x, W_F, b) says which
of the first three gradients backward makes; the others come back empty, (0,).
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from . import kernels, pool


@dataclass(frozen=True)
class Scan:
    """One cell's fast path: ``forward(*inputs)``, ``setup(ctx, inputs, output)`` (what
    backward keeps) and ``grads(ctx, *output_grads)`` (a gradient per input) for eager mode;
    ``op`` the forward operator, whose autograd runs the same setup and grads with the
    backward operator in place of the backward function."""
    op: Callable
    forward: Callable
    setup: Callable
    grads: Callable


def run(scan: Scan, x: Tensor, *inputs):
    """scan's forward on (x, *inputs), differentiable: the operator while torch.compile or
    torch.export traces, else the functions themselves. x is made contiguous once (a copy
    where it is the transposed batch-first input), as forward and backward both read it."""
    if torch.compiler.is_compiling():
        return scan.op(x.contiguous(), *inputs)
    return _Eager.apply(x, *inputs, scan)


class _Eager(torch.autograd.Function):
    """A Scan as one autograd node; its last input is the Scan. The copy of x is made inside
    it, so that it is no autograd node of its own."""

    @staticmethod
    def forward(ctx, x, *args):
        *inputs, scan = args
        inputs = (x.contiguous(), *inputs)
        output = scan.forward(*inputs)
        scan.setup(ctx, inputs, output)
        ctx.scan = scan
        return output

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        return *ctx.scan.grads(ctx, *grads), None


def _define(name: str, forward, forward_fake, setup, grads, backward, backward_fake) -> Scan:
    """The operators elman::name and elman::name_backward, and the Scan that runs them.
    grads(ctx, *output_grads, backward=...) calls the backward it is given."""
    op = torch.library.custom_op(f"elman::{name}", forward, mutates_args=())
    op.register_fake(forward_fake)
    backward_op = torch.library.custom_op(f"elman::{name}_backward", backward, mutates_args=())
    backward_op.register_fake(backward_fake)
    backward_op.register_autograd(_twice)
    op.register_autograd(lambda ctx, *g: grads(ctx, *g, backward=backward_op),
                         setup_context=setup)
    return Scan(op, forward, setup, lambda ctx, *g: grads(ctx, *g, backward=backward))


def _twice(ctx, *grads):
    raise RuntimeError("elman's fast path cannot differentiate twice: its backward is written "
                       "by hand, not made of differentiable operations; backend='loop' gives "
                       "second derivatives")


def _project(x: Tensor, W_F: Tensor) -> Tensor:
    """The input part of every step in one product: x (T, B, I) -> xz = x W_F^T, a fresh
    (T, B, G*H) buffer the loop may overwrite. The loop adds the bias: addmm's broadcast of
    it measured up to 1.6x the product's time."""
    T, B, I = x.shape
    xz = torch.mm(x.reshape(T * B, I), W_F.t(), out=pool.empty((T * B, W_F.shape[0]), x))
    return xz.view(T, B, -1)


def _input_grads(needs: list[bool], dz: Tensor, x: Tensor, W_F: Tensor):
    """(dx (T, B, I), dW_F, db) of xz = x W_F^T + b from dz (T, B, G*H); empty where
    `needs` says none is needed."""
    T, B, G = dz.shape
    d2 = dz.view(T * B, G)
    dx, dW_F, db = (None if need else dz.new_empty(0) for need in needs)
    if needs[0]:
        dx = torch.mm(d2, W_F, out=pool.empty((T * B, W_F.shape[1]), dz)).view(T, B, -1)
    if needs[1]:  # for inputs narrower than 128, x2^T d2 measured 10-30% faster
        x2 = x.reshape(T * B, -1)
        dW_F = (x2.t() @ d2).t().contiguous() if x2.shape[1] < 128 else d2.t() @ x2
    if needs[2]:
        db = d2.sum(0)
    return dx, dW_F, db


def _input_grads_fake(needs: list[bool], x: Tensor, W_F: Tensor):
    return tuple(t.new_empty(t.shape if need else (0,))
                 for t, need in zip((x, W_F, W_F[:, 0]), needs))


def _needed(ctx, grads):
    """Backward's first three results as autograd takes them: None where not needed."""
    return tuple(g if need else None for g, need in zip(grads, ctx.needs_input_grad))


def _outer_sum(dz: Tensor, h0: Tensor, S: Tensor) -> Tensor:
    """dW_R = sum_t dz_t^T a_{t-1}, with a_{-1} = h0: dz (T, B, G*H), S (T, B, H) -> (G*H, H)."""
    dW = dz[0].t() @ h0
    if len(S) > 1:
        dW.addmm_(dz[1:].flatten(0, 1).t(), S[:-1].flatten(0, 1))
    return dW


def _buffers(g: Tensor | None, ref: Tensor, *shapes):
    """The incoming gradient g (shaped like ref) contiguous, and backward's scratch of
    `shapes` from the pool (reused from pass to pass): g itself where it is contiguous, else a
    copy in scratch too (zeros where autograd passed None)."""
    scratch = [pool.empty(s, ref) for s in shapes]
    if g is not None and g.is_contiguous():
        return g, *scratch
    copy = pool.empty(ref.shape, ref)
    return (copy.zero_() if g is None else copy.copy_(g)), *scratch


def _grad(g: Tensor | None, like: Tensor) -> Tensor:
    """An incoming gradient as a fresh contiguous buffer (zeros where autograd passed None),
    copied once."""
    if g is None:
        return torch.zeros_like(like)
    return g.clone() if g.is_contiguous() else g.contiguous()


# Elman: a_t = f(W_F x_t + b + a_{t-1} W_R^T)

def _elman_forward(x: Tensor, W_F: Tensor, b: Tensor, W_R: Tensor, h0: Tensor,
                   mask: Tensor | None, activation: str) -> Tensor:
    """-> the states S (T, B, H), written over the input projection (no copy). The final
    state is S[-1], as padded rows carry their state to the end."""
    S = _project(x, W_F)
    kernels.elman_forward(S, h0.contiguous(), W_R.contiguous(), b.contiguous(), mask,
                          activation)
    return S


def _elman_forward_fake(x, W_F, b, W_R, h0, mask, activation):
    return x.new_empty(x.shape[0], x.shape[1], W_R.shape[1])


def _elman_setup(ctx, inputs, output):
    x, W_F, _, W_R, h0, mask, ctx.activation = inputs
    ctx.save_for_backward(x, W_F, output, W_R, h0, mask)
    ctx.set_materialize_grads(False)


def _elman_grads(ctx, dS, backward):
    x, W_F, S, W_R, h0, mask = ctx.saved_tensors
    *first, dW_R, dh0 = backward(dS, x, W_F, S, W_R, h0, mask, ctx.activation,
                                 list(ctx.needs_input_grad[:3]))
    return (*_needed(ctx, first), dW_R, dh0, None, None)


def _elman_backward(dS: Tensor | None, x: Tensor, W_F: Tensor, S: Tensor, W_R: Tensor,
                    h0: Tensor, mask: Tensor | None, activation: str, needs: list[bool]
                    ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """dL/dS (T, B, H) -> (dx, dW_F, db, dW_R, dh0)."""
    dS, dz = _buffers(dS, S, S.shape)
    dh0 = h0.new_empty(h0.shape)
    kernels.elman_backward(S, W_R.contiguous(), mask, dS, dz, dh0, activation)
    return (*_input_grads(needs, dz, x, W_F), _outer_sum(dz, h0, S), dh0)


def _elman_backward_fake(dS, x, W_F, S, W_R, h0, mask, activation, needs):
    return (*_input_grads_fake(needs, x, W_F), W_R.new_empty(W_R.shape),
            h0.new_empty(h0.shape))


ELMAN = _define("elman_scan", _elman_forward, _elman_forward_fake, _elman_setup, _elman_grads,
                _elman_backward, _elman_backward_fake)


# LSTM: gates i,f,g,o = W_F x_t + b + h_{t-1} W_R^T; c_t = f c_{t-1} + i g; h_t = o tanh(c_t)

def _lstm_forward(x: Tensor, W_F: Tensor, b: Tensor, W_R: Tensor, h0: Tensor, c0: Tensor,
                  mask: Tensor | None
                  ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """-> (Hs (T, B, H), final h, final c (B, H)), and for backward the activated gates
    (T, B, 4H), Cs and tanh(Cs) (T, B, H)."""
    gates = _project(x, W_F)                      # activated in place
    T, B, G = gates.shape
    Hs, Cs, Tc = (pool.empty((T, B, G // 4), x) for _ in range(3))
    kernels.lstm_forward(gates, Hs, Cs, Tc, h0.contiguous(), c0.contiguous(), W_R.contiguous(),
                         b.contiguous(), mask)
    return Hs, Hs[-1].clone(), Cs[-1].clone(), gates, Cs, Tc


def _lstm_forward_fake(x, W_F, b, W_R, h0, c0, mask):
    T, B, H = x.shape[0], x.shape[1], W_R.shape[1]
    Hs, Cs, Tc = (x.new_empty(T, B, H) for _ in range(3))
    return Hs, h0.new_empty(B, H), c0.new_empty(B, H), x.new_empty(T, B, 4 * H), Cs, Tc


def _lstm_setup(ctx, inputs, output):
    x, W_F, _, W_R, h0, c0, mask = inputs
    Hs, _, _, gates, Cs, Tc = output
    ctx.save_for_backward(x, W_F, gates, Hs, Cs, Tc, W_R, h0, c0, mask)
    ctx.mark_non_differentiable(gates, Cs, Tc)
    ctx.set_materialize_grads(False)


def _lstm_grads(ctx, dH_all, dh_last, dc_last, *_, backward):
    *first, dW_R, dh0, dc0 = backward(dH_all, dh_last, dc_last, *ctx.saved_tensors,
                                      list(ctx.needs_input_grad[:3]))
    return (*_needed(ctx, first), dW_R, dh0, dc0, None)


def _lstm_backward(dH_all: Tensor | None, dh_last: Tensor | None, dc_last: Tensor | None,
                   x: Tensor, W_F: Tensor, gates: Tensor, Hs: Tensor, Cs: Tensor, Tc: Tensor,
                   W_R: Tensor, h0: Tensor, c0: Tensor, mask: Tensor | None, needs: list[bool]
                   ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """dL/dHs, dL/d(final h, c) -> (dx, dW_F, db, dW_R, dh0, dc0)."""
    h0, c0 = h0.contiguous(), c0.contiguous()
    dh, dc = _grad(dh_last, h0), _grad(dc_last, c0)
    dH, dz = _buffers(dH_all, Hs, gates.shape)
    kernels.lstm_backward(gates, Cs, Tc, c0, W_R.contiguous(), mask, dH, dh, dc, dz)
    return (*_input_grads(needs, dz, x, W_F), _outer_sum(dz, h0, Hs), dh, dc)


def _lstm_backward_fake(dH_all, dh_last, dc_last, x, W_F, gates, Hs, Cs, Tc, W_R, h0, c0, mask,
                        needs):
    return (*_input_grads_fake(needs, x, W_F), W_R.new_empty(W_R.shape),
            h0.new_empty(h0.shape), c0.new_empty(c0.shape))


LSTM = _define("lstm_scan", _lstm_forward, _lstm_forward_fake, _lstm_setup, _lstm_grads,
               _lstm_backward, _lstm_backward_fake)


# GRU: r,z = sigmoid(xz_rz + W_R h); n = tanh(xz_n + r (W_Rn h + b_Rn)); h = n + z (h - n),
# with xz = W_F x + b

def _gru_forward(x: Tensor, W_F: Tensor, b: Tensor, W_R: Tensor, b_Rn: Tensor, h0: Tensor,
                 mask: Tensor | None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """-> (S (T, B, H), final state (B, H)), and for backward r, z, n activated (T, B, 3H) and
    W_Rn h_{t-1} + b_Rn (T, B, H)."""
    rzn = _project(x, W_F)                        # r, z, n activated in place
    T, B, G = rzn.shape
    hn, S = pool.empty((T, B, G // 3), x), pool.empty((T, B, G // 3), x)
    kernels.gru_forward(rzn, rzn, hn, S, h0.contiguous(), W_R.contiguous(), b.contiguous(),
                        b_Rn.contiguous(), mask)
    return S, S[-1].clone(), rzn, hn


def _gru_forward_fake(x, W_F, b, W_R, b_Rn, h0, mask):
    T, B, H = x.shape[0], x.shape[1], W_R.shape[1]
    return x.new_empty(T, B, H), h0.new_empty(B, H), x.new_empty(T, B, 3 * H), x.new_empty(T, B, H)


def _gru_setup(ctx, inputs, output):
    x, W_F, _, W_R, _, h0, mask = inputs
    S, _, rzn, hn = output
    ctx.save_for_backward(x, W_F, rzn, hn, S, W_R, h0, mask)
    ctx.mark_non_differentiable(rzn, hn)
    ctx.set_materialize_grads(False)


def _gru_grads(ctx, dS_all, d_last, *_, backward):
    *first, dW_R, db_Rn, dh0 = backward(dS_all, d_last, *ctx.saved_tensors,
                                        list(ctx.needs_input_grad[:3]))
    return (*_needed(ctx, first), dW_R, db_Rn, dh0, None)


def _gru_backward(dS_all: Tensor | None, d_last: Tensor | None, x: Tensor, W_F: Tensor,
                  rzn: Tensor, hn: Tensor, S: Tensor, W_R: Tensor, h0: Tensor,
                  mask: Tensor | None, needs: list[bool]
                  ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """dL/dS, dL/d(final state) -> (dx, dW_F, db, dW_R, db_Rn, dh0)."""
    H, h0 = S.shape[2], h0.contiguous()
    dh = _grad(d_last, h0)
    dS, dxz, dhr = _buffers(dS_all, S, rzn.shape, rzn.shape)
    kernels.gru_backward(rzn, hn, S, h0, W_R.contiguous(), mask, dS, dh, dxz, dhr)
    db_Rn = dhr[..., 2 * H:].sum((0, 1))
    return (*_input_grads(needs, dxz, x, W_F), _outer_sum(dhr, h0, S), db_Rn, dh)


def _gru_backward_fake(dS_all, d_last, x, W_F, rzn, hn, S, W_R, h0, mask, needs):
    return (*_input_grads_fake(needs, x, W_F), W_R.new_empty(W_R.shape),
            h0.new_empty(S.shape[2]), h0.new_empty(h0.shape))


GRU = _define("gru_scan", _gru_forward, _gru_forward_fake, _gru_setup, _gru_grads,
              _gru_backward, _gru_backward_fake)
