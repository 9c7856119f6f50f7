"""Recipes: the shipped config files behind docs/benchmarks.md, read by `elman train --recipe`,
`elman recipes`, the README, the docs and benchmarks/*.py alike; only the main job has a time
budget."""

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from elman import recipes
from elman.cli import main
from elman.training.config import TrainConfig, resolve

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
TINY = ["--hidden-sizes", "8", "--embed-dim", "8", "--quiet"]
LM = [*TINY, "--sample-length", "0"]


def raw(name: str) -> dict:
    return yaml.safe_load(recipes.path(name).read_text(encoding="utf-8"))


def test_the_shipped_recipes_and_the_main_job_first():
    names = recipes.names()
    assert names[0] == "main" and len(names) == len(set(names)) >= 11
    assert {"ud-upos", "sst2", "sst2-wordllama", "fsdd-digits", "fsdd-digit-sequences",
            "jsb-chorales", "nottingham", "sunspots", "sort", "eng-fra"} <= set(names)


@pytest.mark.parametrize("name", recipes.names())
def test_a_recipe_states_its_steps_and_only_main_a_time_budget(name):
    train = raw(name)["train"]
    assert recipes.summary(name)
    if name == "main":
        assert train == {"max_minutes": 4}
    else:
        assert "max_minutes" not in train and train["max_steps"] > 0
    config = resolve(recipe=name, data_root="/data")
    assert config.train.max_minutes == (4.0 if name == "main" else None)
    for path in (config.train.data, config.train.valid):
        assert path is None or path.startswith("/data/")


@pytest.mark.parametrize("name", recipes.names())
def test_a_recipes_data_is_in_the_shared_folder(name):
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    config = resolve(recipe=name, data_root=str(SHARED))
    for path in (config.train.data, config.train.valid):
        assert path is None or Path(path).exists(), path


def test_no_default_time_budget_outside_the_main_job():
    assert TrainConfig().max_minutes is None
    assert resolve().train.max_minutes is None


def test_the_data_root_comes_from_the_flag_the_environment_or_the_default(monkeypatch):
    monkeypatch.delenv("ELMAN_DATA_ROOT", raising=False)
    assert resolve(recipe="sst2").train.data == "../shared/data/sst2/train.tsv"
    monkeypatch.setenv("ELMAN_DATA_ROOT", "/env/")
    assert resolve(recipe="sst2").train.data == "/env/sst2/train.tsv"
    assert resolve(recipe="sst2", data_root="/flag").train.valid == "/flag/sst2/dev.tsv"


def test_a_config_file_may_use_the_data_root_too(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("task: classify\ntrain:\n  data: '{data_root}/mine.tsv'\n")
    assert resolve(str(cfg), data_root="/d").train.data == "/d/mine.tsv"


def test_elman_train_alone_is_the_main_recipe_and_task_lm_is_not(tmp_path):
    args = [*LM, "--max-steps", "2", "--eval-every", "2"]
    assert main(["train", "--out", str(tmp_path / "a"), *args]) == 0
    assert main(["train", "--task", "lm", "--out", str(tmp_path / "b"), *args]) == 0
    a = json.loads((tmp_path / "a" / "config.json").read_text())
    b = json.loads((tmp_path / "b" / "config.json").read_text())
    assert a["train"]["max_minutes"] == 4 and b["train"]["max_minutes"] is None
    a["train"].pop("max_minutes"), b["train"].pop("max_minutes")
    a["train"].pop("out"), b["train"].pop("out")
    assert a == b


def test_train_from_a_recipe_with_flags_winning(tmp_path, capsys):
    out = tmp_path / "sort"
    assert main(["train", "--recipe", "sort", "--out", str(out), "--max-steps", "2",
                 "--eval-every", "2", "--valid-size", "20", *TINY]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["task"]["name"] == "sort" and saved["task"]["vocab"] == 100
    assert saved["task"]["attention"] == "multiplicative"
    assert saved["train"]["lr_schedule"] == "cosine" and saved["train"]["max_steps"] == 2
    assert saved["model"]["hidden_sizes"] == [8]
    assert "budget" not in capsys.readouterr().out


def test_the_printed_recipe_is_a_config_file(tmp_path, capsys):
    assert main(["recipes", "sort"]) == 0
    cfg = tmp_path / "sort.yaml"
    cfg.write_text(capsys.readouterr().out)
    assert resolve(str(cfg)) == resolve(recipe="sort")


def test_elman_recipes_lists_every_recipe(capsys):
    assert main(["recipes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in recipes.names():
        assert any(line.startswith(f"{name} ") and recipes.summary(name) in line
                   for line in lines)


def test_a_time_cap_before_the_steps_says_so_on_the_last_line(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "r"), "--max-minutes", "0.0005",
                 "--eval-every", "1000", *LM]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert re.fullmatch(r"the 0.0005-minute budget \(max_minutes\) stopped the run at step "
                        r"[\d,]+, before its max_steps 100,000", last), last


@pytest.mark.parametrize("argv, message", [
    (["--recipe", "nope"], "recipe: expected one of main, "),
    (["--recipe", "sort", "--resume", "x"], "recipe: expected none when resuming"),
])
def test_recipe_errors_are_one_line(argv, message, capsys):
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("elman: error: " + message), err


def recipe_names_in(text: str) -> set[str]:
    return set(re.findall(r"--recipe ([a-z0-9][\w-]*)", text))


def test_the_readme_and_docs_train_from_recipes_that_exist():
    names = set(recipes.names())
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert recipe_names_in(doc.read_text(encoding="utf-8")) <= names, doc
    readme = recipe_names_in((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme >= names - {"main", "nottingham", "sst2"}


def test_every_recipe_backs_a_figure_of_the_benchmarks_page():
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `([\w-]+)` \|", page, re.M)) == set(recipes.names())
    assert recipe_names_in(page) <= set(recipes.names())


def test_the_training_benchmarks_read_the_recipes():
    """Each benchmark names recipes that exist and sets no model or training value of its
    own beyond its --quick overrides, the cell, seed and the attention variant."""
    used = set()
    for script in ("text", "speech", "signals", "seq2seq", "frames", "reply"):
        source = (ROOT / "benchmarks" / f"{script}.py").read_text(encoding="utf-8")
        assert "--data-root" in source or "add_arguments" in source
        strings = {n.value for n in ast.walk(ast.parse(source))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        used |= strings & set(recipes.names())
    assert used == set(recipes.names()) - {"main"}
