"""The bad-input catalogue (``tests/bad_input``, issue 21): every row's bad input gets its
one-line error, ``ARGUMENT: expected ..., got ...``: exit code 2 and one stderr line on the
command line (in-process, and a few rows in a real process), an ``ElmanError`` in Python, a
4xx JSON error over HTTP; no traceback, and no file of the runs and data read changed.
docs/errors.md is written from the same rows and must be up to date."""

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
import bad_input  # noqa: E402
from bad_input import CASES, docs, files  # noqa: E402
from bad_input.kinds import Api, Cli, Http  # noqa: E402
from bad_input.names import names as api_names  # noqa: E402
from bad_input.runner import (  # noqa: E402
    Places,
    fingerprint,
    run_api,
    run_cli,
    run_http,
    watched,
)

FORM = re.compile(r"(?P<argument>[^\s:]+): expected .+, got .+")
PREFIX = "elman: error: "


def row_id(i: int, row) -> str:
    words = re.sub(r"[^\w.=-]+", " ", row.shown.replace("{runs}/", "").replace("{data}/", "")
                   .replace("{bad}/", "")).split()
    return f"{row.area}-{i:03d}-{'-'.join(words)[:48]}"


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """The folder the rows run from: a copy of the fixtures, and the broken files."""
    root = tmp_path_factory.mktemp("catalogue")
    files.make(root)
    return root


@pytest.fixture(scope="module")
def names() -> dict:
    return api_names()


@pytest.fixture(scope="module")
def client(root):
    from test_serve import Server  # uvicorn on a free loopback port

    from elman.cli import load_run
    from elman.serve.app import Served, build_app
    runs = sorted((root / "tests" / "fixtures").glob("v*/runs/*"))     # v0 and v1
    served = [Served(p.name, *load_run(p)) for p in runs]
    with Server(build_app(served)) as c:
        yield c


def check(row, o, places: Places):
    """The outcome ``o`` of ``row``: refused with its one line, or (``OK``) handled."""
    assert not o.other, f"not a one-line error: {o.other}"
    if row.expect is None:
        assert o.code in (0, 200), (o.code, o.lines)
        assert not any("Traceback" in line for line in o.lines)
        return
    if isinstance(row, Http):
        assert o.code == row.status and 400 <= o.code < 500, (o.code, o.lines)
    else:
        assert o.code == 2, (o.code, o.lines)
    assert len(o.lines) == 1, o.lines
    message = o.lines[0]
    if isinstance(row, Cli):
        assert o.out == "", o.out
        assert message.startswith(PREFIX), message
        message = message[len(PREFIX):]
    form = FORM.fullmatch(message)
    assert form, f"not ARGUMENT: expected ..., got ...: {message!r}"
    if isinstance(row, Http):
        assert o.field == form["argument"], (o.field, message)
    assert message.startswith(places.fill(row.expect)), message


@pytest.mark.parametrize("row", CASES, ids=[row_id(i, r) for i, r in enumerate(CASES, 1)])
def test_a_bad_input_gets_its_one_line_error(row, root, tmp_path, monkeypatch, request):
    monkeypatch.chdir(root)                     # the fixture runs' paths are relative to it
    places = Places(root, tmp_path)
    before = fingerprint(*watched(places))
    if isinstance(row, Cli):
        o = run_cli(row, places)
    elif isinstance(row, Api):
        o = run_api(row, places, request.getfixturevalue("names"))
    else:
        o = run_http(row, places, request.getfixturevalue("client"))
    check(row, o, places)
    assert fingerprint(*watched(places)) == before, "a file of the runs or data changed"
    if row.expect is not None:
        assert not (tmp_path / "run").exists(), "a failed start left a run folder"


def test_the_catalogue_is_large_and_covers_every_area():
    refused = [r for r in CASES if r.expect is not None]
    assert len(refused) >= 300
    assert {r.area for r in CASES} == set(bad_input.AREAS)


def test_docs_errors_md_is_written_from_the_catalogue():
    assert docs.PATH.read_text(encoding="utf-8") == docs.render(), \
        "docs/errors.md is stale: python tests/bad_input"


@pytest.mark.parametrize("name", ["lm", "lm-word"])
def test_the_sampler_never_prints_the_unknown_token(name, root, monkeypatch):
    """A language model whose unknown token (U+FFFD, <unk>) is by far the likeliest still
    samples only text (issue 21: the character sampler printed U+FFFD)."""
    import torch

    from elman.cli import load_run
    from elman.tasks.lm import generate
    monkeypatch.chdir(root)
    run, task = load_run(f"tests/fixtures/v0/runs/{name}")
    with torch.no_grad():
        run.model.output.bias[task.vocab.index[task.vocab.unk]] = 50.0
    tokens = list(generate(run.model, task.vocab, "the", 200, 1.0, None, 0))
    assert len(tokens) == 200 and not any(task.vocab.unk in t for t in tokens)
