"""Training: run configuration in sections (``config``, no torch), the loop (``trainer``) and
its metrics. The names below are imported on first use, so reading a config stays light."""

_NAMES = {"ModelConfig": "config", "RunConfig": "config", "TrainConfig": "config",
          "resolve": "config", "RunResult": "trainer", "Trainer": "trainer", "train": "trainer"}
__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
