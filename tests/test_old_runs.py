"""Run folders written before the config had sections (elman at 8f14f83, tests/fixtures/v0)
still load, evaluate, predict and resume, with the outputs that code printed."""

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


def blocks(name: str) -> list[tuple[list[str], str]]:
    """[(argv, expected stdout)] of a file written by check.sh."""
    out = []
    for block in (V0 / name).read_text(encoding="utf-8").split("\n\n$ elman ")[0:]:
        head, _, body = block.removeprefix("$ elman ").partition("\n")
        out.append((shlex.split(head), body.rstrip("\n")))
    return out


CASES = blocks("expected_eval.txt") + blocks("expected_other.txt")


@pytest.mark.parametrize("argv, expected", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_an_old_run_answers_as_it_did(argv, expected, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(ROOT)
    argv = [a.replace("/tmp/elman-v0", str(tmp_path / "plot")) for a in argv]
    assert main(argv) == 0
    printed = capsys.readouterr().out.rstrip("\n").replace(str(tmp_path / "plot"),
                                                            "/tmp/elman-v0")
    assert printed == expected


def resumed_rows() -> dict[str, list[dict]]:
    """{run: the metrics rows after step 4 that resume.sh printed}."""
    rows, run = {}, None
    for line in (V0 / "expected_resume.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("$ elman train --resume"):
            run = line.split("/")[-1].split()[0]
        elif line.startswith("{"):
            rows.setdefault(run, []).append(ast.literal_eval(line))
    return rows


@pytest.mark.parametrize("name, rows", sorted(resumed_rows().items()))
def test_an_old_run_resumes_exactly(name, rows, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    run = tmp_path / name
    shutil.copytree(V0 / "runs" / name, run)
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
