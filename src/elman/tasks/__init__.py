"""Tasks: what a training run learns. Each task is one module with one class implementing
``elman.tasks.base.Task`` (its options, data, model, loss, metrics and commands) and one line
below: its name, where its class is, and the commands it offers (so that ``elman --help``
can list them without importing any task). A task module is imported on first use.
"""

import importlib

from ..errors import bad

# name: ("module:Class", "the commands it offers")
TASKS = {
    "lm": ("lm:LanguageModelTask", "eval generate next"),
    "classify": ("classify:ClassifyTask", "eval predict"),
    "tag": ("tag:TagTask", "eval predict"),
    "digits": ("digits:DigitsTask", "eval transcribe"),
    "digit-sequences": ("digit_sequences:DigitSequencesTask", "eval transcribe"),
    "forecast": ("forecast:ForecastTask", "eval forecast"),
    "music": ("music:MusicTask", "eval generate"),
    "sort": ("algorithmic:SortTask", "eval predict"),
    "reverse": ("algorithmic:ReverseTask", "eval predict"),
    "copy": ("algorithmic:CopyTask", "eval predict"),
    "add": ("algorithmic:AddTask", "eval predict"),
    "translate": ("translate:TranslateTask", "eval translate"),
}


def get_task(name: str):
    """The task class registered under ``name`` (its module imported now)."""
    if name not in TASKS:
        raise bad("task", f"one of {sorted(TASKS)}", repr(name))
    module, cls = TASKS[name][0].split(":")
    try:
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    except ModuleNotFoundError as e:
        from ..extras import missing_extra
        error = missing_extra(e)
        if error is None:
            raise
        raise error from None


def options_class(name: str) -> type:
    """The Options dataclass of the task ``name``."""
    return get_task(name).Options


def commands_of(name: str) -> tuple[str, ...]:
    """The commands the task ``name`` offers, as the registry lists them."""
    return tuple(TASKS[name][1].split())


__all__ = ["TASKS", "commands_of", "get_task", "options_class"]
