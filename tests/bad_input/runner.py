"""Running a row: the placeholders filled, the command, call or request made, and what came
back as an ``Outcome`` (exit code or HTTP status, stdout, the error lines)."""

import contextlib
import hashlib
import io
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from .files import ROOT
from .kinds import UPLOADS, Api, Cli, Http, Sub

RUNS, DATA = "tests/fixtures/v0/runs", "tests/fixtures/v0/data"
RUNS1, DATA1 = "tests/fixtures/v1/runs", "tests/fixtures/v1/data"


@dataclass
class Places:
    """What the placeholders stand for: ``root`` is the folder the rows run from (a copy of
    the fixtures at their repository paths, ``files.make``), ``bad`` its broken files."""

    root: Path
    tmp: Path

    @property
    def bad(self) -> Path:
        return self.root / "bad"

    def fill(self, text: str) -> str:
        for name, value in (("runs", RUNS), ("data", DATA), ("runs1", RUNS1),
                            ("data1", DATA1), ("bad", self.bad), ("tmp", self.tmp)):
            text = text.replace("{" + name + "}", str(value))
        return text


@dataclass
class Outcome:
    code: int                  # exit code, HTTP status, or 2 for an ElmanError raised
    out: str                   # stdout (CLI)
    lines: list[str]           # the error, one line per item
    field: object = None       # HTTP: the "field" of the JSON error
    other: str = ""            # what else came (an unexpected exception, a non-JSON body)


def train_defaults(argv: list[str], tmp: Path) -> list[str]:
    """A train row's argv with --out TMP/run --max-steps 1 --quiet first (the row's own flags
    win), unless it resumes."""
    if not argv or argv[0] != "train" or "--resume" in argv:
        return argv
    return ["train", "--out", str(tmp / "run"), "--max-steps", "1", "--quiet", *argv[1:]]


def run_cli(row: Cli, places: Places) -> Outcome:
    from elman.cli import main
    argv = train_defaults(shlex.split(places.fill(row.argv)), places.tmp)
    if isinstance(row, Sub):
        return run_process(argv, places.root)
    out, err = io.StringIO(), io.StringIO()
    stdin, serve = sys.stdin, uvicorn.run
    if row.stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(row.stdin), encoding="utf-8")
    uvicorn.run = would_serve
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except BaseException as e:                      # noqa: BLE001 - reported, not raised
        return Outcome(-1, out.getvalue(), err.getvalue().splitlines(),
                       other=f"{type(e).__name__}: {e}")
    finally:
        sys.stdin, uvicorn.run = stdin, serve
    return Outcome(code, out.getvalue(), err.getvalue().splitlines())


def would_serve(*args, **kwargs):
    """uvicorn.run while a row runs: an ``elman serve`` row must fail before serving."""
    raise RuntimeError("elman serve started serving instead of refusing the row")


def run_process(argv: list[str], cwd: Path) -> Outcome:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "elman.cli", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    return Outcome(done.returncode, done.stdout, done.stderr.splitlines())


def run_api(row: Api, places: Places, names: dict) -> Outcome:
    from elman.errors import ElmanError
    try:
        eval(places.fill(row.call), dict(names))    # noqa: S307 - the table's own code
    except ElmanError as e:
        return Outcome(2, "", str(e).split("\n"))
    except Exception as e:                          # noqa: BLE001 - reported, not raised
        return Outcome(-1, "", [], other=f"{type(e).__name__}: {e}")
    return Outcome(0, "", [])


def run_http(row: Http, places: Places, client) -> Outcome:
    method, path = row.request.split(" ", 1)
    kwargs = {}
    if row.files:
        kwargs["files"] = [("file", (name, upload(data, places))) for name, data in row.files]
    elif isinstance(row.body, bytes):
        kwargs["content"] = row.body
        kwargs["headers"] = {"content-type": "application/json"}
    elif row.body is not None:
        kwargs["json"] = fill_json(row.body, places)
    r = client.request(method, places.fill(path), **kwargs)
    if not r.headers.get("content-type", "").startswith("application/json"):
        return Outcome(r.status_code, "", [], other=r.text[:300])
    if r.status_code < 400:
        return Outcome(r.status_code, "", [])
    body = r.json()
    if set(body) != {"error", "field"}:
        return Outcome(r.status_code, "", [], other=r.text[:300])
    return Outcome(r.status_code, "", str(body["error"]).split("\n"), field=body["field"])


def upload(data, places: Places) -> bytes:
    """An uploaded file's bytes: a name of ``kinds.UPLOADS`` (a fixture or broken file, its
    path with placeholders), else the bytes given."""
    if isinstance(data, str):
        return Path(places.fill(UPLOADS[data])).read_bytes()
    return data


def fill_json(value, places: Places):
    if isinstance(value, str):
        return places.fill(value)
    if isinstance(value, list):
        return [fill_json(v, places) for v in value]
    if isinstance(value, dict):
        return {k: fill_json(v, places) for k, v in value.items()}
    return value


def fingerprint(*folders: Path) -> dict[str, object]:
    """{path: (size, mtime, inode, sha256)} of every file under the folders, "folder" for a
    folder: what a row must leave as it was. A file's hash is computed again only when its
    size, mtime or inode changed (a write changes them), so a row costs a walk of stats."""
    out = {}
    for folder in folders:
        for top, dirs, names in os.walk(folder):
            out.update((os.path.join(top, d), "folder") for d in dirs)
            for name in names:
                path = os.path.join(top, name)
                st = os.stat(path)
                key = (path, st.st_size, st.st_mtime_ns, st.st_ino)
                if key not in HASHES:
                    HASHES[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                out[path] = key[1:] + (HASHES[key],)
    return out


HASHES: dict[tuple, str] = {}


def watched(places: Places) -> tuple[Path, ...]:
    """The folders no row may change: the fixtures' copy and the broken files."""
    return (places.root,)
