"""Commands for the labelling tasks (classify, tag): predict and eval."""

from ..errors import bad
from .common import confusion_path, report_confusion, read_input, write_output


def labelling_task(ck, train_cfg, command: str):
    """The classify or tag task of a checkpoint."""
    from ..tasks import get_task
    task = ck.config.get("task", "lm")
    if task not in ("classify", "tag") or not ck.meta:
        raise bad("run", f"a classify or tag run for elman {command}", f"a {task} run")
    return get_task(task).from_checkpoint(ck, train_cfg)


def predict_labels(ck, train_cfg, args) -> int:
    """classify: a TSV of each text and its label; tag: the CoNLL-U file with its tags filled."""
    task = labelling_task(ck, train_cfg, "predict")
    if args.input is None:
        raise bad("input", "--input FILE (or - for stdin) for a classify or tag run", "none")
    text, name = read_input(args.input)
    write_output(task.predict_text(ck.model, text, name), args.output)  # all before any write
    return 0


def eval_labels(ck, train_cfg, args) -> int:
    task = labelling_task(ck, train_cfg, "eval")
    path = args.data or train_cfg.valid
    if path is None:
        raise bad("data", "a file (--data FILE): the run had no validation file", "none")
    text, name = read_input(path, "data")
    gold, found = task.gold_and_predicted(ck.model, text, name)
    report_confusion(gold, found, task.labels, "labels", confusion_path(args, ck), name)
    return 0
