"""``elman train``: train a model of any task, then print how it went.

The flags are read twice: first for --task, --recipe, --config and --resume, which decide the
task, then with the settings of that task's ``Options`` added. Without --task, --recipe,
--config or --resume the run starts from the recipe ``main``, the built-in main job.
``--nproc N`` (N > 1) checks the settings (and the device: ``launch.rank_device``), then
starts N processes that train together (``elman.training.launch``); under torchrun only the
first process (rank 0) prints, an error the processes met together included."""

import sys
import warnings

from ..errors import ElmanError, bad
from ..training import stop
from ..training.guard import Diverged


def chosen_task(argv: list[str]) -> tuple[str | None, bool]:
    """(the task named by --task, a --config file, a --recipe or the resumed run; whether it
    was named at all)."""
    from .. import recipes
    from ..training.config import load_file, resume_file, task_of
    from .parser import Parser
    from .run import task_name
    pre = Parser(add_help=False)
    for name in ("--task", "--config", "--recipe", "--resume"):
        pre.add_argument(name)
    known, _ = pre.parse_known_args(argv)
    files = [f for f in (known.recipe and recipes.path(known.recipe), known.config) if f]
    named = [name for name in map(task_of, map(load_file, files)) if name]
    if known.task or named:
        return known.task or named[-1], True
    if known.resume:
        return task_name(known.resume, resume_file(known.resume)), True
    return None, False


def nproc_of(argv: list[str]) -> tuple[int | None, list[str]]:
    """(--nproc N, the other arguments)."""
    from ..training.launch import parse_nproc
    nproc, rest, args = None, [], iter(argv)
    for a in args:
        if a == "--nproc" or a.startswith("--nproc="):
            value = a.partition("=")[2] if "=" in a else next(args, None)
            if value is None:
                raise bad("nproc", "a value after --nproc", "none")
            nproc = parse_nproc(value)
        else:
            rest.append(a)
    return nproc, rest


def cmd_train(argv: list[str]) -> int:
    """Train, noting SIGINT and SIGTERM for the trainer's safe points (``elman.training.stop``)
    and keeping library warnings (torch's, numpy's) off the terminal; with --nproc N > 1,
    launch N processes that do."""
    nproc, argv = nproc_of(argv)
    with stop.deferring(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if nproc is not None and nproc > 1 and not any(a in ("-h", "--help") for a in argv):
            config, _ = run_config(argv)           # its errors once, before the processes
            check_devices(config.train.device, nproc)
            from ..training.launch import launch
            return launch(nproc, argv)
        try:
            code = train_command(argv)
            stop.check(lambda: "after the run; checkpoint/ and best/ are complete")
        except (stop.Interrupted, ElmanError) as e:
            code = quiet_exit(e)
            if code is None:
                raise
        return code


def quiet_exit(e: BaseException) -> int | None:
    """The exit code of a process past the first (rank > 0) for a stop that every process
    of the run made together, which the first reports; else None (this process reports)."""
    from ..training.launch import env_rank
    if env_rank() == 0:
        return None
    from ..training.distributed import Agreed
    from . import EXIT_DIVERGED, EXIT_ERROR
    if isinstance(e, Diverged):
        return EXIT_DIVERGED
    if isinstance(e, Agreed):
        return EXIT_ERROR
    return e.exit_code if isinstance(e, stop.Interrupted) else None


def check_devices(device: str, nproc: int):
    """Refuse, before starting ``nproc`` processes, a device that one of them could not
    train on."""
    import torch

    from ..training.launch import rank_device
    from ..training.trainer import check_device
    gpus = torch.cuda.device_count()
    for rank in range(nproc):
        check_device(rank_device(device, rank, nproc, gpus))


def run_config(argv: list[str]):
    """The run's config and the run folder to resume (or None) from the arguments."""
    from ..recipes import MAIN
    from ..tasks import TASKS, options_class
    from ..training.config import DEFAULT_TASK, load_file, resolve
    from .parser import train_parser
    name, named = chosen_task(argv)
    asking = any(a in ("-h", "--help") for a in argv)
    name = name or DEFAULT_TASK
    options = options_class(name) if name in TASKS and (named or not asking) else None
    parsed = train_parser(options, name).parse_args(argv)
    values = {k: v for k, v in vars(parsed).items()
              if k not in ("config", "resume", "recipe", "data_root", "nproc")}
    from ..training.trainer import resume_config
    if parsed.resume:
        if parsed.recipe:
            raise bad("recipe", "none when resuming (--resume keeps the run's settings)",
                      repr(parsed.recipe))
        if parsed.config:
            values = {**load_file(parsed.config, parsed.data_root), **values}
        config = resume_config(parsed.resume, values)
    else:
        recipe = parsed.recipe or (None if named or parsed.config else MAIN)
        config = resolve(parsed.config, values, recipe=recipe, data_root=parsed.data_root)
    return config, parsed.resume


def train_command(argv: list[str]) -> int:
    config, resume = run_config(argv)
    from ..training.launch import env_rank
    from ..training.trainer import train
    result = train(config, resume=resume)
    if env_rank() > 0:                   # a distributed run: the first process reports
        return 0
    print(f"stopped: {result.stopped} at step {result.step:,} after "
          f"{result.elapsed / 60:.1f} min, {result.tokens_per_s:,.0f} tokens/s")
    for text in result.task.epilogue(result.model, config):
        sys.stdout.write(text)
        sys.stdout.flush()
    if result.valid:
        print(f"{result.task.report(result.valid)}, best step {result.best_step:,}")
    print(f"run folder: {result.run}")
    if result.stopped == "time budget" and result.step < config.train.max_steps:
        print(f"the {config.train.max_minutes:g}-minute budget (max_minutes) stopped the run at "
              f"step {result.step:,}, before its max_steps {config.train.max_steps:,}")
    return 0
