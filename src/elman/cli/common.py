"""What the commands share: loading a run, reading input from a file or stdin, writing output
to stdout or atomically to a file, the confusion-matrix path and streaming text."""

import sys

from ..errors import bad


def load_run(run):
    """(checkpoint, its TrainConfig) of a run."""
    from ..training import checkpoint, config
    ck = checkpoint.load(run)
    _, train_cfg = config.from_dict({"model": ck.config.get("model", {}),
                                     "train": ck.config.get("train", {})})
    return ck, train_cfg


def read_input(path: str, argument: str = "input") -> tuple[str, str]:
    """(text, name) of a UTF-8 file, or of stdin for "-"."""
    from ..data.text import read_text
    if path != "-":
        return read_text(path, argument), path
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as e:
        raise bad(argument, "UTF-8 text on stdin", f"byte 0x{raw[e.start]:02x} at offset "
                  f"{e.start} that is not UTF-8") from None
    if not text.strip():
        raise bad(argument, "some text on stdin", "nothing")
    return text, "<stdin>"


def input_lines(args) -> tuple[list[str], str]:
    """(non-blank lines, name) of the positional text or of --input."""
    if (args.text is None) == (args.input is None):
        raise bad("input", "either a text argument or --input FILE", "both" if args.text
                  is not None else "neither")
    if args.text is not None:
        return [args.text], "<text>"
    text, name = read_input(args.input)
    return [line for line in text.splitlines() if line.strip()], name


def write_output(out: str, path: str | None):
    from ..training.atomic import write_text
    if path:
        write_text(path, out)
    else:
        sys.stdout.write(out)


def confusion_path(args, ck):
    """--plot, or confusion.png in the run folder."""
    from pathlib import Path
    run = Path(args.run)
    return Path(args.plot) if args.plot else \
        (run if (run / "best").is_dir() or (run / "checkpoint").is_dir() else ck.path.parent) \
        / "confusion.png"


def stream(chars):
    """Print characters as they come, flushing each, then a newline."""
    for ch in chars:
        sys.stdout.write(ch)
        sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()


def report_confusion(gold: list[str], found: list[str], labels: list[str], unit: str, plot,
                     name: str):
    """Print accuracy and per-class precision, recall and F1; write the confusion matrix PNG."""
    from ..training import scores
    counts = scores.confusion(gold, found, labels)
    print(f"accuracy: {scores.accuracy(counts):.4f} ({len(gold):,} {unit})")
    print(scores.table(scores.per_class(counts, labels)))
    scores.plot_confusion(counts, labels, plot, title=name)
    print(f"confusion matrix: {plot}")
