"""``elman train``: train a model of any task, then print how it went.

The flags are read twice: first for --task, --config and --resume, which decide the task,
then with the settings of that task's ``Options`` added."""

import sys
from pathlib import Path


def chosen_task(argv: list[str]) -> tuple[str | None, bool]:
    """(the task named by --task, a --config file or the resumed run; whether it was named
    at all)."""
    from ..training.config import load_file, task_of
    from .parser import Parser
    from .run import task_name
    pre = Parser(add_help=False)
    for name in ("--task", "--config", "--resume"):
        pre.add_argument(name)
    known, _ = pre.parse_known_args(argv)
    if known.task:
        return known.task, True
    if known.config and task_of(load_file(known.config)):
        return task_of(load_file(known.config)), True
    if known.resume:
        return task_name(Path(known.resume) / "checkpoint"), True
    return None, False


def cmd_train(argv: list[str]) -> int:
    from ..tasks import TASKS, options_class
    from ..training.config import DEFAULT_TASK, load_file, resolve
    from .parser import train_parser
    name, named = chosen_task(argv)
    asking = any(a in ("-h", "--help") for a in argv)
    name = name or DEFAULT_TASK
    options = options_class(name) if name in TASKS and (named or not asking) else None
    parsed = train_parser(options, name).parse_args(argv)
    values = {k: v for k, v in vars(parsed).items() if k not in ("config", "resume")}
    from ..training.trainer import resume_config, train
    if parsed.resume:
        if parsed.config:
            values = {**load_file(parsed.config), **values}
        config = resume_config(parsed.resume, values)
    else:
        config = resolve(parsed.config, values)
    result = train(config, resume=parsed.resume)
    print(f"stopped: {result.stopped} at step {result.step:,} after "
          f"{result.elapsed / 60:.1f} min, {result.tokens_per_s:,.0f} tokens/s")
    for text in result.task.epilogue(result.model, config):
        sys.stdout.write(text)
        sys.stdout.flush()
    if result.valid:
        print(f"{result.task.report(result.valid)}, best step {result.best_step:,}")
    print(f"run folder: {result.run}")
    return 0
