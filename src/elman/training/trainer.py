"""The training loop: seeded, budgeted, validated, checkpointed and resumable.

One step: take the next batch (x, y) (B, T); start from the carried state (truncated BPTT) or
zeros; loss = mean nats per target token; backpropagate; clip the gradient norm; optimizer and
learning-rate scheduler step; detach the state so the next window's gradients stop here.
Every ``eval_every`` steps: validate, log a metrics line, save ``checkpoint/`` (everything to
resume) and, when the monitored validation figure (``monitor``: the loss, or the task's own
score such as accuracy, exact match or BLEU) improved, ``best/`` (the model). Training stops at
``max_steps``, at the time budget ``max_minutes``, after ``patience`` evaluations without
improvement, when the loss diverges (``elman.training.guard``: ``Diverged``, and the last good
checkpoint stays), or on a signal noted by ``elman.training.stop`` (SIGINT, SIGTERM): then
it stops after the step under way, writes checkpoint/ at that step and raises
``Interrupted``. A KeyboardInterrupt raised anywhere else propagates; the last complete
checkpoint stays.
With ``ema``, an exponential moving average of the weights is kept beside them (updated after
every optimizer step, saved with the checkpoint) and is what validation and best/ see.
Launched by torchrun (or ``elman train --nproc N``) the run is one of N processes training
together with DDP (``self.parallel``, ``elman.training.distributed``): each takes its rows of
every batch, and the first alone validates and writes.

Run folder::

    RUN/config.json  metrics.jsonl  loss.png  best/  checkpoint/  tensorboard/ (``board``)
    [diagnostics.jsonl]

The same seed and data give bit-identical weights: initialisation and dropout draw from the
seeded global torch generator (saved in checkpoints), and batch order from a generator seeded
per epoch (``elman.data.batching``), so a resumed run continues exactly where it stopped.
"""

import base64
import math
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from ..errors import ElmanError, bad
from ..io import checkpoint
from ..io.atomic import backup_of, resolve, write_text
from ..io.plots import plot_losses
from ..nn import memory
from ..nn.init import constrain_recurrent, init_recurrent
from ..tasks import get_task
from . import distributed, stop
from .board import Board
from .config import ModelConfig, RunConfig, TrainConfig, resume_file, resumed
from .diagnostics import Diagnostics
from .guard import Diverged, Guard
from .metrics import PLOT, MetricsLog


def detach(state):
    """Cut the graph behind a state: a tensor, or nested lists/tuples of them (LSTM (h, c))."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return type(state)(detach(s) for s in state)


def state_tensors(state) -> dict[str, torch.Tensor]:
    """Flatten a (nested) state into named tensors: "0", "1.0", "1.1", ..."""
    if state is None:
        return {}
    if isinstance(state, torch.Tensor):
        return {"": state}
    out = {}
    for i, s in enumerate(state):
        out.update({f"{i}.{k}".rstrip("."): v for k, v in state_tensors(s).items()})
    return out


def tensors_state(tensors: dict[str, torch.Tensor]):
    """Inverse of state_tensors for an elman.RNN state (a list; (h, c) tuples for the LSTM,
    whose names have two parts)."""
    if not tensors:
        return None
    layers = sorted({int(k.split(".")[0]) for k in tensors})
    if any("." in k for k in tensors):
        return [(tensors[f"{l}.0"], tensors[f"{l}.1"]) for l in layers]
    return [tensors[str(l)] for l in layers]


def check_memory(model: nn.Module, batches, cfg: TrainConfig):
    """Refuse a run whose first training batch would not fit in memory with the model's
    training (``elman.nn.memory.check_training``): B and T are the first dimensions of the
    batch's largest input tensor. The batch is made with the global RNG's state kept."""
    with torch.random.fork_rng(devices=[]):
        batch = next(iter(batches.epoch(0)), None)
    if batch is None:
        return
    x = batch.x if isinstance(batch.x, torch.Tensor) else \
        [t for t in batch.x if isinstance(t, torch.Tensor) and t.dim() >= 2]
    shapes = [tuple(t.shape) for t in ([x] if isinstance(x, torch.Tensor) else x)]
    B, T = max(shapes, key=lambda s: s[0] * s[1])[:2]
    memory.check_training(model, B, T, optimizer=cfg.optimizer, average=cfg.ema is not None)


def steps_of(y: torch.Tensor) -> int:
    """Targets in a batch for the speed figure: labels (B,), tokens (B, T), or time steps of
    vector targets such as piano-roll frames (B, T, 88)."""
    return y.numel() if y.dim() < 3 else y.shape[0] * y.shape[1]


def _bytes_tensor(text: str) -> torch.Tensor:
    """A base64 string (a saved RNG state) -> uint8 tensor."""
    return torch.frombuffer(bytearray(base64.b64decode(text, validate=True)), dtype=torch.uint8)


COUNTS = ("step", "epoch", "index", "best_step", "bad_evals")


def checked_state(s: dict, where: Path) -> dict:
    """A saved trainer_state.json (of the checkpoint folder ``where``) with every field the
    resumed run reads checked, so a wrong one is a checkpoint error naming it, not a
    TypeError in the training loop."""
    def wrong(name: str, expected: str, got: str):
        return bad("checkpoint", f"a complete {checkpoint.TRAINER} in {str(where)!r}",
                   f"{name}: expected {expected}, got {got}")
    for name in (*COUNTS, "best_score", "lr_scale", "elapsed", "rng", "scheduler",
                 "optimizer", "data_sha256"):
        if name not in s:
            raise wrong(name, "a value", "none")
    for name in COUNTS:
        if isinstance(s[name], bool) or not isinstance(s[name], int) or s[name] < 0:
            raise wrong(name, "an integer >= 0", repr(s[name]))
    for name, nullable in (("lr_scale", False), ("elapsed", False), ("best_score", True)):
        v = s[name]
        if not (v is None and nullable) and (isinstance(v, bool) or not isinstance(
                v, (int, float)) or not math.isfinite(v)):
            raise wrong(name, "a number or null" if nullable else "a number", repr(v))
    for name in ("rng", "cuda_rng"):
        if name in s:
            try:
                _bytes_tensor(s[name])
            except (TypeError, ValueError):
                raise wrong(name, "a saved random generator state (base64)",
                            repr(s[name])[:40]) from None
    for name in ("scheduler", "optimizer"):
        if not isinstance(s[name], dict):
            raise wrong(name, "a JSON object", type(s[name]).__name__)
    return s


def lr_factor(cfg: TrainConfig, elapsed=lambda: 0.0):
    """Multiplier of the base learning rate at a step: linear warmup, then the schedule.
    The cosine reaches 0 at ``max_steps`` or at the ``max_minutes`` budget (``elapsed()``
    seconds of it spent), whichever comes first, so a run stopped by time ends fully decayed."""
    budget = None if cfg.max_minutes is None else cfg.max_minutes * 60.0

    def factor(step: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        s, n = step - cfg.warmup, max(1, cfg.max_steps - cfg.warmup)
        if cfg.lr_schedule == "cosine":
            done = max(min(s, n) / n, 0.0 if budget is None else min(elapsed() / budget, 1.0))
            return 0.5 * (1.0 + math.cos(math.pi * done))
        if cfg.lr_schedule == "step":
            return cfg.lr_gamma ** (s // cfg.lr_step_size)
        return 1.0
    return factor


def monitored(cfg: TrainConfig, task) -> str:
    """The validation figure that picks the best model: the task's own (``task.monitor``)
    unless ``monitor`` says loss."""
    default = task.monitor
    if cfg.monitor == "auto":
        return default
    if cfg.monitor not in ("loss", default):
        raise bad("monitor", f"a figure the {task.name} task reports "
                  f"({' or '.join(sorted({'loss', default}))})", repr(cfg.monitor))
    return cfg.monitor


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                               weight_decay=cfg.weight_decay)
    return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def fresh_model(task, model: ModelConfig) -> nn.Module:
    """The task's model for ``model``, its cells initialised as ``recurrent_init``,
    ``recurrent_scale``, ``input_scale`` and ``chrono`` say and W_R projected on
    ``recurrent_constraint`` (``elman.nn.init``)."""
    net = task.build_model(model)
    init_recurrent(net, model.recurrent_init, model.recurrent_scale,
                   input_scale=model.input_scale, chrono=model.chrono)
    constrain_recurrent(net, model.recurrent_constraint)
    return net


def check_device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError:
        raise bad("device", "a torch device such as cpu, cuda or cuda:0", repr(name)) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise bad("device", "an available device (this torch has no CUDA device)", repr(name))
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise bad("device", "an available device (MPS is not available)", repr(name))
    return device


def new_run_dir(out: str | None) -> Path:
    """The run folder: ``out`` (new or empty) or runs/<date-time>."""
    if out is None:
        base = Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S")
        run, k = base, 1
        while run.exists():
            k += 1
            run = base.with_name(f"{base.name}-{k}")
    else:
        run = Path(out)
        if run.exists() and (not run.is_dir() or any(run.iterdir())):
            raise bad("out", "a new or empty folder (use --resume RUN to continue a run)",
                      repr(str(run)))
    run.mkdir(parents=True, exist_ok=True)
    return run


def has_checkpoint(run) -> bool:
    """Whether a run folder holds checkpoint/ (or the backup of an interrupted swap)."""
    return resolve(Path(run) / "checkpoint").is_dir()


def resume_config(run, overrides: dict | None = None) -> RunConfig:
    """The config of the run to resume, with allowed overrides (budget, evaluation, output):
    its checkpoint's or, for a run stopped before its first checkpoint, the run folder's
    config.json (the run starts over)."""
    where = resume_file(run)
    return resumed(checkpoint.read_object(where), run, overrides, where)


def start_over(run: Path):
    """Clear what a run that stopped before its first checkpoint left besides its config:
    best/ (written just before the first checkpoint) and the plot."""
    for folder in (run / "best", backup_of(run / "best")):
        shutil.rmtree(folder, ignore_errors=True)
    (run / PLOT).unlink(missing_ok=True)


@dataclass
class RunResult:
    """What a finished run reports."""

    run: Path
    step: int
    stopped: str                 # "max_steps", "time budget", "early stopping"
    valid: dict | None           # full validation metrics of the best model
    best_step: int
    tokens_per_s: float
    elapsed: float               # seconds of this invocation
    model: nn.Module             # the best model, in eval mode
    task: object


class Trainer:
    """Set up (or resume) a run; ``run()`` trains it."""

    def __init__(self, config: RunConfig, task, ck: checkpoint.Checkpoint | None = None,
                 resume=None, log=print):
        """``task``: the run's Task, made from ``ck`` (the resumed checkpoint) when resuming."""
        cfg = config.train
        self.parallel = distributed.current(cfg.device)       # one process, or DDP ranks
        self.config, self.model_cfg, self.cfg = config, config.model, cfg
        self.log = log if self.parallel.writes else lambda *args: None
        with self.parallel.together():      # a process's bad settings or data stop them all
            self.device = check_device(self.parallel.device(cfg.device))
            torch.manual_seed(cfg.seed)
            self.task = task
            memory.set_limit(cfg.max_memory)
            task.setup(self.parallel.setup_config(cfg))
            self.monitor = monitored(cfg, self.task)
            self.model = (ck.model if ck else fresh_model(task, config.model)).to(self.device)
            check_memory(self.model, task.train_batches, cfg)
        self.loss_of = self.parallel.replicate(self.model, task, cfg.seed)
        self.started_over = resume is not None and ck is None
        stop.check(lambda: "before the run started" + (
            f"; checkpoint/ keeps step {ck.trainer_state['step']:,}" if ck else
            "; nothing was written" if resume is None else ""))
        self.run_dir = Path(resume) if resume else \
            Path(self.parallel.shared(lambda: new_run_dir(cfg.out)))     # once all is valid
        self.cfg = cfg = replace(cfg, out=str(self.run_dir))
        self.config = replace(config, train=cfg)
        if not ck and self.parallel.writes:
            if self.started_over:
                start_over(self.run_dir)
            write_text(self.run_dir / "config.json", self.config.to_json())
        self.optimizer = make_optimizer(self.model, cfg)
        self.average = None if cfg.ema is None else AveragedModel(
            self.model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema))
        self.elapsed_before, self.t0 = 0.0, None
        self.factor = lr_factor(cfg, lambda: self.parallel.maximum(     # one clock for all
            self.elapsed_before + self.clock()))
        self.lr_scale = 1.0                                   # plateau decays
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: self.factor(step) * self.lr_scale)
        self.step = self.epoch = self.index = self.bad_evals = self.best_step = 0
        self.best, self.best_weights, self.state, self.last_bpc = math.inf, None, None, "-"
        self.losses, self.skipped, self.saved = [], 0, None   # since the last evaluation
        self.grad_norm = None                                 # the last step's, before clipping
        if ck:
            self._restore(ck)
        self.metrics = MetricsLog(self.run_dir, self.step if ck else None,
                                  write=self.parallel.writes)
        self.diagnostics = Diagnostics(self.run_dir, cfg.diagnose_every if self.parallel.writes
                                       else None, task, self.step if ck else None)
        self.board = Board(self.run_dir, enabled=cfg.tensorboard and self.parallel.writes,
                           resume_step=self.step if ck else None, log=log)
        self.guard = Guard(cfg.diverge_factor, cfg.diverge_evals, cfg.skip_bad_batches)
        self.guard.replay(ck.trainer_state.get("first_loss") if ck else None, self.metrics.rows)

    # --- resume ---------------------------------------------------------------------------

    def _trainer_state(self) -> dict:
        rng = torch.get_rng_state().numpy().tobytes()
        if self.device.type == "cuda":
            cuda = torch.cuda.get_rng_state(self.device).numpy().tobytes()
            extra = {"cuda_rng": base64.b64encode(cuda).decode("ascii")}
        else:
            extra = {}
        return {**extra, "step": self.step, "epoch": self.epoch, "index": self.index,
                "best_score": None if math.isinf(self.best) else self.best,
                "best_step": self.best_step, "bad_evals": self.bad_evals,
                "lr_scale": self.lr_scale, "losses": self.losses, "skipped": self.skipped,
                "first_loss": self.guard.first,
                "elapsed": self.elapsed_before + self.clock(),
                "rng": base64.b64encode(rng).decode("ascii"),
                "scheduler": self.scheduler.state_dict(), "data_sha256": self.task.fingerprint,
                **self.parallel.saved()}

    def _restore(self, ck):
        s = checked_state(ck.trainer_state, ck.path)
        try:
            if s["data_sha256"] != self.task.fingerprint:
                raise bad("data", "the text the resumed run was trained on",
                          f"a different text from {self.task.source!r}")
            self.step, self.epoch, self.index = s["step"], s["epoch"], s["index"]
            self.best = math.inf if s["best_score"] is None else s["best_score"]
            self.best_step, self.bad_evals = s["best_step"], s["bad_evals"]
            self.lr_scale = s["lr_scale"]
            self.losses, self.skipped = list(s.get("losses", [])), s.get("skipped", 0)
            self.elapsed_before, self.saved = s["elapsed"], self.step
            checkpoint.load_optimizer(self.optimizer, ck.optimizer, s["optimizer"])
            self.scheduler.load_state_dict(s["scheduler"])
            rng = _bytes_tensor(s["rng"])
            cuda = _bytes_tensor(s["cuda_rng"]) if "cuda_rng" in s else None
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            if isinstance(e, ElmanError):
                raise
            raise bad("checkpoint", f"a complete {checkpoint.TRAINER} in {str(ck.path)!r}",
                      f"{type(e).__name__}: {e}") from None
        self.state = self.parallel.own_state(tensors_state(
            {k: v.to(self.device) for k, v in (ck.stream or {}).items()}))
        if self.average is not None:
            if ck.average is None:
                raise bad("checkpoint", f"a file {checkpoint.AVERAGE} in {str(ck.path)!r} (the "
                          "run keeps a moving average, ema)", "no such file")
            checkpoint.load_weights(self.average.module, ck.average, ck.path / checkpoint.AVERAGE)
            self.average.n_averaged.fill_(self.step)
        best = checkpoint.find(self.run_dir)
        if best.name == "best":
            self.best_weights = checkpoint.load(best).model.state_dict()
        torch.set_rng_state(rng)     # last: loading models above draws from the generator
        if cuda is not None and self.device.type == "cuda":
            torch.cuda.set_rng_state(cuda, self.device)
        self.parallel.restore(s, ck.path)

    def save(self):
        """Write checkpoint/ (everything needed to resume)."""
        state, trainer_state = self.parallel.gather_state(self.state), self._trainer_state()
        if self.parallel.writes:
            checkpoint.save(self.run_dir / "checkpoint", self.model, self.task.vocab,
                            self.config.to_dict(), trainer_state, self.optimizer,
                            state_tensors(state), meta=self.task.meta(),
                            average=None if self.average is None else self.average.module)
        self.saved = self.step

    def save_best(self, valid: dict):
        model = self.evaluated
        self.best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if self.parallel.writes:
            checkpoint.save(self.run_dir / "best", model, self.task.vocab,
                            self.config.to_dict(), {"step": self.step, "valid": valid},
                            meta=self.task.meta())

    # --- the loop -------------------------------------------------------------------------

    @property
    def evaluated(self) -> nn.Module:
        """The model that is validated and saved as best/: the weights' moving average with
        ``ema``, else the model itself."""
        return self.model if self.average is None else self.average.module

    def clock(self) -> float:
        """Seconds since this invocation's training started."""
        return 0.0 if self.t0 is None else time.monotonic() - self.t0

    def train_step(self, batch) -> float | None:
        """One optimizer step on a batch; returns its loss (nats per token), or None when the
        guard skipped the batch (``skip_bad_batches``). A loss or gradient norm that is not
        finite raises Diverged otherwise, before the optimizer step."""
        part, targets = self.parallel.part(batch, self.task)     # this process's rows
        x, y = part.x.to(self.device), part.y.to(self.device)
        state = self.state if batch.carry else None
        self.task.at_step(self.step)
        loss, state = self.loss_of(x, y, state)
        loss, value = self.parallel.mean(loss, targets)
        if self.step == 0:
            self.guard.start(value)
        bad = self.guard.batch(value)
        if bad is None:
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.cfg.clip is not None:
                norm = nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip)
                self.grad_norm = float(norm)
                bad = self.guard.batch(value, float(norm))
        if bad is not None and not self.cfg.skip_bad_batches:
            raise Diverged(self.step + 1, bad, self.saved)
        if bad is None:
            self.optimizer.step()
            constrain_recurrent(self.model, self.model_cfg.recurrent_constraint)
            if self.average is not None:
                self.average.update_parameters(self.model)
            self.state = detach(state) if self.cfg.bptt == "truncated" else None
        else:
            self.skipped, self.state = self.skipped + 1, None   # restart the streams
        with warnings.catch_warnings():      # a skipped first batch: "step() before optimizer"
            warnings.simplefilter("ignore", UserWarning)
            self.scheduler.step()
        self.step += 1
        self.index += 1
        if self.index >= len(self.task.train_batches):
            self.epoch, self.index = self.epoch + 1, 0
        return None if bad else value

    def decay_lr(self):
        """Plateau schedule: multiply the learning rate by lr_gamma from the next step on."""
        self.lr_scale *= self.cfg.lr_gamma
        for group, base in zip(self.optimizer.param_groups, self.scheduler.base_lrs):
            group["lr"] = base * self.factor(self.step) * self.lr_scale

    def score(self, valid: dict | None, train_loss: float | None) -> float | None:
        """The monitored validation figure, lower is better (the training loss without a
        validation set)."""
        if not valid:
            return train_loss
        return valid["loss"] if self.monitor == "loss" else -valid[self.monitor]

    def evaluate(self, train_loss: float | None, tokens_per_s: float) -> bool:
        """Judge the training loss (``elman.training.guard``), validate, log, checkpoint; True
        when early stopping says stop. A suspect evaluation is not validated and writes
        neither best/ nor checkpoint/; the last of ``diverge_evals`` in a row raises
        Diverged."""
        last = self.metrics.rows[-1]["step"] if self.metrics.rows else 0
        suspect = self.guard.judge(train_loss, self.skipped, self.step - last)
        valid = None
        if self.task.valid_batches is not None and not suspect:
            valid = self.parallel.shared(lambda: self.task.evaluate(
                self.evaluated, max_batches=self.cfg.eval_batches))
        score = None if suspect else self.score(valid, train_loss)
        self.last_bpc = self.task.headline(valid)
        if score is not None and score < self.best:
            self.best, self.best_step, self.bad_evals = score, self.step, 0
            self.save_best(valid or {})
        else:
            self.bad_evals += 1
            if self.cfg.lr_schedule == "plateau" and self.bad_evals % self.cfg.lr_patience == 0:
                self.decay_lr()
        self.metrics.append({
            "step": self.step, "epoch": self.epoch, "train_loss": train_loss,
            "valid_loss": valid and valid["loss"],
            **{k: v for k, v in (valid or {}).items() if k != "loss" and isinstance(v, float)},
            **({"skipped": self.skipped} if self.cfg.skip_bad_batches else {}),
            "lr": self.optimizer.param_groups[0]["lr"], "tokens_per_s": round(tokens_per_s, 1),
            "elapsed": round(self.elapsed_before + self.clock(), 2)})
        self.board.evaluation(self.metrics.rows[-1], trained=self.model, evaluated=self.evaluated,
                              norm=self.grad_norm, task=self.task, config=self.config)
        self.losses, self.skipped = [], 0
        if self.guard.diverged:
            raise Diverged(self.step, self.guard.diverged, self.saved)
        if not suspect:
            self.save()
        return self.cfg.patience is not None and self.bad_evals >= self.cfg.patience

    def run(self) -> RunResult:
        cfg, batches = self.cfg, self.task.train_batches
        self.t0 = time.monotonic()
        budget = None if cfg.max_minutes is None else cfg.max_minutes * 60.0
        self.announce()
        bar = tqdm(total=cfg.max_steps if budget is None else None, initial=self.step,
                   desc="train", unit=" step", dynamic_ncols=True, leave=False,
                   disable=cfg.quiet or not self.parallel.writes or not sys.stderr.isatty())
        tokens, train_time = 0, 0.0
        stopped = "max_steps" if self.step >= cfg.max_steps else None   # a finished run resumed
        try:
            self.stop_if_asked()
            while stopped is None:
                for batch in batches.epoch(self.epoch, self.index):
                    t = time.monotonic()
                    loss = self.train_step(batch)
                    train_time += time.monotonic() - t
                    self.diagnostics.after(self.step, self.evaluated)
                    tokens += steps_of(batch.y)
                    rate = tokens / max(train_time, 1e-9)
                    if loss is not None:
                        self.losses.append(loss)
                    bar.update(1)
                    bar.set_postfix(loss="skipped" if loss is None else f"{loss:.3f}",
                                    tok_s=f"{rate:,.0f}", valid_bpc=self.last_bpc,
                                    refresh=False)
                    stopped = self._limits(budget)
                    if self.step % cfg.eval_every == 0 or stopped:
                        mean = sum(self.losses) / len(self.losses) if self.losses else None
                        if self.evaluate(mean, rate) and stopped is None:
                            stopped = "early stopping"
                    self.stop_if_asked()
                    if stopped:
                        break
        finally:
            bar.close()
        return self._finish(stopped, tokens / max(train_time, 1e-9))

    def stop_if_asked(self):
        """When a signal was noted (``elman.training.stop``): write checkpoint/ at this step
        (unless it holds this step already, no step was taken, or the guard suspects the
        model) and raise Interrupted."""
        signum = self.parallel.first_signal(stop.requested())   # any process's, on all
        if signum is None:
            return
        if 0 < self.step != self.saved and not self.guard.suspect:
            self.save()
        raise stop.Interrupted(signum, self.kept())

    def kept(self) -> str:
        """Where an interrupted run stands, for its one-line message."""
        if self.saved is None:
            return (f"at step {self.step:,}, before the first checkpoint (elman train "
                    f"--resume {self.run_dir} starts it over)")
        return (f"at step {self.step:,}; checkpoint/ keeps step {self.saved:,} (elman train "
                f"--resume {self.run_dir} continues)")

    def announce(self):
        n = sum(p.numel() for p in self.model.parameters())
        m, batches = self.model_cfg, self.task.train_batches
        inputs = f"embedding {m.embed_dim}" if self.task.vocab is not None else \
            f"{self.model.rnn.input_size} features per step"
        self.log(f"run: {self.run_dir}" + (f" (resumed at step {self.step})" if self.step else
                                           " (started over: it stopped before its first "
                                           "checkpoint)" if self.started_over else ""))
        self.log(self.task.describe())
        self.log(f"model: {m.cell} {m.hidden_sizes}, {inputs}, {n:,} parameters; "
                 f"batches of {batches.batch_size} x {batches.seq_len} ({batches.bptt} BPTT)"
                 f"{self.parallel.describe()}, "
                 f"{self.cfg.optimizer} lr {self.cfg.lr:g}")

    def _limits(self, budget: float | None) -> str | None:
        if self.step >= self.cfg.max_steps:
            return "max_steps"
        if budget is not None and self.parallel.maximum(self.clock()) >= budget:
            return "time budget"
        return None

    def _finish(self, stopped: str, tokens_per_s: float) -> RunResult:
        """Load the best weights, validate them on the whole valid stream, plot the losses."""
        if self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
        elif self.average is not None:
            self.model.load_state_dict(self.average.module.state_dict())
        self.model.eval()
        stop.check(self.kept)                    # the model is best/ now: nothing to save
        valid = self.parallel.primary(lambda: self.task.evaluate(self.model)) \
            if self.task.valid_batches is not None else None
        stop.check(self.kept)
        if self.parallel.writes:
            plot_losses(self.metrics.rows, self.run_dir / PLOT, title=f"{self.task.source}")
        self.board.close()
        stop.check(self.kept)
        return RunResult(self.run_dir, self.step, stopped, valid, self.best_step, tokens_per_s,
                         self.clock(), self.model, self.task)


def trainer(config: RunConfig, resume=None, log=print) -> Trainer:
    """The Trainer of a new run, or of the run folder ``resume``, with its task from the
    registry."""
    with distributed.current(config.train.device).together():
        ck = checkpoint.load(Path(resume) / "checkpoint", training=True) \
            if resume is not None and has_checkpoint(resume) else None
        task = get_task(config.task)(config.options, vocab=ck.vocab if ck else None,
                                     meta=ck.meta if ck else None)
    return Trainer(config, task, ck, resume, log)


def train(config: RunConfig, resume=None, log=print) -> RunResult:
    """Train (or resume from the run folder ``resume``) and return the result."""
    return trainer(config, resume, log).run()
