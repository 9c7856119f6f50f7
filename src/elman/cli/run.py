"""The commands of trained runs (eval, predict, generate, translate, ...): load the run, find
its task's command of that name, parse the command's own flags and run it."""

from pathlib import Path

from ..errors import bad
from ..pretrained import load_run
from ..tasks import TASKS, commands_of


def task_name(path, config_file=None) -> str:
    """The task of a run or checkpoint folder, read from its config.json alone (or from
    ``config_file``)."""
    from ..io import checkpoint
    from ..training.config import DEFAULT_TASK, task_of
    config = checkpoint.read_object(Path(config_file) if config_file else
                                    checkpoint.find(path) / checkpoint.CONFIG)
    name = task_of(config) or DEFAULT_TASK
    if name not in TASKS:
        raise bad("checkpoint", f"a run of one of the tasks {sorted(TASKS)}",
                  f"{str(Path(path))!r} naming the task {name!r}")
    return name


def verb_help(verb: str) -> str:
    tasks = [name for name in TASKS if verb in commands_of(name)]
    return f"{', '.join(tasks)} runs (elman {verb} RUN --help: the run's own flags)"


def cmd_run(argv: tuple, verb: str, parser_class) -> int:
    """``elman VERB RUN [flags]`` (``argv``: RUN and the flags): the command VERB of the
    run's task."""
    path, rest = argv
    if path is None:
        raise bad("RUN", f"a run folder (elman {verb} RUN)", "none")
    if path in ("-h", "--help"):
        print(f"usage: elman {verb} RUN [flags]\n\n{verb}: a command of {verb_help(verb)}")
        return 0
    name = task_name(path)
    offered = commands_of(name)
    if verb not in offered:
        raise bad("run", f"a run of a task with the {verb} command "
                  f"({', '.join(n for n in TASKS if verb in commands_of(n))})",
                  f"a {name} run (its commands: {', '.join(offered)})")
    run, task = load_run(path)
    command = {c.name: c for c in task.commands}[verb]
    parser = parser_class(prog=f"elman {verb} RUN", description=command.help)
    for f in command.flags:
        f.add_to(parser)
    return getattr(task, command.method)(run, parser.parse_args(rest))
