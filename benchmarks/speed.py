"""Speed of a training step (forward + backward), elman's fast path against its peers.

    python benchmarks/speed.py                 # the full grid: 4 sizes x Elman/LSTM/GRU x 1-2 layers
    python benchmarks/speed.py --quick         # the two smallest sizes, 3 repeats
    python benchmarks/speed.py --scaling       # time against T and B, peak memory of a step
    python benchmarks/speed.py --streaming     # per-token latency at batch 1
    python benchmarks/speed.py --train         # tokens/s of the default job's training step
    python benchmarks/speed.py --compile       # the training step, eager against torch.compile
    python benchmarks/speed.py --python-loop   # the grid with the fast path's loop in Python
    python benchmarks/speed.py --shared        # with a busy process: threaded vs batch split

Every number comes from this one process: warm-up, then the median of at least --repeats
runs that take at least --seconds in all (more runs where they are short), the torch-based
contenders of a cell timed in turns (round robin), JAX after them. Peers:
torch.nn.RNN/LSTM/GRU (weights copied from elman, so all compute the same function), elman's
plain loop (backend="loop") and, when installed, JAX lax.scan under jit. GFLOP/s counts the
matrix products of forward and backward (3x the forward's) and ``%peak`` is that as a share of
the best measured matmul route; ``ratio`` is the best peer's time over elman's (above 1: elman
is faster), ``vs nn`` torch.nn's time over elman's. ``products`` times the step's matrix
products alone (``products_step``), in the same rounds: its ``%peak`` is what the cell's
shapes allow with torch's BLAS, and ``nn/prod`` the most a loop making those products through
torch.mm could gain on torch.nn. The first lines give the matmul peaks.
"""

import argparse
import math
import statistics
import time

import torch

from elman import RNN, to_torch
from elman.nn import kernels, pool

SIZES = [(100, 32, 64, 128), (100, 64, 64, 256), (200, 16, 65, 512), (50, 128, 128, 1024)]
GATES = {"elman": 1, "lstm": 4, "gru": 3}


MIN_SECONDS = 2.0  # every timing takes at least this many seconds of repeats (--seconds)


def median_ms(fn, repeats: int, warmup: int = 2) -> float:
    return round_robin_ms({"fn": fn}, repeats, warmup)["fn"]


def round_robin_ms(runs: dict, repeats: int, warmup: int = 2) -> dict:
    """Median ms of each callable, timed in turns (one run of each per round), so that a
    disturbance of the machine, or threads another library leaves spinning, falls on all;
    at least `repeats` rounds, and more where rounds are short, to fill ``MIN_SECONDS``."""
    for _ in range(warmup):  # the last round, warm, sets the number of rounds
        start = time.perf_counter()
        for fn in runs.values():
            fn()
    per_round = time.perf_counter() - start
    rounds = max(repeats, math.ceil(MIN_SECONDS / per_round))
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def train_flops(T, B, I, H, cell, layers) -> float:
    """Matrix-product FLOPs of forward + backward: 3 x (2 T B (I_l + H) G H) per layer."""
    G, total, width = GATES[cell], 0, I
    for _ in range(layers):
        total += 2 * T * B * (width + H) * G * H
        width = H
    return 3.0 * total


def products_step(T, B, I, H, cell, layers):
    """The matrix products of one training step, alone, as elman's fast path makes them: per
    layer the input projection, T recurrent products forward and T backward, dW_R, dW_F and
    dx, each one torch.mm into a buffer made beforehand (torch's BLAS, its threads). A loop
    that makes these products through torch.mm cannot take less, so torch.nn's time over this
    one bounds what such a loop can gain on it; elman's C loop, with MKL's packed products and
    the batch split, can beat this time only by what those two gain."""
    G, r, layer_mats = GATES[cell], torch.randn, []
    for width in [I] + [H] * (layers - 1):
        inputs = (r(T * B, width), r(width, G * H), r(G * H, width), r(H, G * H), r(G * H, H),
                  r(B, H), r(T * B, G * H), r(T * B, H))
        outs = (r(T * B, G * H), r(B, G * H), r(B, H), r(G * H, H), r(G * H, width),
                r(T * B, width))
        layer_mats.append((inputs, outs))

    def run():
        for (x, WT_F, W_F, WT_R, W_R, h, dz, S), (xz, z, dh, dW_R, dW_F, dx) in layer_mats:
            torch.mm(x, WT_F, out=xz)
            for _ in range(T):
                torch.mm(h, WT_R, out=z)
            for t in range(T):
                torch.mm(dz[t * B:(t + 1) * B], W_R, out=dh)
            torch.mm(dz.t(), S, out=dW_R)
            torch.mm(dz.t(), x, out=dW_F)
            torch.mm(dz, W_F, out=dx)
    return run


def torch_step(module, x):
    def run():
        out = module(x)[0]
        out.backward(torch.ones_like(out))
    return run


def jax_step(rnn: RNN, x):
    """A jitted value_and_grad of the sum of outputs of an Elman/LSTM/GRU stack via lax.scan."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    cell = rnn.cell
    params = [{k: jnp.asarray(v.detach().numpy()) for k, v in c.named_parameters()}
              for c in rnn.layers]

    def layer(p, xs):  # xs (T, B, I)
        H = p["W_R"].shape[1]
        xz = xs @ p["W_F"].T + p["b"]

        def step(carry, z):
            h, c = carry
            if cell == "elman":
                h = jnp.tanh(z + h @ p["W_R"].T)
            elif cell == "lstm":
                i, f, g, o = jnp.split(z + h @ p["W_R"].T, 4, axis=-1)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
            else:
                hr = h @ p["W_R"].T
                r = jax.nn.sigmoid(z[:, :H] + hr[:, :H])
                u = jax.nn.sigmoid(z[:, H:2 * H] + hr[:, H:2 * H])
                n = jnp.tanh(z[:, 2 * H:] + r * (hr[:, 2 * H:] + p["b_Rn"]))
                h = n + u * (h - n)
            return (h, c), h

        zeros = jnp.zeros((xs.shape[1], H), xs.dtype)
        return jax.lax.scan(step, (zeros, zeros), xz)[1]

    def loss(ps, xs):
        for p in ps:
            xs = layer(p, xs)
        return xs.sum()

    grad = jax.jit(jax.value_and_grad(loss))
    xs = jnp.asarray(x.detach().numpy().transpose(1, 0, 2))
    return lambda: jax.block_until_ready(grad(params, xs))


def matmul_peak(repeats: int) -> tuple[list[str], float]:
    """Measured fp32 GFLOP/s of a 2048^3 product by each route torch and NumPy offer, and the
    best of them (the machine's limit every cell is read against)."""
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    routes = {"torch.mm": lambda: a @ b}
    an, bn = a.numpy(), b.numpy()
    routes["numpy"] = lambda: an @ bn
    if torch.backends.mkl.is_available() and hasattr(torch.ops.mkl, "_mkl_linear"):
        wt = b.t().contiguous()
        packed = torch.ops.mkl._mkl_reorder_linear_weight(wt, n)
        routes["MKL packed"] = lambda: torch.ops.mkl._mkl_linear(a, packed, wt, None, n)
    lines, best = [], 0.0
    for name, fn in routes.items():
        gflops = 2 * n ** 3 / median_ms(fn, repeats) / 1e6
        best = max(best, gflops)
        lines.append(f"matmul peak, {name + ' ' + str(n) + '^3:':<22}{gflops:5.0f} GFLOP/s")
    return lines, best


def grid(sizes, cells, repeats: int, loop_max_h: int, peak: float):
    head = (f"{'T,B,I,H':<17}{'cell':<9}{'torch.nn':>10}{'loop':>10}{'jax':>10}"
            f"{'elman':>10}{'GFLOP/s':>9}{'%peak':>7}{'ratio':>7}{'vs nn':>7}"
            f"{'products':>10}{'%peak':>7}{'nn/prod':>8}")
    print(head)
    print("-" * len(head))
    for T, B, I, H in sizes:
        for cell in cells:
            for layers in (1, 2):
                torch.manual_seed(0)
                rnn = RNN(I, [H] * layers, cell=cell, backend="fast")
                x = torch.randn(B, T, I, requires_grad=True)
                runs = {"elman": torch_step(rnn, x), "torch": torch_step(to_torch(rnn), x),
                        "products": products_step(T, B, I, H, cell, layers)}
                if H <= loop_max_h:
                    loop = RNN(I, [H] * layers, cell=cell, backend="loop")
                    loop.load_state_dict(rnn.state_dict())
                    runs["loop"] = torch_step(loop, x)
                ms = round_robin_ms(runs, repeats)
                t_elman, t_torch = ms["elman"], ms["torch"]
                t_loop = ms.get("loop", float("nan"))
                # JAX on its own, after: its threads spin on after a call and would slow
                # whatever ran next
                jax_run = jax_step(rnn, x)
                t_jax = median_ms(jax_run, repeats) if jax_run else float("nan")
                best = min(t for t in (t_torch, t_loop, t_jax) if t == t)
                flops, t_mm = train_flops(T, B, I, H, cell, layers), ms["products"]
                gflops = flops / t_elman / 1e6
                print(f"{f'{T},{B},{I},{H}':<17}{f'{cell} x{layers}':<9}{t_torch:>10.1f}"
                      f"{t_loop:>10.1f}{t_jax:>10.1f}{t_elman:>10.1f}{gflops:>9.0f}"
                      f"{100 * gflops / peak:>6.0f}%{best / t_elman:>7.2f}"
                      f"{t_torch / t_elman:>7.2f}{t_mm:>10.1f}{100 * flops / t_mm / 1e6 / peak:>6.0f}%"
                      f"{t_torch / t_mm:>8.2f}", flush=True)


def _spin():
    while True:
        pass


def shared(repeats: int):
    """Elman and GRU x1 on the two smallest sizes plus H=512 while one busy process competes
    for the cores: torch.nn, elman with threaded products (ELMAN_BATCH_SPLIT=0), and elman
    with the batch split (the default)."""
    import multiprocessing

    busy = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
    busy.start()
    default = kernels.SPLIT
    print("\nshared cores: one busy process beside this one, ms per training step")
    print(f"{'T,B,I,H':<17}{'cell':<9}{'torch.nn':>10}{'threaded':>10}{'split':>10}")
    try:
        for T, B, I, H in SIZES[:3]:
            for cell in ("elman", "gru"):
                torch.manual_seed(0)
                rnn = RNN(I, [H], cell=cell, backend="fast")
                x = torch.randn(B, T, I, requires_grad=True)
                t_torch = median_ms(torch_step(to_torch(rnn), x), repeats)
                times = []
                for split in (False, True):
                    kernels.SPLIT = split
                    times.append(median_ms(torch_step(rnn, x), repeats))
                print(f"{f'{T},{B},{I},{H}':<17}{f'{cell} x1':<9}{t_torch:>10.1f}"
                      f"{times[0]:>10.1f}{times[1]:>10.1f}", flush=True)
    finally:
        kernels.SPLIT = default
        busy.terminate()


def scaling(repeats: int):
    """Time against T and B (H=256) and against H (T=100, B=32), and the peak memory of one
    training step, per T*B*H element of the states."""
    I = 64
    print(f"\nscaling, Elman x1, I={I}")
    print(f"{'T':>5}{'B':>5}{'H':>6}{'ms':>10}{'us/(T*B)':>12}{'peak MiB':>10}"
          f"{'B/(TBH)':>9}")
    for T, B, H in [(50, 32, 256), (100, 32, 256), (200, 32, 256), (400, 32, 256),
                    (800, 32, 256), (100, 1, 256), (100, 8, 256), (100, 64, 256),
                    (100, 128, 256), (100, 32, 64), (100, 32, 128), (100, 32, 512)]:
        rnn = RNN(I, [H], backend="fast")
        x = torch.randn(B, T, I, requires_grad=True)
        step = torch_step(rnn, x)
        ms = median_ms(step, repeats)
        # every buffer through torch's allocator, which the profiler sees: the pool off (it
        # changes where buffers come from, not how many)
        enabled, pool.ENABLED = pool.ENABLED, False
        try:
            with torch.profiler.profile(profile_memory=True) as prof:
                step()
        finally:
            pool.ENABLED = enabled
        peak = _peak_bytes(prof)
        print(f"{T:>5}{B:>5}{H:>6}{ms:>10.2f}{1e3 * ms / (T * B):>12.2f}"
              f"{peak / 2 ** 20:>10.1f}{peak / (T * B * H):>9.1f}", flush=True)


def per_call_us(fn, n: int = 2000) -> float:
    """Median over 5 rounds of the mean time of n calls, in microseconds."""
    for _ in range(200):
        fn()
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - start) / n)
    return 1e6 * statistics.median(rounds)


def streaming():
    """Per-token latency at batch 1: the NumPy runtime against torch.nn.RNN called per step,
    torch.nn.RNNCell and elman.RNN.step, next to a bare W_R @ h of the same size."""
    import tempfile

    import numpy as np

    from elman.data.vocab import Vocab
    from elman.io import checkpoint
    from elman.models import LanguageModel
    from elman.runtime import NumpyLanguageModel

    V, E = 65, 64
    print(f"\nstreaming, one Elman layer, batch 1, char vocabulary {V}, embedding {E}, us/token")
    head = (f"{'H':>5}{'W_R@h':>8}{'runtime':>9}{'ratio':>7}{'+output':>9}{'nn.RNN':>9}"
            f"{'RNNCell':>9}{'RNN.step':>10}")
    print(head)
    print("-" * len(head))
    for H in (128, 256, 512):
        torch.manual_seed(0)
        model = LanguageModel(V, [H], embed_dim=E).eval()
        with tempfile.TemporaryDirectory() as d:
            checkpoint.save(d, model, Vocab([chr(33 + i) for i in range(V)]), {})
            lm = NumpyLanguageModel.load(d)
        layer, row = lm.layers[0], lm.table[5]
        W_R, h = layer.W_R, np.random.default_rng(0).standard_normal(H).astype(np.float32)
        bare = per_call_us(lambda: W_R @ h)
        recurrent = per_call_us(lambda: layer.step(row, h))
        state = lm.initial_state()
        token = per_call_us(lambda: lm.step(5, state))
        rnn = to_torch(model.rnn).eval()
        cell = torch.nn.RNNCell(E, H).eval()
        x1, xc, h1, hc = torch.randn(1, 1, E), torch.randn(1, E), torch.zeros(1, 1, H), torch.zeros(1, H)
        x_t = torch.randn(1, E)
        with torch.no_grad():
            t_rnn = per_call_us(lambda: rnn(x1, h1))
            t_cell = per_call_us(lambda: cell(xc, hc))
            t_step = per_call_us(lambda: model.rnn.step(x_t, None), n=500)
        print(f"{H:>5}{bare:>8.1f}{recurrent:>9.1f}{recurrent / bare:>7.2f}{token:>9.1f}"
              f"{t_rnn:>9.1f}{t_cell:>9.1f}{t_step:>10.1f}", flush=True)
    print("runtime: the recurrent step (table row + W_R h, tanh); +output: a whole token, "
          "logits included")


def job_model(backend: str = "auto"):
    """The default job's model (GRU 384, embedding 64, vocabulary 104, dropout 0.2), seeded."""
    from elman.models import LanguageModel

    torch.manual_seed(0)
    model = LanguageModel(104, [384], embed_dim=64, cell="gru", dropout=0.2)
    model.rnn.backend = backend
    return model


def job_step(model, forward, tokens):
    """The default job's training step on tokens (B, T+1): forward (model itself or its
    compiled form), cross-entropy, backward, clip 1, Adam."""
    from elman.losses import cross_entropy

    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def step():
        opt.zero_grad()
        logits, _ = forward(tokens[:, :-1])
        cross_entropy(logits, tokens[:, 1:], reduction="step").backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return step


def train_tokens_per_s(repeats: int):
    """The default job's training step (GRU 384, embedding 64, batch 32 x 100, Adam, clip 1):
    the plain loop ("before"), the fast path with its time loop in Python (the fallback where
    the C part did not build) and in C ("after")."""
    print("\ndefault job training step: GRU [384], embedding 64, vocabulary 104, batch 32 x 100")
    print(f"{'backend':<16}{'ms/step':>10}{'tokens/s':>12}")
    tokens = torch.randint(0, 104, (32, 101))
    for name, backend, compiled in [("loop", "loop", False), ("fast, Python", "fast", False),
                                    ("fast, C", "fast", True)]:
        kernels.ENABLED = compiled
        model = job_model(backend)
        ms = median_ms(job_step(model, model, tokens), repeats)
        print(f"{name:<16}{ms:>10.1f}{32 * 100 / ms * 1e3:>12,.0f}", flush=True)
    kernels.ENABLED = True


def compiled_steps(repeats: int):
    """A training step eager and under torch.compile (inductor, fullgraph=True), timed in
    turns on the same model: the default job (the model compiled; loss, clipping and Adam
    eager) and one layer of each cell at T,B,I,H = 100,32,64,256 (forward and backward).
    ``compile s`` is the first compiled step, compilation included."""
    print("\ntraining step, eager against torch.compile(fullgraph=True), inductor")
    print(f"{'model':<26}{'eager ms':>10}{'compiled':>10}{'ratio':>7}{'compile s':>11}")
    tokens = torch.randint(0, 104, (32, 101))
    model = job_model()
    runs = [("default job, GRU 384", model, lambda m: job_step(model, m, tokens))]
    T, B, I, H = 100, 32, 64, 256
    x = torch.randn(B, T, I, requires_grad=True)
    for cell in GATES:
        torch.manual_seed(0)
        runs.append((f"{cell} x1, H={H}", RNN(I, [H], cell=cell), lambda m: torch_step(m, x)))
    for name, module, make_step in runs:
        eager, compiled = make_step(module), make_step(torch.compile(module, fullgraph=True))
        start = time.perf_counter()
        compiled()
        compile_s = time.perf_counter() - start
        ms = round_robin_ms({"eager": eager, "compiled": compiled}, repeats)
        print(f"{name:<26}{ms['eager']:>10.1f}{ms['compiled']:>10.1f}"
              f"{ms['eager'] / ms['compiled']:>7.2f}{compile_s:>11.1f}", flush=True)
    print("ratio: eager time over compiled (above 1: compiled is faster)")


def _peak_bytes(prof) -> int:
    """Peak of the running sum of every CPU allocation and free, in the order they happened:
    the profiler's raw memory events (its per-op figures count an allocation again in every
    enclosing op, and net out what an op frees)."""
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == "[memory]"
                    and e.device_type() == torch.autograd.DeviceType.CPU)
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def main():
    global MIN_SECONDS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="two smallest sizes, 3 repeats")
    p.add_argument("--scaling", action="store_true", help="time against T and B, peak memory")
    p.add_argument("--streaming", action="store_true", help="per-token latency at batch 1")
    p.add_argument("--train", action="store_true", help="tokens/s of the default job's step")
    p.add_argument("--compile", action="store_true", help="eager against torch.compile")
    p.add_argument("--shared", action="store_true", help="beside a busy process")
    p.add_argument("--loop-max-h", type=int, default=512,
                   help="time the plain loop only up to this width (it is slow)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=MIN_SECONDS,
                   help="repeat each timing for at least this long (and at least --repeats)")
    p.add_argument("--cells", default="elman,lstm,gru", help="the grid's cells, comma-separated")
    p.add_argument("--python-loop", action="store_true",
                   help="run the fast path's time loop in Python, not C (the fallback)")
    args = p.parse_args()
    MIN_SECONDS = args.seconds
    torch.set_num_threads(args.threads)
    kernels.ENABLED = not args.python_loop
    repeats = 3 if args.quick else args.repeats
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fp32, "
          f"median of at least {repeats} runs and {MIN_SECONDS:g} s, after 2 warm-up runs")
    lines, peak = matmul_peak(repeats)
    print("\n".join(lines))
    print()
    if args.scaling:
        scaling(repeats)
    elif args.streaming:
        streaming()
    elif args.train:
        train_tokens_per_s(repeats)
    elif args.compile:
        compiled_steps(repeats)
    elif args.shared:
        shared(repeats)
    else:
        grid(SIZES[:2] if args.quick else SIZES, args.cells.split(","), repeats,
             args.loop_max_h, peak)


if __name__ == "__main__":
    main()
