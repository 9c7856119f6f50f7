"""Fuzzing every reader a user's file reaches (issue 21): Hypothesis feeds each a few dozen
mutated files, and each must read them or refuse them with an ElmanError, never another
exception. ``benchmarks/fuzz.py`` runs the same readers with 100,000 inputs;
``ELMAN_FUZZ_INPUTS`` sets how many each reader gets here (40)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import fuzz  # noqa: E402  (benchmarks/fuzz.py)

INPUTS = int(os.environ.get("ELMAN_FUZZ_INPUTS", "40"))


@pytest.mark.parametrize("name", sorted(fuzz.READERS))
def test_a_reader_reads_or_refuses_every_input(name, tmp_path):
    counts = fuzz.fuzz(name, INPUTS, tmp_path)
    assert counts["tried"] == INPUTS
    assert counts["read"] + counts["refused"] == INPUTS


def test_the_mutations_reach_both_outcomes_and_the_seeds_read(tmp_path):
    """The inputs are neither all refused (a harness that breaks every file) nor all read;
    each valid seed file reads."""
    for name, reader in fuzz.READERS.items():
        folder = fuzz.folder_of(reader, tmp_path)
        (folder / reader.name).write_bytes(fuzz.seed_bytes(reader))
        reader.read(folder / reader.name)
    counts = fuzz.fuzz("conllu", 60, tmp_path)
    assert counts["read"] > 0 and counts["refused"] > 0


def test_a_reader_that_raises_something_else_fails_the_fuzzing(tmp_path, monkeypatch):
    def broken(path):
        if b"\t" in path.read_bytes():
            raise KeyError("tab")
    monkeypatch.setitem(fuzz.READERS, "tsv", fuzz.READERS["tsv"].__class__(
        fuzz.DATA / "classify.tsv", "data.tsv", broken))
    with pytest.raises(KeyError):
        fuzz.fuzz("tsv", 20, tmp_path)
