"""Tasks: what a training run learns. A task bundles reading its data, building its model, its
loss and its metrics; the trainer and the CLI look tasks up here by name.

A task class takes (train_config, vocab=None, meta=None) (``meta``: the task's own JSON
record from a checkpoint, e.g. its label set) and provides ``vocab``, ``meta()`` (that
record, or None), ``train_batches``,
``valid_batches``, ``describe()``, ``build_model(model_config)``,
``loss(model, x, y, state) -> (loss, state)`` and ``evaluate(model, batches=None,
max_batches=None) -> {"loss", ...}``; every task but lm has ``report(valid) -> str``, its
validation line for ``elman train``. classify and tag also provide
``from_checkpoint(ck, train_config)``, ``predict_text`` and ``gold_and_predicted`` for
``elman predict`` and ``elman eval`` (these take a list of models: one, or an ensemble).
Tasks over real-valued inputs (forecast, music, digits, digit-sequences) have ``vocab = None``
(no vocab.json in their checkpoints); the speech tasks (``tasks.speech``) provide
``transcribe``. The encoder-decoder tasks (``SEQ2SEQ``) provide
``from_checkpoint`` and, for ``elman predict``, ``elman translate`` and ``elman eval``,
``predict_lines`` (sort, reverse, copy, add) or ``translate`` and ``score`` (translate).
Each task is one module and one entry (sort, reverse, copy and add share one class).
"""

from ..errors import bad
from .algorithmic import AlgorithmicTask
from .classify import ClassifyTask
from .digit_sequences import DigitSequencesTask
from .digits import DigitsTask
from .forecast import ForecastTask
from .lm import LanguageModelTask
from .music import MusicTask
from .tag import TagTask
from .translate import TranslateTask

TASKS = {
    "lm": LanguageModelTask,
    "classify": ClassifyTask,
    "tag": TagTask,
    "digits": DigitsTask,
    "digit-sequences": DigitSequencesTask,
    "forecast": ForecastTask,
    "music": MusicTask,
    "sort": AlgorithmicTask,
    "reverse": AlgorithmicTask,
    "copy": AlgorithmicTask,
    "add": AlgorithmicTask,
    "translate": TranslateTask,
}
SEQ2SEQ = ("sort", "reverse", "copy", "add", "translate")   # encoder-decoder tasks


def get_task(name: str):
    """The task class registered under ``name``."""
    if name not in TASKS:
        raise bad("task", f"one of {sorted(TASKS)}", repr(name))
    return TASKS[name]


__all__ = ["SEQ2SEQ", "TASKS", "AlgorithmicTask", "ClassifyTask", "DigitSequencesTask",
           "DigitsTask", "ForecastTask", "LanguageModelTask", "MusicTask", "TagTask",
           "TranslateTask", "get_task"]
