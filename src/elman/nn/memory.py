"""How big a model may be: a check, before any weight is allocated, that the weights fit in
the memory this machine has available, so that an absurd size (``--hidden-sizes 1000000000``)
is a one-line error naming the argument instead of a MemoryError, or the kernel's OOM
killer, later.

The estimate is the first bound, the weights alone in float32 (training needs about four
times that and the activations besides); a fuller estimate replaces ``needed_bytes`` and keeps
the callers: ``elman.nn.RNN`` and the embedding tables (``elman.models.common.Lookup``).
"""

import os

from ..errors import bad

BYTES_PER_PARAMETER = 4                   # float32
GATES = {"elman": 1, "gru": 3, "lstm": 4}


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
    available = available_bytes()
    needed = needed_bytes(parameters)
    if available is not None and needed > available:
        raise bad(argument, f"{expected} in this machine's memory ({size(available)} "
                  "available)", f"{got}: {parameters:,} weights, {size(needed)}")


def size(n: float) -> str:
    """Bytes for people: 1.5 GiB, 3.6e+09 TiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"
