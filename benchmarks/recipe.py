"""What the training benchmarks share: each row trains a shipped recipe (``elman recipes``)
with a fixed seed, the data read from ``--data-root``, and says how the run stopped.

A recipe states its step count. ``--max-minutes`` caps a run's time; a row stopped by that
cap before the recipe's steps is marked ``*``, as it is not the recipe's figure.
"""

import argparse
import time
from pathlib import Path

from elman.recipes import DATA_ROOT
from elman.training import resolve, train

CAPPED = "* stopped by --max-minutes before the recipe's step count: not the recipe's figure"


def add_arguments(p: argparse.ArgumentParser, out: str):
    p.add_argument("--data-root", default=DATA_ROOT, help="the folder of the shared datasets "
                   f"({{data_root}} in the recipes; default: {DATA_ROOT})")
    p.add_argument("--max-minutes", type=float, help="cap each run's training time (default: "
                   "none, the recipe's steps)")
    p.add_argument("--quick", action="store_true", help="small models and a few hundred "
                   "steps: a smoke test")
    p.add_argument("--out", default=out, help="folder of the run folders")


def fit(recipe: str, overrides: dict, args: argparse.Namespace, name: str):
    """Train ``recipe`` with ``overrides`` (seed 0 unless given); (result, config, wall
    minutes, CPU minutes)."""
    values = {"seed": 0, **overrides, "max_minutes": args.max_minutes, "quiet": True,
              "out": str(Path(args.out) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")}
    config = resolve(None, values, recipe=recipe, data_root=args.data_root)
    t0, cpu0 = time.monotonic(), time.process_time()
    result = train(config, log=lambda *a: None)
    return result, config, (time.monotonic() - t0) / 60, (time.process_time() - cpu0) / 60


def steps(result, config) -> str:
    """The step count reached, ``*`` when the time cap stopped it early."""
    capped = result.stopped == "time budget" and result.step < config.train.max_steps
    return f"{result.step:,}" + ("*" if capped else "")
