"""The Task interface and what it buys: every task declares its options and commands, the CLI
and the trainer never name a task, help needs neither torch nor any task module, and the
package has no import circles."""

import ast
import json
import re
import subprocess
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from elman.tasks import TASKS, commands_of, get_task
from elman.tasks.base import Task
from elman.training.config import ModelConfig, TrainConfig

SRC = Path(__file__).resolve().parents[1] / "src" / "elman"
BRANCH = re.compile(r"""(\btask\b|\.task\b|get\(["']task["'])[^\n]*?(==|!=|\bin\b)"""
                    r"""|\b(SEQ2SEQ|LABELLING|SPEECH|EVAL)\b""")


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_declares_its_options_and_the_commands_the_registry_lists(name):
    cls = get_task(name)
    assert issubclass(cls, Task) and cls.name == name
    assert is_dataclass(cls.Options)
    for f in fields(cls.Options):
        assert {"parse", "help", "fixed"} <= set(f.metadata), f.name
        assert f.name not in {g.name for g in fields(ModelConfig) + fields(TrainConfig)}
    assert [c.name for c in cls.commands] == list(commands_of(name))
    for c in cls.commands:
        assert callable(getattr(cls, c.method)), c.method
    assert cls.Options() == cls.Options()                  # every setting has a default


def test_no_task_is_built_half_initialised():
    for path in (SRC / "tasks").glob("*.py"):
        assert "__new__" not in path.read_text(encoding="utf-8"), path.name


def test_nothing_outside_tasks_branches_on_a_task_name():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] == "tasks":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BRANCH.search(line.split("#", 1)[0]):
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert found == []


def test_the_trainer_and_the_cli_import_no_task_module():
    for part in ("training", "cli", "io"):
        for path in (SRC / part).glob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    assert not re.match(r"(elman\.)?tasks\.", node.module.lstrip(".")) or \
                        node.module.lstrip(".") == "tasks.base", (path.name, node.module)


def package_imports() -> dict[str, set[str]]:
    """{top-level unit of elman: the units it imports}, imports inside functions included,
    those for type checkers only (``if TYPE_CHECKING:``) left out."""
    edges: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        unit = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        here = list(rel.with_suffix("").parts)
        here = here[:-1]                   # the package a relative import starts from
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(sub) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for sub in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.level:
                base = here[:len(here) - (node.level - 1)]
                target = (base + (node.module.split(".") if node.module else []))
                names = target[:1] or [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("elman."):
                names = node.module.split(".")[1:2]
            else:
                continue
            edges.setdefault(unit, set()).update(n for n in names if n != unit)
    return edges


def test_no_import_circles():
    edges = package_imports()

    def reaches(start, goal, seen):
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False
    circles = sorted(u for u in edges if reaches(u, u, {u}))
    assert circles == []


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["eval", "--help"]])
def test_help_imports_neither_torch_nor_any_task(argv):
    code = (f"import sys\nfrom elman.cli import main\ntry:\n    main({argv!r})\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('elman.tasks.')"
            " or m in ('sacrebleu', 'sentencepiece', 'librosa')), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stderr.strip().splitlines()[-1] == "[]"
    assert "usage" in out.stdout


def test_train_help_of_a_task_shows_its_own_settings(capsys):
    from elman.cli import main
    with pytest.raises(SystemExit):
        main(["train", "--task", "lm", "--help"])
    text = capsys.readouterr().out
    assert "task lm" in text and "--split-blocks" in text and "--sample-length" in text


def test_saved_config_has_three_sections(tmp_path):
    from elman.training import resolve
    c = resolve(None, {"task": "lm", "level": "word", "lr": "0.01", "cell": "lstm"})
    d = json.loads(c.to_json())
    assert sorted(d) == ["model", "task", "train"]
    assert d["task"]["name"] == "lm" and d["task"]["level"] == "word"
    assert d["train"]["lr"] == 0.01 and d["model"]["cell"] == "lstm"
    assert "task" not in d["train"] and "level" not in d["train"]


def test_the_worked_example_of_docs_tasks_md_is_a_whole_task(tmp_path, monkeypatch, capsys):
    """The parity task of docs/tasks.md, as listed there, trains, evaluates, predicts,
    exports and resumes with one registry line and no change anywhere else."""
    import importlib.util

    import elman.tasks
    from elman.cli import main
    doc = (SRC.parents[1] / "docs" / "tasks.md").read_text(encoding="utf-8")
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "parity.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("elman.tasks.parity", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "elman.tasks.parity", module)
    spec.loader.exec_module(module)
    monkeypatch.setitem(elman.tasks.TASKS, "parity", ("parity:ParityTask", "eval export"))
    run = tmp_path / "run"
    assert main(["train", "--task", "parity", "--bits", "3", "--strings", "64", "--cell",
                 "lstm", "--hidden-sizes", "8", "--embed-dim", "4", "--batch-size", "8",
                 "--max-steps", "6", "--eval-every", "3", "--max-minutes", "none", "--quiet",
                 "--out", str(run)]) == 0
    assert "valid accuracy: " in capsys.readouterr().out
    saved = json.loads((run / "config.json").read_text())
    assert saved["task"] == {"name": "parity", "bits": 3, "strings": 64}
    strings = tmp_path / "strings.txt"
    strings.write_text("011\n111\n000\n", encoding="utf-8")
    assert main(["eval", str(run), "--data", str(strings), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["strings"] == 3 and 0 <= metrics["accuracy"] <= 1
    task = elman.tasks.get_task("parity")(module.Options(bits=3))
    from elman.io import checkpoint
    answers = task.predict([checkpoint.load(run).model], ["011", "111", "000"])
    assert all(isinstance(a, bool) for a in answers)
    assert main(["export", str(run), "--format", "numpy"]) == 0        # no onnx needed
    assert (run / "export-numpy" / "model.safetensors").exists()
    assert main(["train", "--resume", str(run), "--max-steps", "9", "--quiet"]) == 0
