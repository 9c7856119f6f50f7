"""Data-parallel training: N processes (ranks), one model each, gradients averaged by
``torch.nn.parallel.DistributedDataParallel`` (DDP).

Launched by ``torchrun --nproc-per-node N -m elman train ...`` (or ``elman train --nproc N``,
``elman.training.launch``), which sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT; the trainer then joins the process group (gloo on CPUs, NCCL on CUDA devices,
each rank on ``cuda:LOCAL_RANK``: ``--device cuda``; a GPU named by index, ``cuda:K``, is
refused, as every rank would train on it: CUDA_VISIBLE_DEVICES picks the GPUs,
``launch.rank_device``).

Every rank reads the same data and makes the same batches of N x B rows (B = batch_size,
sequences per process), and trains on its own contiguous rows [rB, (r+1)B) of each::

    global batch (N*B, T) -> rank r: rows rB .. (r+1)B-1

so every rank takes the same number of steps (no rank runs out of batches first), and in
truncated BPTT rank r owns the streams rB .. (r+1)B-1 of the (N*B, C) stream matrix: its
carried state continues exactly where its previous window ended. A batch of fewer than N*B
rows (an epoch's last) is cut into N nearly equal parts; a rank whose part is empty runs rank
0's part with weight 0, so the collectives still meet. Each rank's loss (a mean over its
targets, ``Task.targets``) is weighted by its share of the batch's targets, so the averaged
gradient is the gradient of the mean over the whole batch: N ranks x B rows take the same
steps as one process with N*B rows, to float rounding (without dropout, which draws
different masks).

What every rank must decide alike is decided once: the training loss the guard judges is
the batch's (all-reduced), a signal or the time budget noted by any rank stops all of them
after the same step (the clock of the time budget and of a cosine schedule that ends with
it is the slowest rank's), and the validation figures that pick best/, stop early or decay the
learning rate are rank 0's, sent to the others. An error of the settings or the data
(``ElmanError``) that any rank meets while the run is set up stops every rank
(``together``), and only rank 0 reports it (``Agreed``): one line, not one per rank. Only
rank 0 writes the run folder; the checkpoint holds the carried state of all N*B streams and
every rank's random generator, so ``--resume`` with the same N continues exactly.
"""

import atexit
import base64
from collections.abc import Callable
from contextlib import contextmanager, nullcontext

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ..data.batching import Batch
from ..errors import ElmanError, bad
from .launch import local_rank, local_size, rank_device, world_size


class Agreed(ElmanError):
    """An error every process of a run raises together; the first process (rank 0) reports
    it, the others exit quietly with the same exit code."""


def rows(x, part: slice):
    """Rows ``part`` of a batch's x or y: a tensor (B, ...) or a tuple of them (None
    stays None)."""
    if x is None or isinstance(x, torch.Tensor):
        return x if x is None else x[part]
    return type(x)(*(rows(v, part) for v in x))


def bounds(n: int, size: int) -> list[tuple[int, int]]:
    """The contiguous rows [a, b) of each of ``size`` ranks in a batch of n rows."""
    cuts = [-(-n * r // size) for r in range(size + 1)]      # the first ranks' are longer
    return list(zip(cuts, cuts[1:]))


def share(batch: Batch, rank: int, size: int) -> tuple[Batch, bool, list[int]]:
    """(rank's rows of a batch, whether it has any (rank 0's rows stand in for none: rank 0
    has rows whenever the batch has), every rank's row count)."""
    spans = bounds(len(batch.y), size)
    a, b = spans[rank] if spans[rank][0] < spans[rank][1] else spans[0]
    own = Batch(rows(batch.x, slice(a, b)), rows(batch.y, slice(a, b)), batch.carry)
    return own, spans[rank][0] < spans[rank][1], [q - p for p, q in spans]


class Local:
    """One process: the trainer's own behaviour."""

    rank, size, writes = 0, 1, True

    def device(self, name: str) -> str:
        """The torch device this process trains on."""
        return name

    def setup_config(self, cfg):
        """The train settings the task makes its batches with."""
        return cfg

    def replicate(self, model: nn.Module, task, seed: int) -> Callable:
        """The loss of a batch, ``loss_of(x, y, state) -> (mean loss, state)``, of the model
        as every process holds it; from here on each process draws its own random numbers
        (dropout) from ``seed``."""
        return lambda x, y, state: task.loss(model, x, y, state)

    def part(self, batch: Batch, task) -> tuple[Batch, int]:
        """This rank's rows of a batch and the targets its loss averages over."""
        return batch, 1

    def mean(self, loss: torch.Tensor, targets: int) -> tuple[torch.Tensor, float]:
        """(the loss to backpropagate, the batch's mean loss)."""
        return loss, float(loss.detach())

    def first_signal(self, signum: int | None) -> int | None:
        """The signal noted here (``stop.requested()``) or by any other process."""
        return signum

    def maximum(self, value: float) -> float:
        """The largest of the processes' values (a clock, so that all decide alike)."""
        return value

    def shared(self, make: Callable):
        """``make()``, computed once, on every process."""
        return make()

    def together(self):
        """A block of set-up (no collective inside) whose ``ElmanError`` on any process stops
        every process."""
        return nullcontext()

    def primary(self, make: Callable):
        """``make()`` where the results are reported (None elsewhere)."""
        return make()

    def gather_state(self, state):
        """The carried state of every stream, to save."""
        return state

    def own_state(self, state):
        """This process's streams of a saved state."""
        return state

    def saved(self) -> dict:
        """What trainer_state.json keeps of the processes."""
        return {}

    def restore(self, saved: dict, where):
        """Check a resumed trainer_state.json (read at ``where``) against the processes."""
        check_size(saved, self.size, where)

    def describe(self) -> str:
        """How the batches are split, for the start of a run."""
        return ""


class Ranks(Local):
    """One of N processes of a torch.distributed process group."""

    def __init__(self):
        self.rank, self.size = dist.get_rank(), dist.get_world_size()
        self.writes = self.rank == 0
        self.local, self.local_size = local_rank(), local_size()
        self.on = torch.device("cpu")          # where the collectives' tensors live (the model's)
        self.sizes = [0] * self.size           # every rank's row count of the current batch

    def device(self, name: str) -> str:
        """``cuda`` is this rank's GPU, cuda:LOCAL_RANK (``launch.rank_device``)."""
        return rank_device(name, self.local, self.local_size, torch.cuda.device_count())

    def setup_config(self, cfg):
        """The settings the task makes its batches with: N x batch_size rows."""
        from dataclasses import replace
        return replace(cfg, batch_size=cfg.batch_size * self.size)

    def replicate(self, model: nn.Module, task, seed: int) -> Callable:
        """DDP of the task's loss of the model (rank 0's weights broadcast to all); ranks
        past 0 reseed their generator, so their dropout masks differ from rank 0's."""
        self.on = next(model.parameters()).device
        if self.on.type == "cuda":
            torch.cuda.set_device(self.on)     # where NCCL's object collectives go
        ids = [self.on.index] if self.on.type == "cuda" else None
        loss_of = DistributedDataParallel(TaskLoss(task, model), device_ids=ids,
                                          find_unused_parameters=True)
        if self.rank > 0:
            torch.manual_seed((seed + 1) * 1_000_003 + self.rank)
        return loss_of

    def part(self, batch: Batch, task) -> tuple[Batch, int]:
        own, has, self.sizes = share(batch, self.rank, self.size)
        return own, task.targets(own) if has else 0

    def mean(self, loss: torch.Tensor, targets: int) -> tuple[torch.Tensor, float]:
        """Weight this rank's mean loss by its share of the batch's targets (DDP divides
        the summed gradients by N); the batch's mean loss, the same on every rank."""
        t = torch.tensor([targets, targets * float(loss.detach())], dtype=torch.float64,
                         device=self.on)
        dist.all_reduce(t)
        total, summed = float(t[0]), float(t[1])
        return loss * (self.size * targets / total), summed / total

    def first_signal(self, signum: int | None) -> int | None:
        """A signal noted by any rank (the largest number), on every rank."""
        t = torch.tensor([signum or 0], device=self.on)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return int(t) or None

    def maximum(self, value: float) -> float:
        t = torch.tensor([value], dtype=torch.float64, device=self.on)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t)

    def shared(self, make: Callable):
        """``make()`` on rank 0, its value (or its one-line error) on every rank."""
        box = [None]
        if self.rank == 0:
            try:
                box[0] = ("value", make())
            except ElmanError as e:
                box[0] = ("error", str(e))
        dist.broadcast_object_list(box, src=0, device=self.on)
        kind, value = box[0]
        if kind == "error":
            raise Agreed(value)
        return value

    @contextmanager
    def together(self):
        """Run the block on every rank, then, if it raised an ``ElmanError`` on any, raise
        the first rank's as ``Agreed`` on every rank (rank 0 reports it)."""
        error = None
        try:
            yield
        except ElmanError as e:
            error = str(e)
        errors = [None] * self.size
        dist.all_gather_object(errors, error)
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise Agreed(first)

    def primary(self, make: Callable):
        """``make()`` on rank 0 only (None elsewhere)."""
        return make() if self.rank == 0 else None

    def gather_state(self, state):
        """The carried state of all N*B streams (rows in rank order), on every rank."""
        from .trainer import state_tensors, tensors_state
        mine = {k: v.cpu() for k, v in state_tensors(state).items()}
        parts = [None] * self.size
        dist.all_gather_object(parts, (self.sizes[self.rank] > 0, mine))
        real = [p for has, p in parts if has]
        if not real or not real[0]:
            return None
        return tensors_state({k: torch.cat([p[k] for p in real]) for k in real[0]})

    def own_state(self, state):
        """This rank's rows of a saved state of all streams."""
        from .trainer import state_tensors, tensors_state
        tensors = state_tensors(state)
        if not tensors:
            return None
        spans = bounds(next(iter(tensors.values())).shape[0], self.size)
        a, b = spans[self.rank] if spans[self.rank][0] < spans[self.rank][1] else spans[0]
        self.sizes = [q - p for p, q in spans]
        return tensors_state({k: v[a:b] for k, v in tensors.items()})

    def saved(self) -> dict:
        """What a checkpoint keeps of the ranks: their number and random generators (CPU,
        and CUDA on a GPU)."""
        mine = {"rank_rng": encode(torch.get_rng_state())}
        if self.on.type == "cuda":
            mine["rank_cuda_rng"] = encode(torch.cuda.get_rng_state(self.on))
        states = [None] * self.size
        dist.all_gather_object(states, mine)
        return {"world_size": self.size, **{k: [s[k] for s in states] for k in mine}}

    def restore(self, saved: dict, where):
        """Check the number of processes; set this rank's generators."""
        check_size(saved, self.size, where)
        for key, put in (("rank_rng", torch.set_rng_state), ("rank_cuda_rng", lambda t:
                         torch.cuda.set_rng_state(t, self.on))):
            states = saved.get(key)
            if isinstance(states, list) and len(states) == self.size and (
                    key == "rank_rng" or self.on.type == "cuda"):
                try:
                    put(torch.frombuffer(bytearray(base64.b64decode(states[self.rank])),
                                         dtype=torch.uint8))
                except (TypeError, ValueError, RuntimeError):
                    raise bad("checkpoint", f"a complete trainer_state.json in "
                              f"{str(where)!r}", f"{key}: expected a saved random generator "
                              "state (base64) per process") from None

    def describe(self) -> str:
        return f" split over {self.size} processes"


def check_size(saved: dict, size: int, where):
    """A run resumes with as many processes as it was trained with (the batches, the
    carried streams and the random generators are per process)."""
    had = saved.get("world_size", 1)
    if isinstance(had, bool) or not isinstance(had, int) or had < 1:
        raise bad("checkpoint", f"a complete trainer_state.json in {str(where)!r}",
                  f"world_size: expected an integer >= 1, got {had!r}")
    if had != size:
        raise bad("nproc", f"{had} (the run in {str(where)!r} was trained with {had} "
                  f"process{'es' if had != 1 else ''}; resume it with as many)", str(size))


def encode(state: torch.Tensor) -> str:
    """A random generator's state (uint8) as base64."""
    return base64.b64encode(state.numpy().tobytes()).decode("ascii")


class TaskLoss(nn.Module):
    """The task's training loss of the model as one module, so that DDP sees the model's
    whole forward pass whatever methods of the model the task calls."""

    def __init__(self, task, model: nn.Module):
        super().__init__()
        self.task, self.model = task, model

    def forward(self, x, y, state=None):
        return self.task.loss(self.model, x, y, state)


def current(device: str) -> Local:
    """The parallel context of this process: ``Ranks`` when torchrun started it with
    WORLD_SIZE > 1 (joining the process group on first use: NCCL for a CUDA ``device``,
    else gloo), else ``Local``."""
    if not dist.is_available() or (world_size() <= 1 and not dist.is_initialized()):
        return Local()
    if not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        if backend == "nccl":      # each rank's GPU, before NCCL's first collective
            torch.cuda.set_device(torch.device(rank_device(
                device, local_rank(), local_size(), torch.cuda.device_count())))
        dist.init_process_group(backend)
        atexit.register(dist.destroy_process_group)
    return Ranks()
