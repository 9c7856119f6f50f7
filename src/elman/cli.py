"""The ``elman`` command: parse, call the library, print.

    elman train [--data FILE] [--config FILE.yaml|.toml] [--FIELD VALUE ...] [--resume RUN]
    elman eval RUN [--data FILE] [--plot FILE.png]
    elman predict RUN --input FILE|- [--output FILE]
    elman predict RUN "5 3 9 1" [--beam K]          (sort, reverse, copy, add)
    elman translate RUN "I am cold." [--beam K] [--attention-plot FILE.png]
    elman next RUN "Hey, I will be late to the" [-k 5]
    elman generate RUN [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed S]
    elman generate MUSIC_RUN --out song.mid [--length N] [--temperature T] [--tempo BPM] [--seed S]
    elman forecast RUN --steps N [--origin valid|end] [--plot FILE.png]
    elman summary (RUN | --input-size I --hidden-sizes H[,H...] [--output-size K] ...)
    elman transcribe RUN file.wav [--beam N]

``elman train`` with no arguments is the main job: a character language model of Python's
built-in documentation, trained for about four minutes, then a sample and the validation bits
per character. Every error is one line ``elman: error: ...`` on stderr and exit code 2;
Ctrl-C exits with 130 and leaves the last complete checkpoint.
"""

import argparse
import os
import sys
from dataclasses import fields

from .errors import ElmanError, bad

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130


class Parser(argparse.ArgumentParser):
    """argparse that raises ElmanError instead of printing usage and exiting."""

    def error(self, message):
        if message.startswith("unrecognized arguments: "):
            raise bad("arguments", "options listed by --help",
                      f"unrecognized {message.split(': ', 1)[1]}")
        raise ElmanError(f"{self.prog.split(' ', 1)[-1]}: {message}")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_flags(p: argparse.ArgumentParser):
    """One flag per ModelConfig / TrainConfig field; only flags given end up in the namespace."""
    from .training.config import ModelConfig, TrainConfig, default_of
    for cls in (ModelConfig, TrainConfig):
        group = p.add_argument_group(f"{cls.__name__} ({cls.__doc__.strip().rstrip('.')})")
        for f in fields(cls):
            if f.name == "quiet":
                group.add_argument("-q", "--quiet", action="store_const", const=True,
                                   default=argparse.SUPPRESS, help=f.metadata["help"])
                continue
            shown = default_of(cls, f.name)
            group.add_argument(_flag(f.name), dest=f.name, default=argparse.SUPPRESS,
                               metavar=f.metadata["metavar"] or f.name.split("_")[-1].upper(),
                               help=f"{f.metadata['help']} (default: {shown})")


def add_beam_flags(p: argparse.ArgumentParser):
    p.add_argument("--beam", default="1", help="encoder-decoder tasks: beam width (default: 1, "
                   "greedy)")
    p.add_argument("--length-penalty", default="1.0", help="beam: rank outputs by log-prob / "
                   "length**this (0: total log-prob; default: 1, the mean per token)")


def beam_flags(args) -> tuple[int, float]:
    from .training.config import parse_nonneg, parse_positive_int
    return (parse_positive_int("beam", "1" if args.beam is None else args.beam),
            parse_nonneg("length_penalty", args.length_penalty))


def build_parser() -> Parser:
    parser = Parser(prog="elman", description="Textbook recurrent neural networks: train a "
                    "character language model, evaluate it, generate text, summarize shapes.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("train", help="train a model (no arguments: the built-in main job)")
    p.add_argument("--config", metavar="FILE", help="YAML or TOML file of settings; flags win")
    p.add_argument("--resume", metavar="RUN", help="continue the run in folder RUN")
    add_config_flags(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="lm: loss, bits per token and perplexity; classify, tag, "
                       "digits: accuracy, per-class scores and a confusion matrix; "
                       "digit-sequences: sequence accuracy and digit error rate; forecast: RMSE "
                       "and MAE beside persistence and ARIMA; music: NLL per step, frame "
                       "accuracy; sort, reverse, copy, add: exact match and token accuracy; "
                       "translate: BLEU and chrF")
    p.add_argument("run", metavar="RUN", help="run folder (its best model) or checkpoint folder")
    p.add_argument("--data", metavar="FILE", help="UTF-8 text, TSV/CSV, CoNLL-U, sentence pairs, "
                   "music JSON or a folder of WAVs (default: the run's validation data; "
                   "forecast: the series to split and score instead of the run's)")
    p.add_argument("--plot", metavar="FILE", default=None, help="classify, tag, digits: "
                   "confusion-matrix PNG (default: confusion.png in the run folder)")
    p.add_argument("--batch-size", default="32", help="parallel streams (default: 32)")
    p.add_argument("--seq-len", default="100", help="steps per window (default: 100)")
    p.add_argument("--beam", default=None, help="beam width: digit-sequences: prefix beam, 1 "
                   "for greedy decoding only (default: 8); sort, reverse, copy, add, translate "
                   "(default: 1, greedy)")
    p.add_argument("--length-penalty", default="1.0", help="sort, reverse, copy, add, "
                   "translate: beam outputs ranked by log-prob / length**this (default: 1)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("predict", help="classify: label each text (TSV out); tag: fill the tag "
                       "column of a CoNLL-U file; sort, reverse, copy, add: the model's answer "
                       "to each input")
    p.add_argument("run", metavar="RUN", help="run folder (its best model) or checkpoint folder")
    p.add_argument("text", nargs="?", help="sort, reverse, copy, add: one input, e.g. "
                   "\"5 3 9 1\" or \"12 + 345\" (or give --input)")
    p.add_argument("--input", metavar="FILE", help="UTF-8 file, or - for stdin (sort, ...: one "
                   "input per line)")
    p.add_argument("--output", metavar="FILE", help="write here (atomically) instead of stdout")
    add_beam_flags(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("translate", help="translate sentences with a translate run's model")
    p.add_argument("run", metavar="RUN", help="run folder (its best model) or checkpoint folder")
    p.add_argument("text", nargs="?", help="a sentence (or give --input)")
    p.add_argument("--input", metavar="FILE", help="UTF-8 file of one sentence per line, or - "
                   "for stdin")
    p.add_argument("--output", metavar="FILE", help="write here (atomically) instead of stdout")
    p.add_argument("--attention-plot", metavar="FILE", help="PNG heatmap of the attention "
                   "weights of the (first) sentence (a model with attention)")
    add_beam_flags(p)
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("next", help="the likeliest next words of a word language model")
    p.add_argument("run", metavar="RUN", help="run folder (its best model) or checkpoint folder")
    p.add_argument("prompt", help="the text so far")
    p.add_argument("-k", "--top-k", dest="k", default="5", help="how many words (default: 5)")
    p.set_defaults(func=cmd_next)

    p = sub.add_parser("generate", help="stream characters sampled from a run's model; music: "
                       "write a sampled piece as MIDI and WAV")
    p.add_argument("run", metavar="RUN", help="run folder (its best model) or checkpoint folder")
    p.add_argument("--prompt", default="", help="text to continue (default: a new line)")
    p.add_argument("--length", default=None, help="characters (default: 500) or music time "
                   "steps (default: 64) to generate")
    p.add_argument("--out", default=None, metavar="FILE.mid", help="music: the MIDI file to "
                   "write; the WAV rendering goes beside it (FILE.wav)")
    p.add_argument("--tempo", default="100", help="music: beats (time steps) per minute "
                   "(default: 100)")
    p.add_argument("--temperature", default="0.8", help="> 0; lower is safer (default: 0.8)")
    p.add_argument("--top-k", default=None, help="sample from the k likeliest (default: all)")
    p.add_argument("--seed", default=None, help="seed for a repeatable sample")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("forecast", help="forecast: the next N values of a forecasting run's "
                       "series, printed and plotted")
    p.add_argument("run", metavar="RUN", help="run folder (its best model) or checkpoint folder")
    p.add_argument("--steps", required=True, help="how many values to forecast")
    p.add_argument("--origin", default="valid", help="valid: start where the validation part "
                   "starts, beside the truth (default); end: after the last value")
    p.add_argument("--plot", metavar="FILE", default=None, help="PNG of history, forecast and "
                   "truth (default: forecast.png in the run folder)")
    p.set_defaults(func=cmd_forecast)

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

    p = sub.add_parser("transcribe", help="digits: the digit of a WAV file and its "
                       "probability; digit-sequences: the digit string heard in it")
    p.add_argument("run", metavar="RUN", help="run folder (its best model) or checkpoint folder")
    p.add_argument("file", metavar="FILE.wav", help="the recording")
    p.add_argument("--beam", default="8", help="digit-sequences: prefix beam width, 1 for "
                   "greedy decoding (default: 8)")
    p.set_defaults(func=cmd_transcribe)
    return parser


# --- commands ----------------------------------------------------------------------------


def cmd_train(args) -> int:
    from .tasks.lm import generate
    from .training import config
    from .training.trainer import resume_config, train
    values = {k: v for k, v in vars(args).items()
              if k not in ("command", "func", "config", "resume")}
    if args.resume:
        if args.config:
            file = config.load_file(args.config)
            values = {**file["model"], **file["train"], **values}
        model_cfg, train_cfg = resume_config(args.resume, values)
    else:
        model_cfg, train_cfg = config.resolve(args.config, values)
    result = train(model_cfg, train_cfg, resume=args.resume)
    print(f"stopped: {result.stopped} at step {result.step:,} after "
          f"{result.elapsed / 60:.1f} min, {result.tokens_per_s:,.0f} tokens/s")
    if hasattr(result.task, "report"):
        if result.valid:
            print(f"{result.task.report(result.valid)}, best step {result.best_step:,}")
        print(f"run folder: {result.run}")
        return 0
    if train_cfg.task != "lm":
        report(result.valid, result.best_step)
        print(f"run folder: {result.run}")
        return 0
    if train_cfg.sample_length:
        print(f"sample (best model, step {result.best_step:,}, temperature "
              f"{train_cfg.temperature:g}):")
        stream(generate(result.model, result.task.vocab, "", train_cfg.sample_length,
                        train_cfg.temperature, train_cfg.top_k, train_cfg.seed))
    if result.valid:
        v = result.valid
        print(f"valid bits per {train_cfg.level}: {v['bpc']:.3f} (loss {v['loss']:.4f} "
              f"nats/{train_cfg.level}, perplexity {v['perplexity']:.2f}, best step {result.best_step:,})")
    print(f"run folder: {result.run}")
    return 0


def report(valid: dict | None, best_step: int):
    if valid and "digit_error_rate" in valid:
        print(f"valid sequence accuracy: {valid['accuracy']:.2%}, digit error rate: "
              f"{valid['digit_error_rate']:.2%} (greedy decoding; loss {valid['loss']:.4f} nats "
              f"per digit, {valid['tokens']:,} utterances, best step {best_step:,})")
    elif valid and "bleu" in valid:
        print(f"valid BLEU: {valid['bleu']:.2f}, chrF: {valid['chrf']:.2f} (greedy, "
              f"{valid['sentences']:,} sentences; loss {valid['loss']:.4f} nats per token, "
              f"best step {best_step:,})")
    elif valid and "exact_match" in valid:
        print(f"valid exact match: {valid['exact_match']:.2%}, token accuracy: "
              f"{valid['token_accuracy']:.2%} (greedy, {valid['sequences']:,} sequences; loss "
              f"{valid['loss']:.4f} nats per token, best step {best_step:,})")
    elif valid:
        print(f"valid accuracy: {valid['accuracy']:.2%} (loss {valid['loss']:.4f} nats per label, "
              f"{valid['tokens']:,} labels, best step {best_step:,})")


def load_run(run):
    """(checkpoint, its TrainConfig) of a run."""
    from .training import checkpoint, config
    ck = checkpoint.load(run)
    _, train_cfg = config.from_dict({"model": ck.config.get("model", {}),
                                     "train": ck.config.get("train", {})})
    return ck, train_cfg


def labelling_task(ck, train_cfg, command: str):
    """The classify or tag task of a checkpoint."""
    from .tasks import get_task
    task = ck.config.get("task", "lm")
    if task not in ("classify", "tag") or not ck.meta:
        raise bad("run", f"a classify or tag run for elman {command}", f"a {task} run")
    return get_task(task).from_checkpoint(ck, train_cfg)


def read_input(path: str, argument: str = "input") -> tuple[str, str]:
    """(text, name) of a UTF-8 file, or of stdin for "-"."""
    from .data.text import read_text
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


def seq2seq_task(ck, train_cfg, command: str, tasks: tuple):
    """The encoder-decoder task of a checkpoint, one of ``tasks``."""
    from .tasks import get_task
    task = ck.config.get("task", "lm")
    if task not in tasks or not ck.meta:
        raise bad("run", f"a {' or '.join(tasks)} run for elman {command}", f"a {task} run")
    return get_task(task).from_checkpoint(ck, train_cfg)


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
    from .training.atomic import write_text
    if path:
        write_text(path, out)
    else:
        sys.stdout.write(out)


def cmd_predict(args) -> int:
    from .tasks import SEQ2SEQ
    ck, train_cfg = load_run(args.run)
    if ck.config.get("task") in SEQ2SEQ:
        task = seq2seq_task(ck, train_cfg, "predict", ("sort", "reverse", "copy", "add"))
        lines, name = input_lines(args)
        found = task.predict_lines(ck.model, lines, name, *beam_flags(args))
        write_output("".join(f"{line}\n" for line in found), args.output)
        return 0
    task = labelling_task(ck, train_cfg, "predict")
    if args.input is None:
        raise bad("input", "--input FILE (or - for stdin) for a classify or tag run", "none")
    text, name = read_input(args.input)
    write_output(task.predict_text(ck.model, text, name), args.output)  # all before any write
    return 0


def cmd_translate(args) -> int:
    from .training.heatmap import plot_attention
    ck, train_cfg = load_run(args.run)
    task = seq2seq_task(ck, train_cfg, "translate", ("translate",))
    lines, name = input_lines(args)
    texts, sources, outputs, weights, unknown = task.translate(ck.model, lines, name,
                                                               *beam_flags(args))
    if unknown:
        print(f"note: {len(unknown):,} source token(s) not in the vocabulary, read as <unk>: "
              f"{' '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}", file=sys.stderr)
    if args.attention_plot:
        if weights[0] is None:
            raise bad("attention_plot", "a model trained with --attention additive or "
                      "multiplicative", "a model without attention")
        plot_attention(weights[0], sources[0], outputs[0] + ["</s>"], args.attention_plot,
                       title=lines[0])
    write_output("".join(f"{t}\n" for t in texts), args.output)
    if args.attention_plot:
        print(f"attention: {args.attention_plot}", file=sys.stderr)
    return 0


def cmd_next(args) -> int:
    from .tasks.lm import next_words
    from .training.config import parse_positive_int
    k = parse_positive_int("k", args.k)
    ck, train_cfg = load_run(args.run)
    if ck.config.get("task", "lm") != "lm" or ck.vocab.level != "word":
        raise bad("run", "a word language model (train --task lm --level word)",
                  f"a {ck.config.get('task', 'lm')} run at {ck.vocab.level} level")
    for word, p in next_words(ck.model, ck.vocab, args.prompt, k, train_cfg.lowercase):
        print(f"{word}\t{p:.4f}")
    return 0


def confusion_path(args, ck):
    """--plot, or confusion.png in the run folder."""
    from pathlib import Path
    run = Path(args.run)
    return Path(args.plot) if args.plot else \
        (run if (run / "best").is_dir() or (run / "checkpoint").is_dir() else ck.path.parent) \
        / "confusion.png"


def eval_labels(ck, train_cfg, args) -> int:
    from .training import scores
    task = labelling_task(ck, train_cfg, "eval")
    path = args.data or train_cfg.valid
    if path is None:
        raise bad("data", "a file (--data FILE): the run had no validation file", "none")
    text, name = read_input(path, "data")
    gold, found = task.gold_and_predicted(ck.model, text, name)
    counts = scores.confusion(gold, found, task.labels)
    plot = confusion_path(args, ck)
    print(f"accuracy: {scores.accuracy(counts):.4f} ({len(gold):,} labels)")
    print(scores.table(scores.per_class(counts, task.labels)))
    scores.plot_confusion(counts, task.labels, plot, title=f"{name}")
    print(f"confusion matrix: {plot}")
    return 0


def eval_seq2seq(ck, train_cfg, args) -> int:
    """Decoded scores of an encoder-decoder on its held-out set, or on --data pairs
    (translate)."""
    from .tasks import get_task
    beam, penalty = beam_flags(args)
    name = ck.config["task"]
    how = "greedy" if beam == 1 else f"beam {beam}, length penalty {penalty:g}"
    if name != "translate":
        if args.data:
            raise bad("data", f"no file: a {name} run is scored on its generated held-out set",
                      repr(args.data))
        task = get_task(name)(train_cfg, vocab=ck.vocab, meta=ck.meta)
        r = task.evaluate(ck.model, beam=beam, length_penalty=penalty)
        print(f"exact match: {r['exact_match']:.4f} ({r['sequences']:,} sequences, {how})")
        print(f"token accuracy: {r['token_accuracy']:.4f}")
        print(f"loss: {r['loss']:.4f} nats per token (teacher forced accuracy "
              f"{r['accuracy']:.4f})")
        return 0
    if args.data:
        task = get_task(name).from_checkpoint(ck, train_cfg)
        text, data = read_input(args.data, "data")
        rows = task.read(text, data)
    else:
        task = get_task(name)(train_cfg, vocab=ck.vocab, meta=ck.meta)
        rows, data = task.valid_rows, f"the held-out pairs of {train_cfg.data}"
        if not rows:
            raise bad("data", "a file (--data FILE): the run held no pairs out", "none")
    r = task.score(ck.model, rows, beam=beam, length_penalty=penalty)
    print(f"BLEU: {r['bleu']:.2f} ({r['sentences']:,} sentences of {data}, {how})")
    print(f"chrF: {r['chrf']:.2f}")
    print(f"loss: {r['loss']:.4f} nats per token (teacher forced accuracy {r['accuracy']:.4f})")
    return 0


SPEECH = ("digits", "digit-sequences")


def speech_task(ck, train_cfg, command: str, whole: bool = False):
    """The digits or digit-sequences task of a checkpoint; ``whole``: read its data too."""
    from .tasks import get_task
    task = ck.config.get("task", "lm")
    if task not in SPEECH or not ck.meta:
        raise bad("run", f"a digits or digit-sequences run for elman {command}", f"a {task} run")
    if whole:
        return get_task(task)(train_cfg, meta=ck.meta)
    return get_task(task).from_checkpoint(ck, train_cfg)


def eval_digits(ck, train_cfg, args) -> int:
    """Accuracy, per-digit scores and the confusion matrix of a digits run."""
    from .tasks.speech import recordings_of
    from .training import scores
    folder = args.data or train_cfg.valid
    task = speech_task(ck, train_cfg, "eval", whole=folder is None)
    recordings = recordings_of(folder, task.check) if folder else task.valid
    gold, found = task.gold_and_predicted(ck.model, recordings)
    name = folder or f"the validation split of {train_cfg.data}"
    if not gold:
        raise bad("data", "a folder (--data DIR): the run kept no validation recordings", "none")
    counts = scores.confusion(gold, found, task.labels)
    plot = confusion_path(args, ck)
    print(f"accuracy: {scores.accuracy(counts):.4f} ({len(gold):,} recordings)")
    print(scores.table(scores.per_class(counts, task.labels)))
    scores.plot_confusion(counts, task.labels, plot, title=f"{name}")
    print(f"confusion matrix: {plot}")
    return 0


def eval_digit_sequences(ck, train_cfg, args) -> int:
    """Exact utterances and digit error rate, greedy and with prefix beam search."""
    from .training.config import parse_positive_int
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
    from .training.config import parse_positive_int
    beam = parse_positive_int("beam", args.beam)
    ck, train_cfg = load_run(args.run)
    task = speech_task(ck, train_cfg, "transcribe")
    print(task.transcribe(ck.model, args.file, beam))
    return 0


def cmd_eval(args) -> int:
    from .data.text import read_text
    from .tasks import SEQ2SEQ, get_task
    from .tasks.lm import evaluate_text
    from .training import checkpoint, config
    ck = checkpoint.load(args.run)
    if ck.config.get("task", "lm") in SEQ2SEQ:
        return eval_seq2seq(ck, load_run(args.run)[1], args)
    if ck.config.get("task", "lm") in SIGNAL_EVAL:
        return SIGNAL_EVAL[ck.config["task"]](ck, load_run(args.run)[1], args)
    if ck.config.get("task", "lm") != "lm":
        return eval_labels(ck, load_run(args.run)[1], args)
    B = config.parse_value(config.TrainConfig, "batch_size", args.batch_size)
    T = config.parse_value(config.TrainConfig, "seq_len", args.seq_len)
    if args.data:
        lower = ck.config.get("train", {}).get("lowercase", False)
        result = evaluate_text(ck.model, ck.vocab, read_text(args.data), B, T, lower)
        if result["unknown"]:
            unit = "characters" if ck.vocab.level == "char" else "words"
            print(f"note: {result['unknown']:,} {unit} not in the vocabulary were read as "
                  f"unknown", file=sys.stderr)
    else:
        _, train_cfg = config.from_dict({"model": ck.config.get("model", {}),
                                         "train": ck.config.get("train", {})})
        task = get_task(ck.config.get("task", "lm"))(train_cfg, vocab=ck.vocab)
        if task.valid_batches is None:
            raise bad("data", "a file (--data FILE): the run kept no validation text", "none")
        result = task.evaluate(ck.model)
    unit = ck.vocab.level
    print(f"loss: {result['loss']:.4f} nats/{unit}")
    print(f"bits per {unit}: {result['bpc']:.4f}")
    print(f"perplexity: {result['perplexity']:.3f}")
    print(f"{unit}s: {result['tokens']:,}")
    return 0


def cmd_generate(args) -> int:
    from .tasks.lm import generate
    from .training import checkpoint
    from .training.config import TrainConfig, parse_count, parse_optional, parse_value
    temperature = parse_value(TrainConfig, "temperature", args.temperature)
    top_k = parse_value(TrainConfig, "top_k", args.top_k)
    seed = parse_optional(parse_count)("seed", args.seed)
    ck = checkpoint.load(args.run)
    if ck.config.get("task") == "music":
        return generate_music(ck, args, temperature, seed)
    length = parse_count("length", args.length or "500")
    sys.stdout.write(args.prompt)
    stream(generate(ck.model, ck.vocab, args.prompt, length, temperature, top_k, seed))
    return 0


# --- forecast and music ------------------------------------------------------------------


def signal_task(ck, train_cfg, task: str):
    """The forecast task of a run (it re-reads the series; the scaler comes from the run), or
    the music task (it reads no data)."""
    from .tasks import get_task
    if ck.config.get("task") != task:
        raise bad("run", f"a {task} run", f"a {ck.config.get('task', 'lm')} run")
    if task == "music":
        return get_task(task).from_checkpoint(ck, train_cfg)
    return get_task(task)(train_cfg, meta=ck.meta)


def eval_forecast(ck, train_cfg, args) -> int:
    from dataclasses import replace
    task = signal_task(ck, replace(train_cfg, data=args.data or train_cfg.data), "forecast")
    c = task.cfg
    print(f"{len(task.valid_origins):,} validation origins, horizon {c.horizon}, window "
          f"{c.window}")
    print(f"{'forecaster':<16} {'RMSE':>10} {'MAE':>10}")
    for name, s in task.compare(ck.model):
        print(f"{name:<16} {s['rmse']:>10.4g} {s['mae']:>10.4g}")
    return 0


def eval_music(ck, train_cfg, args) -> int:
    task = signal_task(ck, train_cfg, "music")
    path = args.data or train_cfg.valid
    if path is not None:
        batches = task.batches(path)
    else:                                   # the pieces the run held out of --data
        batches = type(task)(train_cfg, meta=ck.meta).valid_batches
        if batches is None:
            raise bad("data", "a JSON file of pieces (--data FILE): the run kept no "
                      "validation pieces", "none")
    result = task.evaluate(ck.model, batches)
    print(f"NLL: {result['nll']:.4f} nats per time step")
    print(f"frame accuracy: {result['accuracy']:.4f}")
    print(f"time steps: {result['steps']:,}")
    return 0


SIGNAL_EVAL = {"forecast": eval_forecast, "music": eval_music, "digits": eval_digits,
               "digit-sequences": eval_digit_sequences}


def generate_music(ck, args, temperature: float, seed: int | None) -> int:
    import random
    from pathlib import Path

    from .music import write_midi, write_wav
    from .tasks.music import generate
    from .training.config import parse_positive, parse_positive_int
    if not args.out or not args.out.lower().endswith((".mid", ".midi")):
        raise bad("out", "a MIDI file to write, ending in .mid (--out song.mid)",
                  repr(args.out))
    length = parse_positive_int("length", args.length or "64")
    tempo = parse_positive("tempo", args.tempo)
    opening = random.Random(seed).choice(ck.meta["openings"])
    roll = generate(ck.model, opening, length, temperature, seed)
    out = Path(args.out)
    wav = out.with_suffix(".wav")
    write_midi(out, roll, tempo)
    write_wav(wav, roll, tempo)
    notes = int(roll.sum())
    print(f"wrote {out} and {wav}: {length} steps at {tempo:g} beats per minute, "
          f"{notes:,} key-steps on, opening chord {opening}")
    return 0


def cmd_forecast(args) -> int:
    from pathlib import Path

    from .tasks.forecast import future_times, plot_forecast
    from .training.config import parse_choice, parse_positive_int
    steps = parse_positive_int("steps", args.steps)
    where = parse_choice(("valid", "end"))("origin", args.origin)
    ck, train_cfg = load_run(args.run)
    task = signal_task(ck, train_cfg, "forecast")
    series = task.series
    origin = task.n_train if where == "valid" else len(series.values)
    values = task.forecast(ck.model, origin, steps)
    times = future_times(series, origin, steps)
    truth = series.values[origin:origin + steps]
    print("time\tforecast\ttruth")
    for i, (t, v) in enumerate(zip(times, values)):
        print(f"{t}\t{v:.6g}\t" + (f"{truth[i]:.6g}" if i < len(truth) else ""))
    run = Path(args.run)
    plot = Path(args.plot) if args.plot else \
        (run if (run / "best").is_dir() or (run / "checkpoint").is_dir() else ck.path.parent) \
        / "forecast.png"
    plot_forecast(series, origin, values, plot, title=f"{task.source} {series.name}")
    print(f"plot: {plot}")
    return 0


def cmd_summary(args) -> int:
    from .training.config import parse_flag, parse_optional, parse_positive_int, parse_sizes
    B = parse_positive_int("batch_size", args.batch_size)
    T = parse_positive_int("seq_len", args.seq_len)
    if args.run:
        from .summary import summarize
        from .training import checkpoint
        print(summarize(checkpoint.load(args.run).model, B, T))
        return 0
    from .summary import summary_from_args
    if args.input_size is None or args.hidden_sizes is None:
        raise bad("summary", "a RUN folder, or --input-size and --hidden-sizes", "neither")
    print(summary_from_args(parse_positive_int("input_size", args.input_size),
                            parse_sizes("hidden_sizes", args.hidden_sizes),
                            parse_optional(parse_positive_int)("output_size", args.output_size),
                            args.cell, B, T, parse_flag("bidirectional", args.bidirectional)))
    return 0


def stream(chars):
    """Print characters as they come, flushing each, then a newline."""
    for ch in chars:
        sys.stdout.write(ch)
        sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()


# --- entry point -------------------------------------------------------------------------


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def main(argv=None) -> int:
    """Run the command line; return the exit code (0, 2 on an error, 130 on Ctrl-C)."""
    try:
        args = build_parser().parse_args(argv)
        if not getattr(args, "func", None):
            raise bad("command", "one of train, eval, predict, translate, next, generate, "
                      "forecast, transcribe, summary (see elman --help)",
                      "none")
        return args.func(args)
    except ElmanError as e:
        print(f"elman: error: {one_line(e)}", file=sys.stderr)
    except (OSError, UnicodeError) as e:
        if isinstance(e, BrokenPipeError):   # e.g. elman generate RUN | head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        print(f"elman: error: {type(e).__name__}: {one_line(e)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("elman: interrupted; the last complete checkpoint (if any) is kept",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
