"""How big a model and its training may be: checks, before anything is allocated, that what
is about to be allocated fits in the memory this machine has available, so that an absurd
size (``--hidden-sizes 1000000000``, ``--batch-size 100000``) is a one-line error naming the
argument instead of a MemoryError, or the kernel's OOM killer, later.

- ``check_fits``: the weights alone, in float32, when a layer or an embedding table is made
  (``elman.nn.RNN``, ``elman.models.common.Lookup``);
- ``check_training``: before a run's first step, the weights, their gradients, the
  optimizer's state, the moving average and the activations kept for backpropagation through
  T steps of B sequences (``training_bytes``, an estimate from the model's layers; a module
  that knows better, such as a convolutional encoder, says what it keeps itself:
  ``activation_bytes``, measured by ``saved_bytes`` on shapes alone).

Both compare with ``limit()``: the memory available unless ``set_limit`` raised (or lowered)
it deliberately (``elman train --max-memory``).
"""

import os

from ..errors import bad

BYTES_PER_PARAMETER = 4                   # float32
GATES = {"elman": 1, "gru": 3, "lstm": 4}
OPTIMIZER_SLOTS = {"adam": 2, "sgd": 1}    # tensors per weight: Adam's two moments, momentum
# floats that backpropagation keeps per unit and step (gates, states, the fast path's
# buffers; measured with saved_tensors_hooks, tests/test_memory.py)
KEPT_PER_UNIT = {"elman": 5, "gru": 11, "lstm": 20}
_limit: dict = {"bytes": None}             # None: the memory available


def set_limit(n_bytes: int | None):
    """Compare sizes with ``n_bytes`` from now on (None: the memory available)."""
    _limit["bytes"] = n_bytes


def limit() -> int | None:
    """Bytes a model and its training may take: ``set_limit``'s, else the memory available
    (None where it cannot be read)."""
    return _limit["bytes"] if _limit["bytes"] is not None else available_bytes()


def available_bytes() -> int | None:
    """Memory available to this process: MemAvailable (Linux), bounded by a cgroup limit
    when there is one; else the physical memory; None where neither can be read."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            found += [int(line.split()[1]) * 1024 for line in f
                      if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f:
            limit = f.read().strip()
        if limit.isdigit():
            found.append(int(limit))
    except OSError:
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            return None
    return min(found)


def needed_bytes(parameters: int) -> int:
    """Bytes of ``parameters`` weights (the first bound: the weights alone)."""
    return parameters * BYTES_PER_PARAMETER


def rnn_parameters(input_size: int, hidden_sizes: list[int], cell: str = "elman",
                   bidirectional: bool = False) -> tuple[int, int]:
    """(parameters of the first layer's input weights W_F, parameters of the whole stack) of
    an ``elman.RNN`` (the GRU's b_Rn counted; an unknown cell as the LSTM)."""
    G, D = GATES.get(cell, 4), 2 if bidirectional else 1
    widths = [input_size] + [D * h for h in hidden_sizes[:-1]]
    total = sum(D * G * h * (i + h + 1) + D * h * (cell == "gru")
                for i, h in zip(widths, hidden_sizes))
    return D * G * hidden_sizes[0] * input_size, total


def check_fits(parameters: int, argument: str, expected: str, got) -> None:
    """Refuse ``parameters`` weights that do not fit in the memory available, as ``argument:
    expected EXPECTED that fit in this machine's memory (... available), got GOT: ...``."""
    available = limit()
    needed = needed_bytes(parameters)
    if available is not None and needed > available:
        raise bad(argument, f"{expected} in this machine's memory ({_available(available)})",
                  f"{got}: {parameters:,} weights, {size(needed)}")


def _available(n_bytes: int) -> str:
    return f"{size(n_bytes)} " + ("available" if _limit["bytes"] is None else "by --max-memory")


def training_bytes(model, batch: int, steps: int, *, optimizer: str = "adam",
                   average: bool = False) -> dict[str, int]:
    """An estimate of the memory one training step of ``model`` takes on ``batch`` sequences
    of ``steps`` steps, by part: weights, gradients, optimizer state, moving average, and
    activations. The activations are what backpropagation keeps: for every recurrent layer
    (an ``elman.nn.RNN`` found in the model) ``KEPT_PER_UNIT`` floats per unit and step (its
    gates, states and outputs); for every linear layer and embedding table its
    outputs at every step (an output layer's logits, probabilities and their gradients: three
    copies). Tasks that read a sequence into one output count their output layer at every
    step: an estimate on the high side. A module with a method ``activation_bytes(batch,
    steps) -> int`` (a convolutional encoder of images or frames) counts itself and its
    submodules."""
    weights = sum(p.numel() for p in model.parameters()) * BYTES_PER_PARAMETER
    return {"weights": weights, "gradients": weights,
            "optimizer state": OPTIMIZER_SLOTS.get(optimizer, 2) * weights,
            "moving average": weights if average else 0,
            "activations": activations(model, batch, steps)}


def activations(module, batch: int, steps: int) -> int:
    """Bytes backpropagation keeps of ``module`` and its submodules (``training_bytes``)."""
    from torch import nn

    from .layer import RNN
    if hasattr(module, "activation_bytes"):
        return module.activation_bytes(batch, steps)
    if isinstance(module, RNN):
        D = 2 if module.bidirectional else 1
        per_step = D * KEPT_PER_UNIT[module.cell] * sum(module.hidden_sizes)
    elif isinstance(module, nn.Linear):
        per_step = 3 * module.out_features
    elif isinstance(module, nn.Embedding):
        per_step = module.embedding_dim
    else:
        return sum(activations(m, batch, steps) for m in module.children())
    return per_step * batch * steps * BYTES_PER_PARAMETER


def saved_bytes(module, shape: tuple[int, ...]) -> int:
    """Bytes of the distinct tensors autograd keeps for the backward pass of ``module`` (a
    layer without recurrence, such as convolutions, batch normalisation, pooling, linear
    layers) on a float input of ``shape``, its own weights and buffers not counted. Shapes
    only: the module runs on torch's meta device, so nothing is allocated or computed."""
    import torch
    from torch.func import functional_call
    meta = {name: torch.empty_like(t, device="meta").requires_grad_(t.requires_grad)
            for name, t in [*module.named_parameters(), *module.named_buffers()]}
    own = {t.untyped_storage()._cdata for t in meta.values()}
    kept = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage._cdata not in own:
            kept[storage._cdata] = (storage.nbytes(), t)     # t: its storage stays unique
        return t

    with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        functional_call(module, meta, (torch.empty(shape, device="meta"),))
    return sum(n for n, _ in kept.values())


def check_training(model, batch: int, steps: int, *, optimizer: str = "adam",
                   average: bool = False) -> None:
    """Refuse a training step whose ``training_bytes`` do not fit in ``limit()``, as
    ``batch_size: expected a batch whose training fits ..., got B sequences of T steps: ...``
    with the estimate by part."""
    available = limit()
    parts = training_bytes(model, batch, steps, optimizer=optimizer, average=average)
    needed = sum(parts.values())
    if available is not None and needed > available:
        detail = ", ".join(f"{k} {size(v)}" for k, v in parts.items() if v)
        raise bad("batch_size", f"a batch whose training fits in this machine's memory "
                  f"({_available(available)}; --max-memory raises the limit)",
                  f"{batch:,} sequences of {steps:,} steps: {size(needed)} ({detail})")


def size(n: float) -> str:
    """Bytes for people: 1.5 GiB, 3.6e+09 TiB."""
    if n < 1024:
        return f"{n:,.0f} B"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"
