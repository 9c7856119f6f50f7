"""Tasks: what a training run learns. Each task is one module with one class implementing
``elman.tasks.base.Task`` (its options, data, model, loss, metrics and commands) and one line
below: its name, where its class is, and the commands it offers (so that ``elman --help``
can list them without importing any task). A task module is imported on first use.
"""

import importlib

from ..errors import bad

# name: ("module:Class", "the commands it offers")
TASKS = {
    "lm": ("lm:LanguageModelTask", "eval generate next export"),
    "classify": ("classify:ClassifyTask", "eval predict export"),
    "tag": ("tag:TagTask", "eval predict export"),
    "digits": ("digits:DigitsTask", "eval transcribe export"),
    "digit-sequences": ("digit_sequences:DigitSequencesTask", "eval transcribe export"),
    "forecast": ("forecast:ForecastTask", "eval forecast export"),
    "music": ("music:MusicTask", "eval generate export"),
    "sort": ("algorithmic:SortTask", "eval predict export"),
    "reverse": ("algorithmic:ReverseTask", "eval predict export"),
    "copy": ("algorithmic:CopyTask", "eval predict export"),
    "add": ("algorithmic:AddTask", "eval predict export"),
    "translate": ("translate:TranslateTask", "eval translate export"),
    "frames": ("frames:FramesTask", "eval predict export"),
    "reply": ("reply:ReplyTask", "eval reply export"),
    "caption": ("caption:CaptionTask", "eval caption export"),
    "adding": ("memory:AddingTask", "eval predict export"),
    "copy-memory": ("memory:CopyMemoryTask", "eval predict export"),
    "parity": ("memory:ParityTask", "eval predict export"),
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
