"""Commands for the labelling tasks (classify, tag): predict and eval, by one run's model or by
an ensemble of runs (``--ensemble``: the label of highest mean probability)."""

from ..errors import bad
from .common import confusion_path, load_run, report_confusion, read_input, write_output

LABELLING = ("classify", "tag")
# settings that change how a text reads as inputs: an ensemble's runs must agree on them
READING = ("lowercase", "vectors", "tag_field")


def labelling_task(ck, train_cfg, command: str):
    """The classify or tag task of a checkpoint."""
    from ..tasks import get_task
    task = ck.config.get("task", "lm")
    if task not in LABELLING or not ck.meta:
        raise bad("run", f"a classify or tag run for elman {command}", f"a {task} run")
    return get_task(task).from_checkpoint(ck, train_cfg)


def reading(ck, train_cfg) -> tuple:
    """What decides how a run reads a text: its task, labels, vocabulary and READING
    settings."""
    vocab = ck.vocab.to_dict() if ck.vocab is not None else None
    return (ck.config.get("task"), ck.meta, vocab, *(getattr(train_cfg, k) for k in READING))


def members(ck, train_cfg, runs: list[str] | None) -> list:
    """The models that vote: the run's, then those of ``runs``, which must read texts as the
    first does."""
    models = [ck.model]
    for run in runs or []:
        other, cfg = load_run(run)
        if reading(other, cfg) != reading(ck, train_cfg):
            raise bad("ensemble", "runs with the first run's task, labels, vocabulary and "
                      f"{', '.join(READING)}", f"{run!r}, which differs")
        models.append(other.model)
    return models


def predict_labels(ck, train_cfg, args) -> int:
    """classify: a TSV of each text and its label; tag: the CoNLL-U file with its tags filled."""
    task = labelling_task(ck, train_cfg, "predict")
    if args.input is None:
        raise bad("input", "--input FILE (or - for stdin) for a classify or tag run", "none")
    models = members(ck, train_cfg, args.ensemble)
    text, name = read_input(args.input)
    write_output(task.predict_text(models, text, name), args.output)  # all before any write
    return 0


def eval_labels(ck, train_cfg, args) -> int:
    task = labelling_task(ck, train_cfg, "eval")
    models = members(ck, train_cfg, args.ensemble)
    path = args.data or train_cfg.valid
    if path is None:
        raise bad("data", "a file (--data FILE): the run had no validation file", "none")
    text, name = read_input(path, "data")
    gold, found = task.gold_and_predicted(models, text, name)
    report_confusion(gold, found, task.labels, "labels", confusion_path(args, ck), name)
    return 0
