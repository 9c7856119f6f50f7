"""The argument parser of the ``elman`` command: ``train``, ``summary`` and the commands of
trained runs, whose flags come from the run's task (``elman.cli.run``)."""

import argparse
import re
from dataclasses import fields
from functools import partial

from ..errors import ElmanError, bad
from ..tasks import TASKS, commands_of
from .diagnose import add_diagnose_parser
from .prepare import add_prepare_parser
from .recipes import cmd_recipes
from .run import cmd_run, verb_help
from .serve import add_serve_parser
from .summary import cmd_summary
from .train import cmd_train


class Parser(argparse.ArgumentParser):
    """argparse that raises ElmanError instead of printing usage and exiting, its messages
    turned into the standard ``ARGUMENT: expected ..., got ...``."""

    def error(self, message):
        raise parse_error(message, self.prog)


def parse_error(message: str, prog: str) -> ElmanError:
    """An argparse error message as the standard one-line error."""
    if message.startswith("unrecognized arguments: "):
        return bad("arguments", "options listed by --help",
                   f"unrecognized {message.split(': ', 1)[1]}")
    choice = re.fullmatch(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)",
                          message)
    if choice:
        name, got, options = choice.groups()
        return bad(name.lstrip("-").replace("-", "_").lower(),
                   f"one of {options.replace(chr(39), '')}", got)
    required = re.fullmatch(r"the following arguments are required: ([^,]+).*", message)
    if required:
        name = required.group(1)
        if name.startswith("-"):
            return bad(name.lstrip("-").replace("-", "_"), f"a value ({name} is required)",
                       "none")
        return bad(name, f"a value ({prog} {name})", "none")
    value = re.fullmatch(r"argument (\S+?)(?:/\S+)?: expected (one|at least one) argument",
                         message)
    if value:
        name, how = value.groups()
        what = "a value" if how == "one" else "at least one value"
        return bad(name.lstrip("-").replace("-", "_"), f"{what} after {name}", "none")
    ambiguous = re.fullmatch(r"ambiguous option: (\S+?)(?:=\S*)? could match (.+)", message)
    if ambiguous:
        option, matches = ambiguous.groups()
        return bad("arguments", f"one option, not a prefix of several ({matches})",
                   f"the ambiguous {option}")
    return bad("arguments", f"arguments as {prog} --help lists them", message)


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_settings(p: argparse.ArgumentParser, cls, title: str):
    """One flag per setting of a dataclass of ``opt`` fields; only flags given end up in the
    namespace."""
    from ..options import default_of
    group = p.add_argument_group(title)
    for f in fields(cls):
        if f.name == "quiet":
            group.add_argument("-q", "--quiet", action="store_const", const=True,
                               default=argparse.SUPPRESS, help=f.metadata["help"])
            continue
        group.add_argument(flag_name(f.name), dest=f.name, default=argparse.SUPPRESS,
                           metavar=f.metadata["metavar"] or f.name.split("_")[-1].upper(),
                           help=f"{f.metadata['help']} (default: {default_of(cls, f.name)})")


def train_parser(options=None, task: str | None = None) -> Parser:
    """The parser of ``elman train``: the model and train settings, and those of the task's
    ``options`` when it is known."""
    from ..training.config import ModelConfig, TrainConfig
    p = Parser(prog="elman train", description="train a model (no arguments: the built-in "
               "main job, a character language model of Python's documentation)",
               epilog="each task has settings of its own: elman train --task NAME --help")
    p.add_argument("--recipe", metavar="NAME", help="start from a shipped recipe (elman "
                   "recipes lists them; default without --task or --config: main)")
    p.add_argument("--config", metavar="FILE", help="YAML or TOML file of settings, over the "
                   "recipe's; flags win")
    p.add_argument("--data-root", metavar="DIR", help="the folder that {data_root} stands for "
                   "in recipes and config files (default: $ELMAN_DATA_ROOT, else "
                   "../shared/data)")
    p.add_argument("--resume", metavar="RUN", help="continue the run in folder RUN")
    p.add_argument("--nproc", metavar="N", help="train with N processes on this machine "
                   "(DistributedDataParallel, as torchrun --standalone --nproc-per-node N -m "
                   "elman train ...; batch_size is per process; default: 1)")
    p.add_argument("--task", default=argparse.SUPPRESS, metavar="NAME", help="what to learn: "
                   f"{', '.join(TASKS)} (default: lm)")
    add_settings(p, ModelConfig, f"model ({ModelConfig.__doc__.strip().rstrip('.')})")
    add_settings(p, TrainConfig, f"train ({TrainConfig.__doc__.strip().rstrip('.')})")
    if options is not None:
        add_settings(p, options, f"task {task} ({options.__doc__.strip().rstrip('.')})")
    return p


def verbs() -> list[str]:
    """The commands of trained runs, in the order the registry first names them."""
    return list(dict.fromkeys(v for name in TASKS for v in commands_of(name)))


def dispatch(argv: list[str]):
    """The function that runs ``argv`` and its argument: train and the commands of runs
    parse their own flags (they depend on the task), the rest parse here."""
    if argv and argv[0] == "train":
        return cmd_train, argv[1:]
    if argv and argv[0] in verbs():
        run = argv[1] if len(argv) > 1 else None
        return partial(cmd_run, verb=argv[0], parser_class=Parser), (run, argv[2:])
    args = build_parser().parse_args(argv)
    if not getattr(args, "func", None):
        commands = ["train", *verbs(), "serve", "recipes", "summary", "diagnose", "prepare"]
        raise bad("command", f"one of {', '.join(commands)} (see elman --help)", "none")
    return args.func, args


def build_parser() -> Parser:
    parser = Parser(prog="elman", description="Textbook recurrent neural networks: train a "
                    "model, then evaluate it, predict, generate and more with the commands its "
                    "task offers.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.add_parser("train", help="train a model (no arguments: the built-in main job; "
                   "elman train --help)", add_help=False)
    for verb in verbs():
        sub.add_parser(verb, help=verb_help(verb), add_help=False)

    add_serve_parser(sub)

    p = sub.add_parser("recipes", help="the shipped recipes, or one recipe's file")
    p.add_argument("name", metavar="NAME", nargs="?", help="print this recipe's YAML (to copy "
                   "and edit: elman recipes NAME > my.yaml; elman train --config my.yaml)")
    p.set_defaults(func=cmd_recipes)

    p = sub.add_parser("summary", help="layer shapes and parameter counts")
    p.add_argument("run", metavar="RUN", nargs="?", help="a run folder (or give the sizes)")
    p.add_argument("--input-size", default=None, help="I, features per step")
    p.add_argument("--hidden-sizes", default=None, help="layer widths: 5 or 4,10,20")
    p.add_argument("--output-size", default=None, help="K, outputs per step")
    p.add_argument("--cell", default="elman", help="elman, lstm or gru (default: elman)")
    p.add_argument("--batch-size", default="1", help="B (default: 1)")
    p.add_argument("--seq-len", default="1", help="T (default: 1)")
    p.add_argument("--bidirectional", action="store_true", help="add reverse directions")
    p.set_defaults(func=cmd_summary)
    add_diagnose_parser(sub)
    add_prepare_parser(sub)
    return parser
