"""The names an ``Api`` row's call may use: elman's public pieces, torch, NumPy, and the
fixture runs (``run``, ``model``, ``task``) and fresh tasks (``fresh``) to call."""

from functools import cache

from .runner import RUNS


def names() -> dict:
    import numpy as np
    import torch

    import elman
    from elman import runtime
    from elman.cli import load_run
    from elman.data.vocab import Vocab
    from elman.io import checkpoint
    from elman.models import (
        Captioner,
        EncoderDecoder,
        LanguageModel,
        ManyToMany,
        ManyToOne,
        OneToMany,
        Tagger,
        build,
    )
    from elman.options import make
    from elman.tasks import get_task, options_class

    @cache
    def run(name: str):
        """(Run, Task) of the fixture run ``name``."""
        return load_run(f"{RUNS}/{name}")

    def fresh(name: str, **options):
        """A fresh task (as training starts it) with ``options``."""
        return get_task(name)(make(options_class(name), options))

    return {"elman": elman, "torch": torch, "np": np, "RNN": elman.RNN, "Vocab": Vocab,
            "LanguageModel": LanguageModel, "ManyToOne": ManyToOne, "ManyToMany": ManyToMany,
            "EncoderDecoder": EncoderDecoder, "OneToMany": OneToMany, "Tagger": Tagger,
            "Captioner": Captioner,
            "build": build, "checkpoint": checkpoint, "runtime": runtime,
            "run": run, "model": lambda name: run(name)[0].model,
            "task": lambda name: run(name)[1], "fresh": fresh}
