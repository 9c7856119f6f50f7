"""The ``elman`` command: parse, call the library, print.

    elman train [--data FILE] [--config FILE.yaml|.toml] [--FIELD VALUE ...] [--resume RUN]
    elman eval RUN [--data FILE | --split valid|test] [--json] [--plot FILE.png]
    elman predict RUN --input FILE|- [--output FILE]
    elman predict RUN "5 3 9 1" [--beam K]          (sort, reverse, copy, add)
    elman translate RUN "I am cold." [--beam K] [--attention-plot FILE.png]
    elman next RUN "Hey, I will be late to the" [-k 5]
    elman generate RUN [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed S]
    elman generate MUSIC_RUN --out song.mid [--length N] [--temperature T] [--tempo BPM] [--seed S]
    elman forecast RUN --steps N [--origin valid|end] [--plot FILE.png]
    elman summary (RUN | --input-size I --hidden-sizes H[,H...] [--output-size K] ...)
    elman transcribe RUN file.wav [--beam N]
    elman export RUN [--format onnx|numpy] [--out DIR]

``elman train`` with no arguments is the main job: a character language model of Python's
built-in documentation, trained for about four minutes, then a sample and the validation bits
per character. Every error is one line ``elman: error: ...`` on stderr and exit code 2;
Ctrl-C exits with 130 and leaves the last complete checkpoint.

Modules: ``parser`` (the commands and their flags), ``train``, ``run`` (the commands of
trained runs: each is declared by the run's task, ``elman.tasks.base.Command``) and
``summary``. The CLI knows no task by name: it reads the registry. Heavy libraries, torch and
the task modules are imported inside the commands, so ``elman --help`` stays fast.
"""

import os
import sys

from ..errors import ElmanError
from .parser import build_parser, dispatch
from .run import load_run

__all__ = ["main", "build_parser", "load_run"]

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130


def one_line(e: BaseException) -> str:
    return " ".join(str(e).splitlines()) or type(e).__name__


def main(argv=None) -> int:
    """Run the command line; return the exit code (0, 2 on an error, 130 on Ctrl-C)."""
    try:
        func, args = dispatch(sys.argv[1:] if argv is None else list(argv))
        return func(args)
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
