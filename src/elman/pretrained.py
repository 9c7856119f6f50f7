"""``elman.load``: a trained model and its task from a folder, ready for ``predict``.

    >>> m = elman.load("runs/NAME")        # a run folder (its best/) or a checkpoint folder
    >>> m.predict(["this is a lovely film"])
    [{"label": "1", "probabilities": {"0": 0.12, "1": 0.88}}]

The folder is a checkpoint (``elman.io.checkpoint``; its files and their format version are
documented in docs/format.md): config.json names the task, the architecture and its
arguments, model.safetensors holds the weights, vocab.json and task.json what the task needs
to read inputs and write answers. Nothing is read but JSON and safetensors, so loading runs no
code from the folder. A folder of a format this elman does not read (newer or older) is
refused with a ``checkpoint: expected ..., got ...`` error that says which elman wrote it.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ElmanError, bad

if TYPE_CHECKING:
    from torch import nn

    from .tasks.base import Run, Task


@dataclass
class Pretrained:
    """A trained model and its task, restored from a folder without reading any data.

    ``predict(inputs, **params)`` answers a list of inputs with a list of JSON-ready values,
    one per input, as ``elman serve`` does; what an input and an answer are depends on the task
    (``Task.predict`` of each task: a prompt for lm, a text for classify, a list of words for
    tag, a wave or WAV path for digits, a history of numbers for forecast, ...)."""

    run: "Run"
    task: "Task"

    @property
    def model(self) -> "nn.Module":
        """The network (in eval mode when ``predict`` runs it)."""
        return self.run.model

    @property
    def config(self) -> Any:
        """The run's resolved config (``elman.training.config.RunConfig``)."""
        return self.run.config

    @property
    def path(self) -> Path:
        """The checkpoint folder the model came from."""
        return self.run.checkpoint

    def predict(self, inputs: list, **params) -> list:
        """One JSON-ready answer per input (``params``: the task's settings, e.g. ``k`` of
        lm, ``beam`` of sort and translate)."""
        if not isinstance(inputs, (list, tuple)):
            raise bad("inputs", "a list of inputs (one answer each)", type(inputs).__name__)
        return self.task.predict([self.model], list(inputs), **params)


def load_run(path) -> tuple["Run", "Task"]:
    """(Run, its Task restored from the checkpoint) of a run or checkpoint folder."""
    from .io import checkpoint
    from .tasks import get_task
    from .tasks.base import Run
    from .training.config import from_saved
    ck = checkpoint.load(path)
    config = from_saved(ck.config, ck.path / checkpoint.CONFIG)
    cls = get_task(config.task)
    if ck.meta is None and cls.needs_meta(config.options):   # the task keeps a task.json
        raise bad("checkpoint", f"a file {checkpoint.META} in {str(ck.path)!r} (what the "
                  f"{config.task} task keeps beside the model)", "no such file")
    try:
        task = cls(config.options, vocab=ck.vocab, meta=ck.meta)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        if isinstance(e, ElmanError):
            raise
        raise bad("checkpoint", f"a {checkpoint.META} readable by the {config.task} task "
                  f"at {str(ck.path)!r}", f"{type(e).__name__}: {e}") from None
    return Run(Path(path), ck.path, config, ck.model, lambda other: load_run(other)[0]), task


def load(path) -> Pretrained:
    """The model of a run folder (its best/) or a checkpoint folder, with its task."""
    return Pretrained(*load_run(path))
