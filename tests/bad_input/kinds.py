"""The kinds of row of the bad-input catalogue.

A row is one bad input and the one-line error it must get:

- ``Cli(argv, expect)``: ``elman ARGV``, run in-process from the repository root, exits
  with 2 and prints exactly one line on stderr, ``elman: error: EXPECT...``, and nothing on
  stdout. A ``train`` row starts with ``--out TMP/run --max-steps 1 --quiet`` (its own flags
  win; not when it resumes), and the run folder must not exist afterwards;
- ``Sub(argv, expect)``: the same in a real ``python -m elman.cli`` process (no traceback
  reaches stderr);
- ``Api(call, expect)``: the Python expression ``call`` raises ``ElmanError`` whose message
  starts with ``expect``;
- ``Http(request, body, expect)``: ``elman serve`` of the fixture runs answers with a 4xx
  JSON ``{"error": EXPECT..., "field": ARGUMENT}``.

Every message must read ``ARGUMENT: expected ..., got ...`` on one line, and the fixture runs,
their data and the broken copies must be byte for byte what they were. ``fixed`` says what a
row found wrong and what was changed (issue 21). ``OK`` as ``expect`` marks an odd input that
must be handled, not refused (exit 0, HTTP 200).

Placeholders in argv, calls, bodies and messages: ``{runs}`` the committed fixture runs
(tests/fixtures/v0/runs), ``{data}`` their data, ``{runs1}`` and ``{data1}`` those of the tasks
added since (tests/fixtures/v1), ``{bad}`` the generated broken files and run copies
(``files.py``), ``{tmp}`` an empty folder of the row's own.
"""

import json
from dataclasses import dataclass

OK = None            # ``expect`` of a row whose input must be handled, not refused


@dataclass(frozen=True, kw_only=True)
class Row:
    fixed: str = ""           # the defect this row found, and what was changed (issue 21)
    area: str = ""            # set when the areas are gathered


@dataclass(frozen=True)
class Cli(Row):
    argv: str
    expect: str | None
    stdin: bytes | None = None

    @property
    def shown(self) -> str:
        return f"elman {self.argv}" + ("" if self.stdin is None else
                                       f" < {short(self.stdin)}")


@dataclass(frozen=True)
class Sub(Cli):
    @property
    def shown(self) -> str:
        return f"{super().shown} (a real process)"


@dataclass(frozen=True)
class Api(Row):
    call: str
    expect: str | None

    @property
    def shown(self) -> str:
        return self.call


@dataclass(frozen=True)
class Http(Row):
    request: str              # "POST /v1/lm/next"
    body: object              # a JSON value, bytes sent as they are, or None
    expect: str | None
    files: tuple = ()         # (name, bytes, or a name of UPLOADS) per file (field "file")
    status: int = 422

    @property
    def shown(self) -> str:
        if self.files:
            what = " ".join(f"file={name}: "
                            f"{UPLOADS[data] if isinstance(data, str) else short(data)}"
                            for name, data in self.files[:3])
            what += f" ... ({len(self.files)} files)" if len(self.files) > 3 else ""
        elif isinstance(self.body, bytes):
            what = short(self.body)
        else:
            what = "" if self.body is None else short_json(self.body)
        return f"{self.request} {what}".strip()


# the files an Http row may upload by name (runner.upload): name -> path
UPLOADS = {"WAV": "{data}/wavs/3_bob_1.wav", "EMPTY_WAV": "{bad}/empty.wav",
           "PNG": "{data1}/row.png", "DIGIT_PNG": "{data1}/digit.png",
           "BOMB_PNG": "{bad}/bomb.png", "CUT_PNG": "{bad}/cut.png"}


def short_json(body) -> str:
    """A JSON body, shortened for the docs (its start and its length) past 200 characters."""
    text = json.dumps(body, ensure_ascii=False)
    return text if len(text) <= 200 else f"{text[:160]}... ({len(text):,} characters)"


def short(data: bytes) -> str:
    """Bytes, shortened for the docs."""
    text = repr(data)
    return text if len(text) <= 50 else f"{len(data):,} bytes {text[:36]}...'"
