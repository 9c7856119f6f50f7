"""``--diagnose-every N``: the gradient flow of the model (``elman.diagnose``) on the first
validation batch (the first training batch where the task keeps no validation data) every N
steps, one JSON object per line of ``RUN/diagnostics.jsonl``: {"step", "loss", "end",
"sequences", "layers": {layer: {"norms", "rate", "W_R", "gates", "jacobians"}}}.

Off (the default) it costs nothing. On, one record is a forward and backward pass of one batch
through the plain loop and a few step Jacobians, in eval mode, under a forked random
generator, so a run with and without it trains the same weights.
"""

from pathlib import Path

import torch
from torch import nn

from ..diagnose import diagnose, first_batch
from .metrics import MetricsLog

DIAGNOSTICS = "diagnostics.jsonl"


class Diagnostics:
    """The diagnostics log of a run folder; ``after(step, model)`` after every step."""

    def __init__(self, run: Path, every: int | None, task, resume_step: int | None = None):
        self.every, self.task = every, task
        self.log = MetricsLog(run, resume_step, name=DIAGNOSTICS) if every else None

    def after(self, step: int, model: nn.Module):
        """Record the diagnostics at ``step`` when it is a multiple of ``every``."""
        if not self.every or step % self.every:
            return
        batches = self.task.valid_batches
        batches = self.task.train_batches if batches is None else batches
        with torch.random.fork_rng(devices=[]):
            report = diagnose(self.task, model, first_batch(batches))
        self.log.append({"step": step, **report})
