"""Stopping a run from outside: SIGINT (Ctrl-C) and SIGTERM.

Inside ``on_signals()`` a signal is only noted: the trainer looks at ``requested()`` at safe
points (after each step, after an evaluation and its checkpoint, before the final validation
and around the plot) and stops there with a complete checkpoint, raising ``Interrupted``, a
KeyboardInterrupt that carries the signal (exit code 128 + its number: 130 for SIGINT, 143
for SIGTERM). Nothing is raised inside the signal handler, so a signal can land anywhere
(an import, a finalizer of ``elman.nn.pool``, a checkpoint write) without an exception
escaping from there. A second signal stops the process at once (``hard=True``, the
command line: one line on stderr and ``os._exit``) or raises ``Interrupted`` where it lands
(``hard=False``); the files are written atomically (``elman.io.atomic``), so either way the
last complete checkpoint stays.

``raising()`` marks code with no safe points of its own (the commands of trained runs): there
a signal raises ``Interrupted`` at once, as Python's own SIGINT handler would; ``deferring()``
inside it marks code that has them again (training).

Signals are handled in the main thread only; elsewhere ``on_signals`` changes nothing. A
signal ignored when it starts (SIGINT of a background job in a shell script) stays ignored;
one that is blocked (a process may start with a blocked mask) is unblocked once the handlers
are in place, so a signal that came before is noted then.
"""

import os
import signal
import threading
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_modes: list[str] = []          # "defer" (note the signal) or "raise" (raise it), innermost last
_noted: list[int] = []          # the signals received, first first
_hard = {"exit": False, "message": ""}


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal; ``signum`` is its number, ``exit_code`` 128 + signum."""

    def __init__(self, signum: int, detail: str = ""):
        super().__init__(detail or f"stopped by {name(signum)}")
        self.signum, self.detail = signum, detail

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def requested() -> int | None:
    """The first signal noted, or None."""
    return _noted[0] if _noted else None


def check(detail=None):
    """Raise Interrupted when a signal was noted; ``detail()`` says what is kept."""
    if _noted:
        raise Interrupted(_noted[0], detail() if detail else "")


def _handler(signum, frame):
    if _modes and _modes[-1] == "raise":
        _noted.append(signum)
        raise Interrupted(signum)
    if _noted and _hard["exit"]:
        os.write(2, _hard["message"].format(signal=name(signum)).encode() + b"\n")
        os._exit(128 + signum)
    _noted.append(signum)
    if len(_noted) > 1:
        raise Interrupted(signum)


@contextmanager
def on_signals(restore: bool = True, hard: bool = False,
               message: str = "interrupted again ({signal}): stopped at once"):
    """Note SIGINT and SIGTERM instead of acting on them (see the module doc). ``restore``:
    put the previous handlers back at the end (False: the process is about to exit, and a
    late signal should change nothing). ``hard``: a second signal prints ``message`` on
    stderr and exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    handled = [s for s, h in previous.items() if h is not signal.SIG_IGN]
    _noted.clear()
    _modes[:] = ["defer"]
    _hard.update(exit=hard, message=message)
    for s in handled:
        signal.signal(s, _handler)
    if hasattr(signal, "pthread_sigmask"):          # not on Windows
        signal.pthread_sigmask(signal.SIG_UNBLOCK, handled)
    try:
        yield
    finally:
        if restore:
            for s in handled:
                signal.signal(s, previous[s])
            _noted.clear()
            _modes.clear()


@contextmanager
def raising():
    """Within ``on_signals``: a signal raises Interrupted where it lands (at once if one was
    noted already)."""
    _modes.append("raise")
    try:
        check()
        yield
    finally:
        _modes.pop()


@contextmanager
def deferring():
    """Within ``raising()``: note signals again, for code that checks ``requested()``."""
    _modes.append("defer")
    try:
        yield
    finally:
        _modes.pop()
