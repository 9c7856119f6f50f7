"""Recipes: the config files behind every figure of ``docs/benchmarks.md``, shipped with
the package so that the README, the docs and ``benchmarks/*.py`` read the same settings.

A recipe is an ordinary sectioned YAML config (``model``, ``train``, ``task``) whose first
comment lines say what it trains and what it measured; ``elman train --recipe NAME`` is
``elman train --config`` with its path, and ``elman recipes`` lists them. Paths to the shared
datasets are written ``{data_root}/...``: every config file may use that placeholder, which
``--data-root DIR`` fills (default: ``$ELMAN_DATA_ROOT``, else ``../shared/data``).

A recipe states its step count (``max_steps``); only ``main``, the built-in main job, has a
time budget.
"""

import os
from importlib import resources
from pathlib import Path

from ..errors import bad

MAIN = "main"
DATA_ROOT = "../shared/data"
PLACEHOLDER = "{data_root}"


def folder() -> Path:
    return Path(str(resources.files(__name__)))


def names() -> list[str]:
    """The recipes shipped, ``main`` first, the rest by name."""
    found = sorted(p.stem for p in folder().glob("*.yaml"))
    return sorted(found, key=lambda n: n != MAIN)


def path(name: str) -> Path:
    """The file of recipe ``name``."""
    if name not in names():
        raise bad("recipe", f"one of {', '.join(names())} (see elman recipes)", repr(name))
    return folder() / f"{name}.yaml"


def summary(name: str) -> str:
    """The recipe's first comment line: what it trains and what it measured."""
    for line in path(name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def data_root(given: str | None = None) -> str:
    """The folder that ``{data_root}`` stands for: ``given``, ``$ELMAN_DATA_ROOT`` or
    ``../shared/data``."""
    return given or os.environ.get("ELMAN_DATA_ROOT") or DATA_ROOT


def fill(value, root: str):
    """``value`` (a config mapping, list or scalar) with ``{data_root}`` replaced by
    ``root`` in every string."""
    if isinstance(value, dict):
        return {k: fill(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, root) for v in value]
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, root.rstrip("/"))
    return value
