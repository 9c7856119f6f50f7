"""docs/errors.md, written from the catalogue's rows: ``render()`` the page, ``PATH`` where
it goes. tests/test_bad_input.py fails when the page is not what ``render()`` writes."""

from . import AREAS, CASES
from .files import FILES, FOLDERS, ROOT, RUNS
from .kinds import Http

PATH = ROOT / "docs" / "errors.md"
SHOWN = {"{runs}": "tests/fixtures/v0/runs", "{data}": "tests/fixtures/v0/data",
         "{runs1}": "tests/fixtures/v1/runs", "{data1}": "tests/fixtures/v1/data",
         "{bad}": "BAD", "{tmp}": "TMP"}

HEAD = """# Errors

Every bad input elman is given, on the command line, in Python or over HTTP, is refused with
one line that names the argument, what was expected and what came:

```
$ elman train --lr -1
elman: error: lr: expected a number > 0, got -1.0          (exit code 2, nothing on stdout)
>>> elman.RNN(4, 0)
elman.errors.ElmanError: hidden_sizes: expected a positive int or a non-empty list of ...
POST /v1/lm/next {"inputs": ["a"], "k": 51}
422 {"error": "k: expected an integer from 1 to 50, got 51", "field": "k"}
```

The lists below are the bad-input catalogue, {count} cases: `tests/bad_input/` holds one row
per case and `tests/test_bad_input.py` runs every row, checking the exit code (2), the status
(4xx, JSON), the `ElmanError`, the one line in the `ARGUMENT: expected ..., got ...` form, that
no traceback is printed, and that no file of the runs and data read was changed (they are
hashed before and after). This page is written from the same rows (`python tests/bad_input`); a
test fails when it is stale. A new case is one row.

How to read the rows: commands run from the repository root (the tests run them in a copy of
the fixtures, so no row can change the repository), so `tests/fixtures/v0/runs/NAME` and
`tests/fixtures/v1/runs/NAME` (frames, caption, reply and the memory tasks) are committed runs
of each task and `tests/fixtures/v0/data`, `tests/fixtures/v1/data` their data; `elman serve`
serves all of them for the HTTP rows. `BAD/NAME` is a broken file
or a broken copy of a run (listed at the end), `TMP` an empty folder. A `train` row starts with
`--out TMP/run --max-steps 1 --quiet` (its own flags win; not when it resumes), and its run
folder must not exist afterwards. An error shown is the start of the message (most are all of
it). *fixed* marks a case that did not get its one-line error before issue 21, with what was
changed; *accepted* marks an odd input that must work rather than be refused ({accepted} rows:
exit 0, HTTP 200).
"""


def shown(text: str) -> str:
    for place, name in SHOWN.items():
        text = text.replace(place, name)
    return text


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def outcome(row) -> str:
    if row.expect is None:
        return "accepted: " + ("HTTP 200" if isinstance(row, Http) else "exit 0")
    status = f"{row.status} " if isinstance(row, Http) else ""
    return f"{status}`{cell(shown(row.expect))}`"


def area_section(name: str, title: str, doc: str, rows: list) -> list[str]:
    lines = [f"## {title} ({len(rows)})", "", " ".join(doc.split()), "",
             "| # | input | error |", "|---|---|---|"]
    for i, row in enumerate(rows, 1):
        fixed = f"<br>*fixed:* {cell(row.fixed)}" if row.fixed else ""
        lines.append(f"| {i} | `{cell(shown(row.shown))}` | {outcome(row)}{fixed} |")
    return lines + [""]


def files_section() -> list[str]:
    lines = ["## The broken files (BAD)", "",
             "Written by `tests/bad_input/files.py` for each test session.", "",
             "| file | what is wrong |", "|---|---|"]
    lines += [f"| `BAD/{name}` | {cell(what)} |" for name, (_, what) in FILES.items()]
    lines += [f"| `BAD/{name}/` | {cell(what)} |" for name, (_, what) in FOLDERS.items()]
    lines += ["", "Broken copies of the fixture runs:", "", "| run | copy of | what is broken |",
              "|---|---|---|"]
    lines += [f"| `BAD/runs/{name}` | {source} | {cell(what)} |"
              for name, (source, what, _) in RUNS.items()]
    return lines + [""]


def render() -> str:
    rows = [r for r in CASES if r.expect is not None]
    head = HEAD.replace("{count}", f"{len(rows)}").replace("{accepted}",
                                                          f"{len(CASES) - len(rows)}")
    lines = [head, "| area | cases | found a defect |",
             "|---|---|---|"]
    for name, (title, _, _) in AREAS.items():
        mine = [r for r in CASES if r.area == name]
        lines.append(f"| [{title}](#{anchor(title, len(mine))}) | {len(mine)} | "
                     f"{sum(bool(r.fixed) for r in mine)} |")
    lines.append("")
    for name, (title, doc, _) in AREAS.items():
        lines += area_section(name, title, doc, [r for r in CASES if r.area == name])
    return "\n".join(lines + files_section()).rstrip("\n") + "\n"


def anchor(title: str, count: int) -> str:
    """GitHub's anchor of the heading "TITLE (COUNT)"."""
    text = f"{title} ({count})".lower()
    return "".join(c for c in text.replace(" ", "-") if c.isalnum() or c in "-_")
