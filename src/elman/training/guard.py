"""The divergence guard: stop a run whose loss blew up before it overwrites what it made while
it was still good.

At every evaluation the guard compares the training loss (the mean over the steps since the
previous evaluation) with the running median of the run's good training losses: the loss of
its first batch (the untrained model's, so a run that blows up before its first evaluation
is caught too) and the training loss of every earlier evaluation that was not suspect. The
evaluation is *suspect* when its loss is not finite or more than ``diverge_factor`` times
that median; ``diverge_evals`` suspect evaluations in a row stop the run with ``Diverged``,
a one-line error naming the step and the loss. A suspect evaluation
writes neither ``checkpoint/`` nor ``best/``, so the last good checkpoint stays (a run whose
loss comes back below the line carries on and checkpoints again). A non-finite loss of a
single batch stops the run at once, before the optimizer step, unless ``skip_bad_batches``:
then a batch whose loss or gradient norm is not finite, or whose loss is more than
``diverge_factor`` times the running median, is skipped (no optimizer step, the carried
state restarts from zeros) and an evaluation interval with more than half of its batches
skipped is suspect.

All the state is a function of the first batch's loss (kept in the checkpoint) and the run's
metrics (the ``train_loss`` of each evaluation in ``metrics.jsonl``), so a resumed run judges
exactly as an uninterrupted one.

The defaults (10 times the median, 3 evaluations) did not fire on the recipes run with them,
whose training losses fall or wobble by a few per cent: the largest ratio of an evaluation's
training loss to the running median was 1.1 (docs/benchmarks.md, "Faults").
"""

import math
from statistics import median

from ..errors import ElmanError


class Diverged(ElmanError):
    """The run's loss diverged: one line naming the step, the loss and the checkpoint kept."""

    def __init__(self, step: int, what: str, kept: int | None):
        keep = "no checkpoint had been written" if kept is None else \
            f"checkpoint/ keeps step {kept:,}"
        super().__init__(f"training diverged at step {step:,}: {what}; {keep} (try a lower "
                         "--lr, --clip 1 or --warmup)")
        self.step, self.kept = step, kept


def ratio(loss: float, history: list[float]) -> float:
    """loss / the median of ``history`` (inf for a loss that is not finite, 0 with no
    history or a median of 0 or less)."""
    if not math.isfinite(loss):
        return math.inf
    if not history:
        return 0.0
    m = median(history)
    return loss / m if m > 0 else 0.0


class Guard:
    """Judge the training loss of each batch and of each evaluation interval.

    ``factor``: None turns the median test off (losses that are not finite still count).
    """

    def __init__(self, factor: float | None, evals: int, skip: bool):
        self.factor, self.evals, self.skip = factor, evals, skip
        self.history: list[float] = []      # the first batch's loss, then each good evaluation's
        self.streak, self.reason = 0, None  # suspect evaluations in a row; why the last was
        self.first = None                   # the first batch's loss

    def start(self, loss: float):
        """Take the loss of the run's first batch as the first of the history."""
        if self.first is None and math.isfinite(loss):
            self.first = loss
            self.history.insert(0, loss)

    def replay(self, first: float | None, rows: list[dict]):
        """Judge the evaluations of a resumed run again, from its first batch's loss and its
        metrics.jsonl rows (a row without a training loss and without skipped batches, from
        an older run, is left out)."""
        if first is not None:
            self.start(first)
        last = 0
        for row in rows:
            loss, skipped = row.get("train_loss"), row.get("skipped", 0)
            if loss is not None or skipped:
                self.judge(loss, skipped, row.get("step", last) - last)
            last = row.get("step", last)

    @property
    def suspect(self) -> bool:
        """Whether the latest evaluation was suspect (checkpoints are not written then)."""
        return self.streak > 0

    @property
    def diverged(self) -> str | None:
        """Why the run diverged, once ``evals`` suspect evaluations came in a row."""
        if self.streak < self.evals:
            return None
        limits = f"diverge_factor {self.factor:g}, " if self.factor is not None else ""
        return (f"{self.reason}, {self.streak} evaluations in a row ({limits}diverge_evals "
                f"{self.evals})" if self.streak > 1 else self.reason)

    def too_high(self, loss: float) -> str | None:
        r = ratio(loss, self.history)
        if self.factor is None or r <= self.factor:
            return None
        return (f"training loss {loss:.4g}, {r:.3g} times its running median "
                f"{median(self.history):.4g}")

    def batch(self, loss: float, grad_norm: float | None = None) -> str | None:
        """Why a batch is bad, or None: a loss or gradient norm that is not finite, and with
        ``skip`` a loss over the limit too."""
        if not math.isfinite(loss):
            return f"the loss is {loss}"
        if grad_norm is not None and not math.isfinite(grad_norm):
            return f"the gradient norm is {grad_norm} (loss {loss:.4g})"
        return self.too_high(loss) if self.skip else None

    def judge(self, loss: float | None, skipped: int = 0, steps: int = 0) -> bool:
        """Record an evaluation's training loss (None: no batch was kept) and how many of its
        ``steps`` batches were ``skipped``; True when it is suspect."""
        if loss is None:
            reason = "every batch since the previous evaluation was skipped"
        elif not math.isfinite(loss):
            reason = f"the training loss is {loss}"
        else:
            reason = self.too_high(loss) or (f"{skipped} of {steps} batches skipped since "
                                             "the previous evaluation"
                                             if 2 * skipped > steps else None)
            if reason is None:
                self.history.append(loss)
        self.streak, self.reason = (self.streak + 1, reason) if reason else (0, None)
        return reason is not None
