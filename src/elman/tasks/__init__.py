"""Tasks: what a training run learns. A task bundles reading its data, building its model, its
loss and its metrics; the trainer and the CLI look tasks up here by name.

A task class takes (train_config, vocab=None, meta=None) (``meta``: the task's own JSON
record from a checkpoint, e.g. its label set) and provides ``vocab``, ``meta()`` (that
record, or None), ``train_batches``,
``valid_batches``, ``describe()``, ``build_model(model_config)``,
``loss(model, x, y, state) -> (loss, state)`` and ``evaluate(model, batches=None,
max_batches=None) -> {"loss", ...}``. classify and tag also provide
``from_checkpoint(ck, train_config)``, ``predict_text`` and ``gold_and_predicted`` for
``elman predict`` and ``elman eval``. Tasks over real-valued inputs (forecast, music, digits,
digit-sequences) have ``vocab = None`` (no vocab.json in their checkpoints); forecast and
music add a ``report(valid) -> str`` line for ``elman train``, the speech tasks
(``tasks.speech``) ``transcribe``. Each task is one module and one entry.
"""

from ..errors import bad
from .classify import ClassifyTask
from .digit_sequences import DigitSequencesTask
from .digits import DigitsTask
from .forecast import ForecastTask
from .lm import LanguageModelTask
from .music import MusicTask
from .tag import TagTask

TASKS = {
    "lm": LanguageModelTask,
    "classify": ClassifyTask,
    "tag": TagTask,
    "digits": DigitsTask,
    "digit-sequences": DigitSequencesTask,
    "forecast": ForecastTask,
    "music": MusicTask,
}


def get_task(name: str):
    """The task class registered under ``name``."""
    if name not in TASKS:
        raise bad("task", f"one of {sorted(TASKS)}", repr(name))
    return TASKS[name]


__all__ = ["TASKS", "ClassifyTask", "DigitSequencesTask", "DigitsTask", "ForecastTask",
           "LanguageModelTask", "MusicTask", "TagTask", "get_task"]
