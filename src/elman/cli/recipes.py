"""``elman recipes [NAME]``: list the shipped recipes, or print one as YAML."""

import argparse

from .. import recipes


def cmd_recipes(args: argparse.Namespace) -> int:
    if args.name:
        print(recipes.path(args.name).read_text(encoding="utf-8"), end="")
        return 0
    names = recipes.names()
    width = max(map(len, names))
    for name in names:
        print(f"{name:<{width}}  {recipes.summary(name)}")
    print(f"\nelman train --recipe NAME [--data-root DIR] [--FIELD VALUE ...]; files in "
          f"{recipes.folder()}")
    return 0
