"""Committed fixture runs still load, evaluate, predict and resume, with the outputs recorded
when they were made: tests/fixtures/v0, written before the config had sections (elman at
8f14f83), and tests/fixtures/v1, the tasks added since (format 2)."""

import ast
import json
import shlex
import shutil
from pathlib import Path

import pytest

from elman.cli import main
from elman.tasks import TASKS
from elman.training.trainer import resume_config, train

ROOT = Path(__file__).resolve().parents[1]
V0 = ROOT / "tests" / "fixtures" / "v0"
V1 = ROOT / "tests" / "fixtures" / "v1"


def blocks(path: Path) -> list[tuple[list[str], str]]:
    """[(argv, expected stdout)] of a file written by check.sh."""
    out = []
    for block in path.read_text(encoding="utf-8").split("\n\n$ elman ")[0:]:
        head, _, body = block.removeprefix("$ elman ").partition("\n")
        out.append((shlex.split(head), body.rstrip("\n")))
    return out


CASES = [case for folder in (V0, V1) for name in ("expected_eval.txt", "expected_other.txt")
         for case in blocks(folder / name)]


@pytest.mark.parametrize("argv, expected", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_an_old_run_answers_as_it_did(argv, expected, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(ROOT)
    argv = [a.replace("/tmp/elman-v0", str(tmp_path / "plot")) for a in argv]
    assert main(argv) == 0
    printed = capsys.readouterr().out.rstrip("\n").replace(str(tmp_path / "plot"),
                                                            "/tmp/elman-v0")
    assert printed == expected


def resumed_rows(folder: Path) -> dict[str, list[dict]]:
    """{run: the metrics rows after step 4 that the folder's resume.sh printed}."""
    rows, run = {}, None
    for line in (folder / "expected_resume.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("$ elman train --resume"):
            run = line.split("/")[-1].split()[0]
        elif line.startswith("{"):
            rows.setdefault(run, []).append(ast.literal_eval(line))
    return rows


RESUMED = [(folder, name, rows) for folder in (V0, V1)
           for name, rows in sorted(resumed_rows(folder).items())]


@pytest.mark.parametrize("folder, name, rows", RESUMED,
                         ids=[f"{f.name}-{n}" for f, n, _ in RESUMED])
def test_an_old_run_resumes_exactly(folder, name, rows, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    run = tmp_path / name
    shutil.copytree(folder / "runs" / name, run)
    train(resume_config(run, {"max_steps": 6, "quiet": True}), resume=run, log=lambda *a: None)
    got = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    got = [r for r in got if r["step"] > 4]
    for want, row in zip(rows, got, strict=True):
        for key, value in want.items():
            if value is not None:          # the old code wrote bpc: null for other tasks
                assert row[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    saved = json.loads((run / "checkpoint" / "config.json").read_text())
    assert saved["format"] == 2 and saved["task"]["name"] in TASKS     # now in sections
    assert "task" not in saved["train"]
