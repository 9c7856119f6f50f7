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
    elman prepare --data FILE_OR_GLOB --out DIR [--level char|word] [--lowercase true]

``elman train`` with no arguments is the main job: a character language model of Python's
built-in documentation, trained for about four minutes, then a sample and the validation bits
per character. Every error is one line ``elman: error: ...`` on stderr and exit code 2 (3:
training diverged, ``elman.training.guard``). SIGINT (Ctrl-C) and SIGTERM stop ``elman
train`` at its next safe point with a complete checkpoint and one line, exit code 130 and 143
(``elman.training.stop``); a second signal stops it at once. Other commands stop where the
signal lands, with the same line and codes.

Modules: ``parser`` (the commands and their flags), ``train``, ``run`` (the commands of
trained runs: each is declared by the run's task, ``elman.tasks.base.Command``) and
``summary``. The CLI knows no task by name: it reads the registry. Heavy libraries, torch and
the task modules are imported inside the commands, so ``elman --help`` stays fast.
"""

import os
import sys

from ..errors import ElmanError
from ..training import stop
from ..training.guard import Diverged
from .parser import build_parser, dispatch
from .run import load_run

__all__ = ["main", "build_parser", "load_run"]

EXIT_ERROR, EXIT_DIVERGED, EXIT_INTERRUPTED = 2, 3, 130   # 143: SIGTERM (128 + 15)
AGAIN = "elman: interrupted again ({signal}): stopped at once; the last complete checkpoint " \
    "(if any) is kept"


def one_line(e: BaseException) -> str:
    return " ".join(str(e).splitlines()) or type(e).__name__


def main(argv=None) -> int:
    """Run the command line; return the exit code (0; 2 on an error; 3 when training
    diverged; 130 on Ctrl-C, 143 on SIGTERM). Called without ``argv`` (the program) it keeps
    noting signals after it returns, so one that comes while the process exits changes
    nothing."""
    program = argv is None
    with stop.on_signals(restore=not program, hard=True, message=AGAIN):
        return run_command(sys.argv[1:] if program else list(argv))


def run_command(argv: list[str]) -> int:
    """One command, its errors as one line on stderr and its exit code. Commands run where a
    signal raises at once; ``elman train`` notes it and stops at its next safe point."""
    try:
        with stop.raising():
            func, args = dispatch(argv)
            return func(args)
    except Diverged as e:
        print(f"elman: error: {one_line(e)}", file=sys.stderr)
        return EXIT_DIVERGED
    except ElmanError as e:
        print(f"elman: error: {one_line(e)}", file=sys.stderr)
    except (OSError, UnicodeError) as e:
        if isinstance(e, BrokenPipeError):   # e.g. elman generate RUN | head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        print(f"elman: error: {type(e).__name__}: {one_line(e)}", file=sys.stderr)
    except KeyboardInterrupt as e:
        if isinstance(e, stop.Interrupted):
            print(f"elman: interrupted by {stop.name(e.signum)} {one_line(e)}"
                  if e.detail else f"elman: interrupted by {stop.name(e.signum)}; the last "
                  "complete checkpoint (if any) is kept", file=sys.stderr)
            return e.exit_code
        print("elman: interrupted; the last complete checkpoint (if any) is kept",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_ERROR
