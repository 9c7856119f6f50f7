"""Fuzzing elman's readers with Hypothesis: every input either reads or is refused with an
``ElmanError`` (the one-line ``ARGUMENT: expected ..., got ...``); any other exception is a
defect, which Hypothesis shrinks to a smallest input and prints.

    python benchmarks/fuzz.py                        # 100,000 inputs over all the readers
    python benchmarks/fuzz.py --inputs 5000 --reader conllu --reader checkpoint-config

The readers are those a user's file reaches: the text of the language model (characters and
words), the classifier's TSV and CSV, the tagger's CoNLL-U, the translator's sentence pairs,
the digits' WAV files (as transcribe reads them), the music's JSON pieces, the forecaster's series CSV, and a run
folder's JSON files (config.json, task.json, vocab.json, trainer_state.json). Text readers
run as training starts them (``Task.setup``: reading, splitting, the vocabulary and the
batches); a WAV file as the digits fixture run transcribes it (a path and an upload's bytes);
a run folder's files as ``elman.cli.load_run`` (with
``checkpoint.load(training=True)`` and the trainer's checks for trainer_state.json).

An input is a mutation of a valid file of tests/fixtures/v0 (bytes flipped, cut, repeated,
or replaced by tokens that readers special-case: separators, ``_``, ``nan``, ``-1``, huge
numbers, invalid UTF-8, ...), arbitrary bytes, or, for the JSON files, the valid object with
one value replaced by any JSON value or one key dropped. ``tests/test_fuzz.py`` runs the
same readers with a few dozen inputs each.

Prints one table: per reader the inputs tried, read, refused, other exceptions and seconds.
"""

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "v0"
DATA, RUNS = FIXTURES / "data", FIXTURES / "runs"
TOKENS = [b"\t", b"\n", b"\r\n", b" ", b",", b"_", b"#", b'"', b"-", b"-1", b"0", b"nan",
          b"inf", b"-inf", b"1e999", b"99999999999999999999", b"\x00", b"\xff\xfe", b"\xe9",
          b"[", b"]", b"{", b"}", b"null", b"true", b"\xef\xbb\xbf", b"\t_\t_\t_\t", b"1-2",
          b"# text = x\n", b"\n\n"]


@dataclass(frozen=True)
class Reader:
    """A reader to fuzz: its valid seed file, the name the fuzzed bytes are written under
    (inside a fresh folder) and ``read(path)``, which reads that file or folder as elman
    does."""

    seed: Path
    name: str
    read: Callable[[Path], object]
    json: bool = False


# --- how each reader is reached ----------------------------------------------------------


def setup(task: str, **options) -> Callable[[Path], object]:
    """Read a file as ``elman train --task TASK --data FILE`` starts a run."""
    def read(path: Path):
        from elman.options import make
        from elman.tasks import get_task, options_class
        from elman.training.config import TrainConfig
        t = get_task(task)(make(options_class(task), options))
        with contextlib.redirect_stdout(io.StringIO()):
            t.setup(make(TrainConfig, {"data": str(path), "batch_size": 4, "seq_len": 8}))
    return read


def wav(path: Path):
    """A WAV file transcribed by the digits fixture run, as ``elman transcribe RUN FILE``
    reads it (a path) and as ``elman serve`` does (an upload's bytes)."""
    from elman.cli import load_run
    run, task = load_run(RUNS / "digits")
    task.predict([run.model], [str(path)])
    task.predict_wavs([run.model], [path.read_bytes()])


def run_folder(path: Path):
    """The checkpoint folder holding the fuzzed file, loaded as a trained run and for
    resuming (the trainer's checks of trainer_state.json included)."""
    from elman.cli import load_run
    from elman.io import checkpoint
    from elman.training.trainer import checked_state
    load_run(path.parent)
    ck = checkpoint.load(path.parent, training=True)
    checked_state(ck.trainer_state, path.parent / checkpoint.TRAINER)


READERS = {
    "text": Reader(DATA / "tiny.txt", "corpus.txt", setup("lm")),
    "text-words": Reader(DATA / "tiny.txt", "corpus.txt", setup("lm", level="word")),
    "tsv": Reader(DATA / "classify.tsv", "data.tsv", setup("classify")),
    "csv": Reader(DATA / "classify.tsv", "data.csv", setup("classify")),
    "conllu": Reader(DATA / "tag.conllu", "data.conllu", setup("tag")),
    "pairs": Reader(DATA / "pairs.tsv", "pairs.tsv", setup("translate")),
    "wav": Reader(DATA / "wavs" / "0_alice_0.wav", "3_carol_7.wav", wav),
    "music": Reader(DATA / "music.json", "pieces.json", setup("music"), json=True),
    "series": Reader(DATA / "series.csv", "series.csv", setup("forecast", window=12)),
    "checkpoint-config": Reader(RUNS / "classify" / "checkpoint" / "config.json",
                                "config.json", run_folder, json=True),
    "checkpoint-task": Reader(RUNS / "tag" / "checkpoint" / "task.json", "task.json",
                              run_folder, json=True),
    "checkpoint-vocab": Reader(RUNS / "lm" / "checkpoint" / "vocab.json", "vocab.json",
                               run_folder, json=True),
    "trainer-state": Reader(RUNS / "lm" / "checkpoint" / "trainer_state.json",
                            "trainer_state.json", run_folder, json=True),
}


def seed_bytes(reader: Reader) -> bytes:
    data = reader.seed.read_bytes()
    if reader.name.endswith(".csv") and reader.seed.suffix == ".tsv":
        data = data.replace(b"\t", b",")
    return data


def folder_of(reader: Reader, where: Path) -> Path:
    """A fresh folder for ``reader``'s inputs: a copy of the seed's checkpoint folder for a
    run folder's file, else empty."""
    folder = Path(tempfile.mkdtemp(dir=where))
    if reader.read is run_folder:
        shutil.copytree(reader.seed.parent, folder, dirs_exist_ok=True)
    return folder


# --- inputs ------------------------------------------------------------------------------


def mutate(data: bytes, edits: list[tuple[int, int, int, bytes]]) -> bytes:
    """Apply edits (kind, at, span, bytes): 0 replace data[at:at+span] by bytes, 1 delete it,
    2 repeat it, 3 flip a byte, 4 cut the rest."""
    for kind, at, span, piece in edits:
        at = at % (len(data) + 1)
        if kind == 0:
            data = data[:at] + piece + data[at + span:]
        elif kind == 1:
            data = data[:at] + data[at + span:]
        elif kind == 2:
            data = data[:at] + data[at:at + span] * 3 + data[at:]
        elif kind == 3 and at < len(data):
            data = data[:at] + bytes([data[at] ^ (1 << span % 8)]) + data[at + 1:]
        elif kind == 4:
            data = data[:at]
    return data


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=8)


def paths(value, prefix=()) -> list[tuple]:
    """The key paths of every value inside a JSON value."""
    found = [prefix]
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found += paths(v, prefix + (k,))
    return found


def edit_json(value, path: tuple, new, drop: bool):
    """A copy of ``value`` with the value at ``path`` replaced by ``new`` (or dropped)."""
    if not path:
        return new
    value = json.loads(json.dumps(value))
    inner = value
    for k in path[:-1]:
        inner = inner[k]
    if drop:
        del inner[path[-1]]
    else:
        inner[path[-1]] = new
    return value


def json_inputs(data: bytes) -> st.SearchStrategy[bytes]:
    valid = json.loads(data)
    where = paths(valid)
    return st.builds(lambda i, new, drop: json.dumps(edit_json(valid, where[i], new, drop))
                     .encode(), st.integers(0, len(where) - 1), JSON_VALUES, st.booleans())


def inputs(reader: Reader) -> st.SearchStrategy[bytes]:
    """Mutations of the seed, arbitrary bytes and, for JSON, one value changed."""
    data = seed_bytes(reader)
    edit = st.tuples(st.integers(0, 4), st.integers(0, len(data)), st.integers(0, 64),
                     st.sampled_from(TOKENS) | st.binary(max_size=8))
    mutated = st.lists(edit, min_size=1, max_size=6).map(lambda edits: mutate(data, edits))
    options = [mutated, mutated, st.binary(max_size=400)]
    if reader.json:
        options += [json_inputs(data)] * 3
    return st.one_of(options)


# --- running -----------------------------------------------------------------------------


def fuzz(name: str, n: int, where: Path, counts: Counter | None = None) -> Counter:
    """Feed ``n`` inputs to the reader ``name``; count them as read, refused or other; an
    exception other than ElmanError propagates (Hypothesis shrinks it first)."""
    from elman.errors import ElmanError
    reader, counts = READERS[name], Counter() if counts is None else counts
    folder = folder_of(reader, where)
    target = folder / reader.name

    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(inputs(reader))
    def one(data: bytes):
        target.write_bytes(data)
        counts["tried"] += 1
        try:
            reader.read(target)
        except ElmanError:
            counts["refused"] += 1
        else:
            counts["read"] += 1

    one()
    shutil.rmtree(folder, ignore_errors=True)
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs in all, shared "
                        "equally by the readers (default 100,000)")
    parser.add_argument("--reader", action="append", choices=sorted(READERS),
                        help="fuzz only this reader (repeatable)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    torch.set_num_threads(1)
    names = args.reader or list(READERS)
    each = max(1, args.inputs // len(names))
    print(f"# fuzz: {each:,} inputs per reader, {platform.processor() or platform.machine()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| reader | inputs | read | refused (ElmanError) | other exceptions | seconds |")
    print("|---|---|---|---|---|---|")
    total, failed = Counter(), []
    with tempfile.TemporaryDirectory() as where:
        for name in names:
            counts, t = Counter(), time.monotonic()
            try:
                fuzz(name, each, Path(where), counts)
            except Exception as e:      # noqa: BLE001 - the defect found, reported below
                counts["other"] += 1
                failed.append(f"{name}: {type(e).__name__}: {e}")
            total.update(counts)
            print(f"| {name} | {counts['tried']:,} | {counts['read']:,} | "
                  f"{counts['refused']:,} | {counts['other']} | "
                  f"{time.monotonic() - t:.0f} |", flush=True)
    print(f"| all | {total['tried']:,} | {total['read']:,} | {total['refused']:,} | "
          f"{total['other']} | |")
    for line in failed:
        print(f"\nFAILED {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
