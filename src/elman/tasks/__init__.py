"""Tasks: what a training run learns. A task bundles reading its data, building its model, its
loss and its metrics; the trainer and the CLI look tasks up here by name.

A task class takes (train_config, vocab=None) and provides ``vocab``, ``train_batches``,
``valid_batches``, ``describe()``, ``build_model(model_config)``,
``loss(model, x, y, state) -> (loss, state)`` and ``evaluate(model, batches=None,
max_batches=None) -> {"loss", ...}``. Later tasks (classify, tag, translate, forecast) are one
module and one entry each.
"""

from ..errors import bad
from .lm import LanguageModelTask

TASKS = {
    "lm": LanguageModelTask,
}


def get_task(name: str):
    """The task class registered under ``name``."""
    if name not in TASKS:
        raise bad("task", f"one of {sorted(TASKS)}", repr(name))
    return TASKS[name]


__all__ = ["TASKS", "LanguageModelTask", "get_task"]
