"""The bad-input catalogue (issue 21): one row per bad input to elman, across every command,
every task's reader, run folders and checkpoints, the Python API and every HTTP route, each
with the one-line error it must get (``kinds``). ``tests/test_bad_input.py`` runs the rows;
``python tests/bad_input`` writes docs/errors.md from them (``docs``).

A new case is one row in the list of its area's module.
"""

from dataclasses import replace

from . import api, commands, http, readers, runs

# name: (title, what the area covers, its rows)
AREAS = {
    "commands": ("Commands and their flags", commands.__doc__, commands.CASES),
    "readers": ("Each task's reader", readers.__doc__, readers.CASES),
    "runs": ("Run folders and checkpoints", runs.__doc__, runs.CASES),
    "api": ("The Python API", api.__doc__, api.CASES),
    "http": ("elman serve: every HTTP route", http.__doc__, http.CASES),
}

CASES = [replace(row, area=name) for name, (_, _, rows) in AREAS.items() for row in rows]
