"""The argument parser of the ``elman`` command: every subcommand, its flags and the function
that runs it."""

import argparse
import re
from dataclasses import fields

from ..errors import ElmanError, bad
from .dispatch import cmd_eval, cmd_generate, cmd_predict
from .language import cmd_next
from .seq2seq import cmd_translate
from .signals import cmd_forecast
from .speech import cmd_transcribe
from .summary import cmd_summary
from .train import cmd_train


class Parser(argparse.ArgumentParser):
    """argparse that raises ElmanError instead of printing usage and exiting."""

    def error(self, message):
        if message.startswith("unrecognized arguments: "):
            raise bad("arguments", "options listed by --help",
                      f"unrecognized {message.split(': ', 1)[1]}")
        choice = re.fullmatch(r"argument (\w+): invalid choice: (.+?) \(choose from (.+)\)",
                              message)
        if choice:
            name, got, options = choice.groups()
            raise bad(name.lower(), f"one of {options.replace(chr(39), '')}", got)
        raise ElmanError(f"{self.prog.split(' ', 1)[-1]}: {message}")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_flags(p: argparse.ArgumentParser):
    """One flag per ModelConfig / TrainConfig field; only flags given end up in the namespace."""
    from ..training.config import ModelConfig, TrainConfig, default_of
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


def add_ensemble_flag(p: argparse.ArgumentParser):
    p.add_argument("--ensemble", metavar="RUN", nargs="+", help="classify, tag: more runs "
                   "(same data and settings, other seeds) whose models vote with RUN's: the "
                   "label of highest mean probability")


def add_beam_flags(p: argparse.ArgumentParser):
    p.add_argument("--beam", default="1", help="encoder-decoder tasks: beam width (default: 1, "
                   "greedy)")
    p.add_argument("--length-penalty", default="1.0", help="beam: rank outputs by log-prob / "
                   "length**this (0: total log-prob; default: 1, the mean per token)")



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
    add_ensemble_flag(p)
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
    add_ensemble_flag(p)
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
