"""The sequential loops of the fast path: one call runs all T steps of one layer direction.

Each loop exists twice with the same contract:

* in C (``_kernels.c``, compiled when elman is installed), calling the BLAS of torch's own
  build (MKL's ``sgemm_``/``dgemm_``, exported by libtorch_cpu), so a step costs its matrix
  product and one vectorised pass over its elements;
* in Python over torch ops, taken where the C library did not build, where torch's library
  lacks those symbols, or where ``ENABLED`` is set to False (tests compare the two).

Contract: contiguous time-major tensors, float32 or float64, on the CPU; ``mask`` (T, B) bool
or None; results are written in place into the buffers passed. Shapes: xz, S (T, B, G*H),
h0 (B, H), W_R (G*H, H). The derivatives are those of ``fast``'s docstring.
"""

import ctypes
import importlib.util
import os

import torch

ENABLED = True
_ACTIVATIONS = {"tanh": 0, "sigmoid": 1, "relu": 2, "identity": 3}
_REQUIRED = ("sgemm_", "dgemm_")
_OPTIONAL = ("cblas_sgemm_pack_get_size", "cblas_sgemm_pack", "cblas_sgemm_compute",
             "mkl_set_num_threads_local")
SPLIT = os.environ.get("ELMAN_BATCH_SPLIT") != "0"  # see chunks()
SPLIT_BYTES = 2 ** 21     # split the batch across threads only while W_R is at most this big
MIN_ROWS = 8              # ... and every thread gets at least this many rows
PARALLEL_MIN = 4096       # elements per step from which the elementwise work is spread over
                          # torch's OpenMP threads (below, a parallel region costs more)


def _load():
    """The C library initialised with torch's BLAS, or None."""
    spec = importlib.util.find_spec("elman.nn._kernels")
    if spec is None or spec.origin is None:
        return None
    try:
        blas = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))
        pointers = [ctypes.cast(getattr(blas, name), ctypes.c_void_p) for name in _REQUIRED]
        lib = ctypes.CDLL(spec.origin)
    except (OSError, AttributeError):
        return None
    optional = [ctypes.cast(getattr(blas, name, None) or 0, ctypes.c_void_p)
                for name in _OPTIONAL]
    lib.elman_init(*pointers, *optional)
    return lib


_LIB = _load()


def isa(level: int = -1) -> int:
    """Make the C loops run their variant for an instruction set (2: AVX-512, 1: AVX2 with
    FMA, 0: baseline; -1: the best this CPU has), capped by the CPU; returns the one that
    runs (-1 where the C library did not build). Variants differ only in the width of the
    elementwise vectors."""
    return -1 if _LIB is None else _LIB.elman_isa(level)


def compiled(t: torch.Tensor) -> bool:
    """Whether the C loop runs for tensors like t."""
    return (ENABLED and _LIB is not None and t.device.type == "cpu"
            and t.dtype in (torch.float32, torch.float64))


def chunks(B: int, W_R: torch.Tensor) -> int:
    """Threads that each run a slice of the batch through all steps with single-threaded
    products (1: one thread runs the loop and the BLAS threads each product). The split has
    no barrier per step and keeps each slice of the states in one core's cache: on 2 cores
    it measured 10-22% faster than the threaded products for Elman, LSTM and GRU at
    H=128-512 (benchmarks/speed.py), and up to 1.7x faster beside a busy process (--shared);
    but slower where W_R outgrows a core's cache (LSTM and GRU at H=512), hence only up to
    ``SPLIT_BYTES``, and with at least ``MIN_ROWS`` rows a thread. ELMAN_BATCH_SPLIT=0 (or
    ``SPLIT = False``) turns it off."""
    if not SPLIT or W_R.numel() * W_R.element_size() > SPLIT_BYTES:
        return 1
    return max(1, min(torch.get_num_threads(), B // MIN_ROWS))


def _plan(B: int, W_R: torch.Tensor) -> tuple[int, int]:
    """(chunks, parallel) for a loop over a batch of B with this W_R."""
    n = chunks(B, W_R)
    return n, int(n == 1 and B * W_R.shape[0] >= PARALLEL_MIN)


def _call(name: str, ints, *tensors):
    suffix = "_f32" if tensors[0].dtype == torch.float32 else "_f64"
    args = [ctypes.c_int(i) for i in ints]
    for t in tensors:
        args.append(None if t is None else ctypes.c_void_p(t.data_ptr()))
    getattr(_LIB, name + suffix)(*args)


def _t(W: torch.Tensor) -> torch.Tensor:
    """W^T copied contiguous: MKL's small-batch GEMM measured up to 1.6x slower on a transposed
    view."""
    return W.t().contiguous()


def _keep(new, old, m):
    """At padded rows (m False) the state is carried unchanged; in place on new."""
    if m is not None:
        torch.where(m.unsqueeze(-1), new, old, out=new)


_INPLACE = {"tanh": torch.Tensor.tanh_, "sigmoid": torch.Tensor.sigmoid_,
            "relu": torch.Tensor.relu_, "identity": lambda a: a}
_DERIVATIVE = {"tanh": lambda a: 1 - a * a, "sigmoid": lambda a: a * (1 - a),
               "relu": lambda a: (a > 0).to(a.dtype), "identity": torch.ones_like}


def elman_forward(S, h0, W_R, b, mask, activation: str):
    """S holds xz on entry and the states on return: S[t] = f(xz[t] + S[t-1] W_R^T + b)."""
    T, B, H = S.shape
    if compiled(S):
        ints = (*_plan(B, W_R), T, B, H, _ACTIVATIONS[activation])
        return _call("elman_forward", ints, S, h0, W_R, b, mask)
    S.add_(b)
    WT, f, h = _t(W_R), _INPLACE[activation], h0
    for t, s in enumerate(S.unbind(0)):
        f(s.addmm_(h, WT))
        _keep(s, h, None if mask is None else mask[t])
        h = s


def elman_backward(S, W_R, mask, dS, dz, dh0, activation: str):
    """dS (T, B, H): dL/dS; dz (T, B, H) gets dL/d(pre-activation), dh0 (B, H) dL/dh0."""
    T, B, H = S.shape
    if compiled(S):
        ints = (*_plan(B, W_R), T, B, H, _ACTIVATIONS[activation])
        return _call("elman_backward", ints, S, W_R, mask, dS, dz, dh0)
    fp = _DERIVATIVE[activation](S)
    if mask is not None:
        m = mask.reshape(T, B, 1)
        carry, fp = (~m).to(S.dtype), fp * m
    dz.copy_(dS)
    dh0.zero_()
    steps = dz.unbind(0)
    for t in range(T - 1, -1, -1):
        below = steps[t - 1] if t > 0 else dh0
        if mask is not None:
            below.addcmul_(steps[t], carry[t])
        steps[t].mul_(fp[t])
        below.addmm_(steps[t], W_R)


def lstm_forward(gates, Hs, Cs, Tc, h0, c0, W_R, b, mask):
    """gates (T, B, 4H) holds xz on entry and the activated i, f, g, o of xz_t + h_{t-1} W_R^T
    + b on return; Hs, Cs, Tc (T, B, H) get h_t, c_t and tanh(c_t)."""
    T, B, H = Hs.shape
    if compiled(gates):
        return _call("lstm_forward", (*_plan(B, W_R), T, B, H), gates, Hs, Cs, Tc, h0, c0,
                     W_R, b, mask)
    gates.add_(b)
    WT, h, c = _t(W_R), h0, c0
    for t, z in enumerate(gates.unbind(0)):
        z.addmm_(h, WT)
        z[:, :2 * H].sigmoid_()
        z[:, 2 * H:3 * H].tanh_()
        z[:, 3 * H:].sigmoid_()
        i, f, g, o = z.chunk(4, dim=1)
        torch.addcmul(f * c, i, g, out=Cs[t])
        m = None if mask is None else mask[t]
        _keep(Cs[t], c, m)
        torch.tanh(Cs[t], out=Tc[t])
        torch.mul(o, Tc[t], out=Hs[t])
        _keep(Hs[t], h, m)
        h, c = Hs[t], Cs[t]


def lstm_backward(gates, Cs, Tc, c0, W_R, mask, dH, dh, dc, dz):
    """dH (T, B, H): dL/dh_t from above; dh, dc (B, H): dL/d(final state) on entry, dL/d(initial
    state) on return; dz (T, B, 4H) gets dL/d(pre-activation gates)."""
    T, B, G = gates.shape
    H = G // 4
    if compiled(gates):
        return _call("lstm_backward", (*_plan(B, W_R), T, B, H), gates, Cs, Tc, c0, W_R,
                     mask, dH, dh, dc, dz)
    i, f, g, o = gates.chunk(4, dim=2)
    c_prev = torch.cat([c0.unsqueeze(0), Cs[:-1]])
    A = o * (1 - Tc * Tc)                          # dh -> dc
    Bo = Tc * o * (1 - o)                          # dh -> d(pre-activation o)
    C = torch.cat([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], dim=2)
    keep_c = f
    if mask is not None:
        m = mask.reshape(T, B, 1).to(gates.dtype)
        A, Bo, C, keep_c, carry = A * m, Bo * m, C * m, f * m + (1 - m), 1 - m
    for t in range(T - 1, -1, -1):
        g_h = dh + dH[t]
        dc.addcmul_(g_h, A[t])
        torch.mul(C[t].view(B, 3, H), dc.unsqueeze(1), out=dz[t, :, :3 * H].view(B, 3, H))
        torch.mul(g_h, Bo[t], out=dz[t, :, 3 * H:])
        dc.mul_(keep_c[t])
        torch.mm(dz[t], W_R, out=dh)
        if mask is not None:
            dh.addcmul_(g_h, carry[t])


def gru_forward(xz, rzn, hn, S, h0, W_R, b, b_Rn, mask):
    """rzn (T, B, 3H) gets r, z, n activated, with xz + b as their input part (rzn may be xz
    itself: every element is read before it is written); hn (T, B, H) W_Rn h_{t-1} + b_Rn;
    S the states."""
    T, B, H = S.shape
    if compiled(xz):
        return _call("gru_forward", (*_plan(B, W_R), T, B, H), xz, rzn, hn, S, h0, W_R, b,
                     b_Rn, mask, xz.new_empty(B, 3 * H))
    xz, WT, h = xz + b, _t(W_R), h0
    for t in range(T):
        hr = h @ WT
        rz = torch.add(xz[t, :, :2 * H], hr[:, :2 * H], out=rzn[t, :, :2 * H]).sigmoid_()
        torch.add(hr[:, 2 * H:], b_Rn, out=hn[t])
        n = torch.addcmul(xz[t, :, 2 * H:], rz[:, :H], hn[t], out=rzn[t, :, 2 * H:]).tanh_()
        torch.addcmul(n, rz[:, H:], h - n, out=S[t])
        _keep(S[t], h, None if mask is None else mask[t])
        h = S[t]


def gru_backward(rzn, hn, S, h0, W_R, mask, dS, dh, dx, dhr):
    """dS (T, B, H): dL/dh_t from above; dh (B, H): dL/d(final state) on entry, dL/dh0 on
    return; dx gets dL/dxz, dhr dL/d(h W_R^T + [0, 0, b_Rn]), both (T, B, 3H)."""
    T, B, H = S.shape
    if compiled(S):
        return _call("gru_backward", (*_plan(B, W_R), T, B, H), rzn, hn, S, h0, W_R,
                     mask, dS, dh, dx, dhr)
    r, z, n = rzn.chunk(3, dim=2)
    h_prev = torch.cat([h0.unsqueeze(0), S[:-1]])
    dn_f = (1 - z) * (1 - n * n)                  # dh -> d(pre-activation of n)
    dz_f = (h_prev - n) * z * (1 - z)             # dh -> d(pre-activation of z)
    dr_f = hn * r * (1 - r)                       # d_n_pre -> d(pre-activation of r)
    keep_h = z
    if mask is not None:
        m = mask.reshape(T, B, 1).to(rzn.dtype)
        dn_f, dz_f, dr_f, keep_h = dn_f * m, dz_f * m, dr_f * m, z * m + (1 - m)
    for t in range(T - 1, -1, -1):
        g = dh + dS[t]
        dn = torch.mul(g, dn_f[t], out=dx[t, :, 2 * H:])
        torch.mul(dn, dr_f[t], out=dx[t, :, :H])
        torch.mul(g, dz_f[t], out=dx[t, :, H:2 * H])
        dhr[t, :, :2 * H] = dx[t, :, :2 * H]
        torch.mul(dn, r[t], out=dhr[t, :, 2 * H:])
        torch.addmm(g * keep_h[t], dhr[t], W_R, out=dh)
