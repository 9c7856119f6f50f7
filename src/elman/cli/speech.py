"""Commands for the speech tasks (digits, digit-sequences): eval and transcribe."""

from ..errors import bad
from .common import confusion_path, report_confusion, load_run


SPEECH = ("digits", "digit-sequences")


def speech_task(ck, train_cfg, command: str, whole: bool = False):
    """The digits or digit-sequences task of a checkpoint; ``whole``: read its data too."""
    from ..tasks import get_task
    task = ck.config.get("task", "lm")
    if task not in SPEECH or not ck.meta:
        raise bad("run", f"a digits or digit-sequences run for elman {command}", f"a {task} run")
    if whole:
        return get_task(task)(train_cfg, meta=ck.meta)
    return get_task(task).from_checkpoint(ck, train_cfg)


def eval_digits(ck, train_cfg, args) -> int:
    """Accuracy, per-digit scores and the confusion matrix of a digits run."""
    from ..tasks.speech import recordings_of
    folder = args.data or train_cfg.valid
    task = speech_task(ck, train_cfg, "eval", whole=folder is None)
    recordings = recordings_of(folder, task.check) if folder else task.valid
    gold, found = task.gold_and_predicted(ck.model, recordings)
    name = folder or f"the validation split of {train_cfg.data}"
    if not gold:
        raise bad("data", "a folder (--data DIR): the run kept no validation recordings", "none")
    report_confusion(gold, found, task.labels, "recordings", confusion_path(args, ck), name)
    return 0


def eval_digit_sequences(ck, train_cfg, args) -> int:
    """Exact utterances and digit error rate, greedy and with prefix beam search."""
    from ..training.config import parse_positive_int
    beam = parse_positive_int("beam", "8" if args.beam is None else args.beam)
    folder = args.data or train_cfg.valid
    task = speech_task(ck, train_cfg, "eval", whole=folder is None)
    batches = task.folder_batches(folder) if folder else task.valid_batches
    if batches is None:
        raise bad("data", "a folder (--data DIR): the run kept no validation recordings", "none")
    for width in sorted({1, beam}):
        r = task.evaluate(ck.model, batches, beam=width)
        how = "greedy" if width == 1 else f"beam {width}"
        print(f"{how:<8} sequence accuracy: {r['accuracy']:.4f}  digit error rate: "
              f"{r['digit_error_rate']:.4f}  ({r['tokens']:,} utterances)")
    print(f"loss: {r['loss']:.4f} nats per digit")
    return 0


def cmd_transcribe(args) -> int:
    from ..training.config import parse_positive_int
    beam = parse_positive_int("beam", args.beam)
    ck, train_cfg = load_run(args.run)
    task = speech_task(ck, train_cfg, "transcribe")
    print(task.transcribe(ck.model, args.file, beam))
    return 0
