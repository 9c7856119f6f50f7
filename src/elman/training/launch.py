"""``elman train --nproc N``: start N training processes on this machine, as
``torchrun --standalone --nproc-per-node N -m elman train ...`` would
(``torch.distributed.launcher``: a rendezvous on a free local port), and wait for them.

Each process runs ``python -m elman train`` with the other arguments and trains its share
(``elman.training.distributed``). The processes start in sessions of their own; a SIGINT or
SIGTERM to this one is passed on to each of them once, so they stop together at their next
step with a complete checkpoint. The exit code is that of the first process that failed
(its one-line error is on stderr), 128 + the signal's number when a signal stopped the run,
else 0.
"""

import logging
import os
import sys
import uuid

from ..errors import bad


def world_size() -> int:
    """Processes of the run as torchrun announced them (1 when not launched by it)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def env_rank() -> int:
    """This process's rank as torchrun announced it (0 when not launched by it)."""
    return int(os.environ.get("RANK", "0") or 0)


def local_rank() -> int:
    """This process's rank among those on this machine (LOCAL_RANK; 0 when not launched)."""
    return int(os.environ.get("LOCAL_RANK", "0") or 0)


def local_size() -> int:
    """Processes of the run on this machine (LOCAL_WORLD_SIZE, else WORLD_SIZE)."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", "") or world_size())


def rank_device(name: str, rank: int, size: int, gpus: int) -> str:
    """The device the process of local ``rank`` among ``size`` on this machine trains on,
    asked for ``--device name``, with ``gpus`` CUDA devices visible: one process, ``name``;
    several, ``cuda`` is each its own GPU, cuda:RANK (a GPU named by index would be every
    process's, so it is refused: CUDA_VISIBLE_DEVICES picks the GPUs); other devices as
    named (cpu: shared)."""
    kind, index = name.partition(":")[::2]
    if size <= 1 or kind != "cuda":
        return name
    if index:
        raise bad("device", f"cuda with --nproc {size} (process r trains on cuda:r; pick the "
                  f"GPUs with CUDA_VISIBLE_DEVICES, e.g. CUDA_VISIBLE_DEVICES=2,3 elman train "
                  f"--nproc 2 --device cuda)", repr(name))
    if gpus and size > gpus:
        raise bad("nproc", f"at most the {gpus} CUDA device{'s' if gpus > 1 else ''} visible "
                  "with --device cuda (one GPU per process)", str(size))
    return f"cuda:{rank}"


def parse_nproc(value: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or str(value).strip() != str(n):
        raise bad("nproc", "a whole number of processes >= 1", repr(value))
    return n


def launch(nproc: int, argv: list[str]) -> int:
    """Run ``python -m elman train *argv`` in ``nproc`` processes; their exit code."""
    from torch.distributed.elastic.multiprocessing import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)   # ours say it
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")   # DDP's note on unused parameters
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc,
                          run_id=str(uuid.uuid4()), rdzv_backend="c10d",
                          rdzv_endpoint="localhost:0", max_restarts=0)
    try:
        elastic_launch(config, sys.executable)("-m", "elman", "train", *argv)
    except ChildFailedError as e:
        code = e.get_first_failure()[1].exitcode
        return 128 - code if code < 0 else code
    except SignalException as e:
        return 128 + int(e.sigval)
    return 0
