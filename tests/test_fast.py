"""The fast path (one autograd node per layer direction, hand-written backward) against the
plain loop, and against the NumPy reference, forward and every gradient; with its time loop
in C (``compiled``) and in Python (``python``, the fallback where the C part did not build)."""

import gc
import itertools

import numpy as np
import pytest
import torch

from elman import RNN, reference
from elman.nn import fast, kernels, pool


@pytest.fixture(params=["compiled", "compiled, parallel steps", "compiled, batch split in 3",
                        "compiled, AVX2", "compiled, baseline", "python"])
def loops(request, monkeypatch):
    """Where the time loop runs: C with threaded products (no batch split); C with each
    step's elementwise work spread over OpenMP threads; C with the batch split across 3
    threads (uneven slices of the 3 or 4 rows below); C with the elementwise loops built for
    AVX2 or for the baseline x86-64 (where the CPU has AVX-512, the default variant); or
    Python. With C, an unpadded LSTM takes the C loop too; with Python, oneDNN's LSTM."""
    monkeypatch.setattr(kernels, "ENABLED", request.param != "python")
    monkeypatch.setattr(fast, "ONEDNN_BELOW", 0)
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 1 if "parallel" in request.param else 2 ** 40)
    monkeypatch.setattr(kernels, "SPLIT", "split" in request.param)
    threads = torch.get_num_threads()
    kernels.isa({"AVX2": 1, "baseline": 0}.get(request.param.split(", ")[-1], -1))
    if "split" in request.param:
        monkeypatch.setattr(kernels, "MIN_ROWS", 1)
        torch.set_num_threads(3)
    yield request.param
    torch.set_num_threads(threads)
    kernels.isa(-1)


def test_the_c_loop_is_built_and_finds_torchs_blas():
    assert kernels._LIB is not None, "src/elman/nn/_kernels.c did not build or load"
    assert kernels.compiled(torch.zeros(1)) and kernels.compiled(torch.zeros(1).double())

CONFIGS = [(c, a) for c in ["elman"] for a in ["tanh", "relu", "sigmoid", "identity"]]
CONFIGS += [("lstm", "tanh"), ("gru", "tanh")]


def _outputs_and_grads(rnn, x, lengths, state, backend):
    rnn.backend = backend
    out, finals = rnn(x, lengths, state)
    weights = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)
    loss = (out * weights).sum()
    for f in finals:  # the final states feed the loss too (both h and c of an LSTM)
        for p in (f if isinstance(f, tuple) else (f,)):
            loss = loss + (p ** 2).sum()
    leaves = [x] + [p for s in state for p in (s if isinstance(s, tuple) else (s,))]
    return out, torch.autograd.grad(loss, leaves + list(rnn.parameters()))


@pytest.mark.parametrize("cell,activation", CONFIGS)
@pytest.mark.parametrize("bidirectional,padded", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_fast_equals_loop(cell, activation, bidirectional, padded, dtype, tol, loops):
    torch.manual_seed(0)
    rnn = RNN(3, [5, 4], cell=cell, activation=activation, bidirectional=bidirectional).to(dtype)
    x = torch.randn(4, 7, 3, dtype=dtype, requires_grad=True)
    lengths = torch.tensor([7, 3, 1, 5]) if padded else None
    state = [tuple(torch.randn_like(p).requires_grad_() for p in s) if isinstance(s, tuple)
             else torch.randn_like(s).requires_grad_() for s in rnn.zero_state(4, x)]
    out_loop, g_loop = _outputs_and_grads(rnn, x, lengths, state, "loop")
    out_fast, g_fast = _outputs_and_grads(rnn, x, lengths, state, "fast")
    torch.testing.assert_close(out_fast, out_loop, rtol=tol, atol=tol)
    for a, b in zip(g_fast, g_loop):
        torch.testing.assert_close(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_an_lstm_stack_in_one_fused_call_equals_loop(bidirectional, dtype, tol):
    torch.manual_seed(1)
    rnn = RNN(3, [6, 6, 6], cell="lstm", bidirectional=bidirectional).to(dtype)
    x = torch.randn(4, 7, 3, dtype=dtype, requires_grad=True)
    state = [tuple(torch.randn_like(p).requires_grad_() for p in s) for s in rnn.zero_state(4, x)]
    assert fast.lstm_stack(rnn, x.transpose(0, 1), state, None) is not None
    out_loop, g_loop = _outputs_and_grads(rnn, x, None, state, "loop")
    out_fast, g_fast = _outputs_and_grads(rnn, x, None, state, "fast")
    torch.testing.assert_close(out_fast, out_loop, rtol=tol, atol=tol)
    for a, b in zip(g_fast, g_loop):
        torch.testing.assert_close(a, b, rtol=tol, atol=tol)


def test_an_lstm_stack_goes_layer_by_layer_where_one_call_would_differ():
    x = torch.randn(7, 4, 3)
    mixed = RNN(3, [6, 5], cell="lstm")
    dropped = RNN(3, [6, 6], cell="lstm", dropout=0.5)
    wide = RNN(3, [fast.ONEDNN_BELOW] * 2, cell="lstm")
    assert fast.lstm_stack(mixed, x, mixed.zero_state(4, x), None) is None
    assert fast.lstm_stack(dropped, x, dropped.zero_state(4, x), None) is None
    assert fast.lstm_stack(dropped.eval(), x, dropped.zero_state(4, x), None) is not None
    if kernels.compiled(x):
        assert fast.lstm_stack(wide, x, wide.zero_state(4, x), None) is None
    mask = torch.ones(7, 4, 1, dtype=torch.bool)
    assert fast.lstm_stack(dropped.eval(), x, dropped.zero_state(4, x), mask) is None


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "identity"])
def test_fast_equals_reference_float64(activation, loops):
    torch.manual_seed(2)
    rnn = RNN(4, [6, 3], activation=activation, backend="fast").double()
    x = np.random.default_rng(2).normal(size=(3, 9, 4))
    lengths = np.array([9, 4, 6])
    layers = [{k: getattr(c, k).detach().numpy() for k in ("W_F", "W_R", "b")} for c in rnn.layers]
    cache = reference.rnn_forward(x, layers, activation, lengths=lengths)
    d_top = np.random.default_rng(3).normal(size=cache.a[-1].shape)
    want = reference.rnn_backward(cache, d_top).flat()
    xt = torch.tensor(x, requires_grad=True)
    out, _ = rnn(xt, torch.tensor(lengths))
    np.testing.assert_allclose(out.detach().numpy(), cache.a[-1], rtol=0, atol=1e-12)
    (out * torch.tensor(d_top)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), want["x"], rtol=1e-10, atol=1e-12)
    for l, c in enumerate(rnn.layers):
        for k in ("W_F", "W_R", "b"):
            np.testing.assert_allclose(getattr(c, k).grad.numpy(), want[f"layers.{l}.{k}"],
                                       rtol=1e-10, atol=1e-12)


def test_auto_uses_fast_for_sequences_and_loop_for_single_steps(monkeypatch):
    from elman.nn import fast, layer
    calls = []
    monkeypatch.setattr(fast, "scan", lambda *a: calls.append("fast") or layer.scan(*a))
    rnn = RNN(2, 3)
    rnn(torch.randn(1, 5, 2))
    rnn(torch.randn(1, 1, 2))
    assert calls == ["fast"]


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_compiled_loop_stays_close_over_long_sequences(cell, loops):
    """float32, 200 steps, width 64, padded (so the LSTM takes the C loop too)."""
    torch.manual_seed(1)
    rnn = RNN(8, [64], cell=cell)
    x = torch.randn(3, 200, 8, requires_grad=True)
    lengths = torch.tensor([200, 150, 7])
    state = [tuple(torch.randn_like(p).requires_grad_() for p in s) if isinstance(s, tuple)
             else torch.randn_like(s).requires_grad_() for s in rnn.zero_state(3, x)]
    out_loop, g_loop = _outputs_and_grads(rnn, x, lengths, state, "loop")
    out_fast, g_fast = _outputs_and_grads(rnn, x, lengths, state, "fast")
    torch.testing.assert_close(out_fast, out_loop, rtol=1e-5, atol=1e-5)
    for a, b in zip(g_fast, g_loop):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_isa_variants_are_capped_by_the_cpu():
    best = kernels.isa(-1)
    assert kernels.isa(0) == 0
    assert kernels.isa(best + 1) == best
    assert kernels.isa(-1) == best


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_only_the_gradients_asked_for_are_computed_and_they_match_the_loop(cell, loops):
    """x without grad and a frozen W_F: the hand-written backward of the input projection
    returns None for them and the right gradients for the rest."""
    torch.manual_seed(2)
    rnn = RNN(3, [5], cell=cell).double()
    rnn.layers[0].W_F.requires_grad_(False)
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    grads = {}
    for backend in ("loop", "fast"):
        rnn.backend = backend
        rnn(x)[0].pow(2).sum().backward()
        grads[backend] = {n: p.grad.clone() for n, p in rnn.named_parameters() if p.requires_grad}
        rnn.zero_grad()
    assert rnn.layers[0].W_F.grad is None and x.grad is None
    assert grads["fast"].keys() == grads["loop"].keys() and "layers.0.b" in grads["fast"]
    for name, g in grads["loop"].items():
        torch.testing.assert_close(grads["fast"][name], g, rtol=1e-10, atol=1e-10)


def test_the_batch_split_is_chosen_only_where_w_r_fits_a_cores_cache(monkeypatch):
    """The default plan on 2 threads: split for an Elman or LSTM at H=256 (W_R 0.25 / 1 MB),
    threaded products for an LSTM at H=512 (4 MB), and for fewer than MIN_ROWS rows a
    thread; ELMAN_BATCH_SPLIT=0 (SPLIT False) turns it off."""
    monkeypatch.setattr(kernels, "SPLIT", True)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert kernels.chunks(64, torch.zeros(256, 256)) == 2
        assert kernels.chunks(64, torch.zeros(1024, 256)) == 2
        assert kernels.chunks(16, torch.zeros(2048, 512)) == 1
        assert kernels.chunks(kernels.MIN_ROWS, torch.zeros(128, 128)) == 1
        monkeypatch.setattr(kernels, "SPLIT", False)
        assert kernels.chunks(64, torch.zeros(256, 256)) == 1
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_gradients_survive_the_next_backward_which_reuses_the_scratch(cell, loops):
    """Backward's scratch buffers are kept between passes: the gradients of one pass must not
    be views of them, so another model's backward (of another shape) leaves them unchanged,
    and the first model's gradients come out the same when it runs again."""
    torch.manual_seed(3)
    a = RNN(3, [5, 4], cell=cell, bidirectional=True).double()
    b = RNN(2, [6], cell=cell).double()
    x_a = torch.randn(4, 7, 3, dtype=torch.float64, requires_grad=True)
    x_b = torch.randn(3, 9, 2, dtype=torch.float64, requires_grad=True)

    def grads(rnn, x):
        out = rnn(x)[0]
        return torch.autograd.grad((out * out.cos()).sum(), [x, *rnn.parameters()])

    first = grads(a, x_a)
    kept = [g.clone() for g in first]
    grads(b, x_b)
    for g, k in zip(first, kept):
        assert torch.equal(g, k)
    for g, k in zip(grads(a, x_a), kept):
        torch.testing.assert_close(g, k, rtol=1e-12, atol=1e-12)
    pool.release()
    for g, k in zip(grads(a, x_a), kept):
        torch.testing.assert_close(g, k, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_a_second_derivative_through_the_fast_path_raises_instead_of_being_wrong(cell,
                                                                                 monkeypatch):
    """The hand-written backward is not itself differentiable: differentiating through it
    raises autograd's error rather than returning a partial second derivative."""
    monkeypatch.setattr(fast, "ONEDNN_BELOW", 0)
    rnn = RNN(3, [4], cell=cell, backend="fast")
    out = rnn(torch.randn(2, 5, 3))[0]
    (g,) = torch.autograd.grad(out.pow(2).sum(), [rnn.layers[0].W_R], create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_the_loop_gives_second_derivatives_that_finite_differences_confirm(cell):
    """What the README points to for a second derivative: backend="loop"."""
    torch.manual_seed(4)
    rnn = RNN(2, [3], cell=cell, backend="loop").double()
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda x: rnn(x)[0], (x,))


def test_backward_passes_in_two_threads_at_once_keep_their_scratch_apart():
    """The pool hands an array to one thread at a time: two models' backward passes running
    at the same time (the C loop releases the GIL) give what each gives alone."""
    import threading

    torch.manual_seed(5)
    models = [RNN(3, [16, 16], cell=c).double() for c in ("gru", "elman")]
    xs = [torch.randn(8, 40, 3, dtype=torch.float64, requires_grad=True) for _ in models]

    def grads(i):
        out = models[i](xs[i])[0]
        return torch.autograd.grad((out * out.sin()).sum(), [xs[i], *models[i].parameters()])

    alone = [grads(i) for i in range(2)]
    differ = [0, 0]

    def work(i):
        for _ in range(40):
            differ[i] += any(not torch.allclose(g, a, rtol=1e-12, atol=1e-12)
                             for g, a in zip(grads(i), alone[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert differ == [0, 0]


def test_pooled_buffers_are_reused_only_once_torch_has_freed_them():
    """The pool hands an array out again only after the tensor over it is gone: live outputs
    never share memory, a freed one's memory comes back for the next buffer of its size."""
    pool.release()
    ref = torch.zeros(1)
    a = pool.empty((50, 4, 8), ref)
    view = a[3]                      # a view keeps the storage, so the memory, in use
    address = a.data_ptr()
    del a
    b = pool.empty((50, 4, 8), ref)
    assert b.data_ptr() != address
    del view
    c = pool.empty((50, 4, 8), ref)
    assert c.data_ptr() == address and c.shape == (50, 4, 8) and c.dtype == torch.float32
    assert pool.empty((2, 3), torch.zeros(1, dtype=torch.float16)).dtype == torch.float16
    with pytest.raises(RuntimeError, match="not resizable"):
        pool.empty((2, 3), ref).resize_(100)
    pool.ENABLED = False
    try:
        assert pool.empty((2, 3), ref).resize_(100).shape == (100,)
    finally:
        pool.ENABLED = True
    pool.release()


def test_pool_stays_within_its_budget_and_evicts_sizes_no_longer_used(monkeypatch):
    """Free arrays of an earlier size give way to a new size; a buffer that does not fit the
    budget beside those lent is a plain torch tensor."""
    gc.collect()                      # pooled outputs of earlier tests still count as lent
    pool.release()
    monkeypatch.setattr(pool, "KEEP_BYTES", 1000 * 4)
    ref = torch.zeros(1)
    a = pool.empty((600,), ref)
    address = a.data_ptr()
    del a
    b = pool.empty((600,), ref)
    assert b.data_ptr() == address
    del b
    c = pool.empty((700,), ref)       # 2,400 kept + 2,800 > 4,000 bytes: the 600 gives way
    assert list(pool._free) == []
    with pytest.raises(RuntimeError, match="not resizable"):
        c.resize_(10_000)
    d = pool.empty((400,), ref)       # 2,800 lent + 1,600 > 4,000: not pooled
    assert d.resize_(10_000).shape == (10_000,)
    del c, d
    pool.empty((1,), torch.zeros(1, dtype=torch.float16))   # not pooled; _free unchanged
    assert list(pool._free) == []                           # found only by a pooled empty
    pool.empty((1,), ref)
    assert list(pool._free) == [(700, torch.float32)]
    pool.release()


def test_outputs_of_successive_forward_passes_never_share_memory():
    torch.manual_seed(6)
    rnn = RNN(3, [5], cell="gru", backend="fast")
    x = torch.randn(2, 7, 3)
    first = rnn(x)[0]
    kept = first.clone()
    second = rnn(torch.randn(2, 7, 3))[0]
    assert first.data_ptr() != second.data_ptr()
    assert torch.equal(first, kept)
