"""TensorBoard event files of a run: ``RUN/tensorboard/`` (``tensorboard --logdir runs``).

Written at every evaluation, at that row's step of ``metrics.jsonl`` and with its values:

================== ==========================================================================
loss/train         the mean training loss since the last evaluation (nats per token)
loss/valid         the validation loss
valid/NAME         each other validation figure of the task (bpc, perplexity, accuracy, ...)
train/lr           the learning rate
train/grad_norm    the gradient norm of the last step before the evaluation, before clipping
train/tokens_per_s training speed
train/epoch, ...   the row's other numbers (epoch, elapsed, skipped)
sample             text: what the task shows after training (a language model's sample,
                   drawn with the run's seed), where it shows anything
================== ==========================================================================

``--tensorboard false`` writes none. The writer is torch's ``SummaryWriter``, which needs the
package tensorboard (``pip install 'elman[tensorboard]'``); without it the run trains all
the same and says once that it wrote no event files. A resumed run drops the events after its
resumed step, as ``metrics.jsonl`` drops those rows.
"""

import math
from pathlib import Path

import torch
from torch import nn

FOLDER = "tensorboard"
TAGS = {"train_loss": "loss/train", "valid_loss": "loss/valid", "lr": "train/lr",
        "tokens_per_s": "train/tokens_per_s", "epoch": "train/epoch",
        "elapsed": "train/elapsed", "skipped": "train/skipped", "grad_norm": "train/grad_norm"}
MISSING = ("tensorboard: no event files written: the optional package tensorboard is not "
           "installed (pip install 'elman[tensorboard]'; --tensorboard false: no such note)")


def tag(key: str) -> str:
    """The TensorBoard tag of a metrics.jsonl key: its group and name."""
    return TAGS.get(key, f"valid/{key}")


def grad_norm(model: nn.Module) -> float | None:
    """The L2 norm of all the model's gradients (None before any)."""
    grads = [p.grad.detach() for p in model.parameters() if p.grad is not None]
    if not grads:
        return None
    return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g)
                                                        for g in grads])))


class Board:
    """The event files of one run, made at its first evaluation; does nothing when off or
    when tensorboard is missing."""

    def __init__(self, run: Path, *, enabled: bool, resume_step: int | None = None,
                 log=print):
        self.folder, self.resume_step, self.writer, self.make = \
            Path(run) / FOLDER, resume_step, None, None
        if not enabled:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            log(MISSING)
            return
        self.make = SummaryWriter

    def evaluation(self, row: dict, *, trained: nn.Module, evaluated: nn.Module,
                   norm: float | None, task, config):
        """Write one metrics row, the gradient norm (``norm``: the last step's before
        clipping; None: read from the gradients of ``trained``, which were not clipped) and
        the task's sample of ``evaluated`` (the model validated: the weights' average with
        ema)."""
        if self.make is None:
            return
        if self.writer is None:
            purge = None if self.resume_step is None else self.resume_step + 1
            self.writer = self.make(str(self.folder), purge_step=purge)
        step = row["step"]
        values = {**row, "grad_norm": norm if norm is not None else grad_norm(trained)}
        for key, value in values.items():
            if key != "step" and isinstance(value, (int, float)) \
                    and not isinstance(value, bool) and math.isfinite(value):
                self.writer.add_scalar(tag(key), value, step)
        text = "".join(task.epilogue(evaluated, config))
        if text:
            self.writer.add_text("sample", text, step)
        self.writer.flush()

    def close(self):
        if self.writer is not None:
            self.writer.close()
