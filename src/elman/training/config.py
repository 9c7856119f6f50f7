"""Run configuration in three sections: ``model`` (what to build), ``train`` (how to train it,
the same for every task) and ``task`` (the task's name and its own ``Options``).

Values come from, in increasing priority: the defaults (a character language model of the
built-in corpus, with no time budget), a recipe (``elman.recipes``; ``elman train`` alone
runs the recipe ``main``, the same model in four minutes), a YAML or TOML file
(``--config``) and command-line flags. A file may be flat (``lr: 0.001``, ``task: tag``) or
sectioned (``model: {cell: lstm}``, ``train: {lr: 0.001}``, ``task: {name: tag, char_dim:
32}``); a key that neither the sections nor the chosen task have is an error naming it and
the task. Every run folder and checkpoint keeps the resolved config as JSON::

    {"model": {...}, "train": {...}, "task": {"name": "tag", ...its options}}

Run folders written before the sections (with the settings of every task under ``model``
and ``train``, and the name of the task under ``train``) read the same: ``from_dict`` sorts
their keys into the sections and drops the settings of other tasks.
"""

import json
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import yaml

from .. import recipes
from ..errors import ElmanError, bad
from ..io import atomic
from ..options import (
    field_names,
    make,
    opt,
    parse_above,
    parse_bytes,
    parse_choice,
    parse_count,
    parse_flag,
    parse_fraction,
    parse_nonneg,
    parse_number,
    parse_optional,
    parse_positive,
    parse_positive_int,
    parse_sizes,
    parse_text,
    parse_value,
)
from ..reference.activations import NAMES as ACTIVATIONS
from ..tasks import TASKS, options_class

CELLS = ("elman", "lstm", "gru")          # elman.nn.cells.CELLS, without importing torch
RECURRENT_INITS = ("uniform", "identity", "orthogonal", "indrnn")     # elman.nn.init.RECURRENT_INITS
RECURRENT_CONSTRAINTS = ("none", "diagonal")      # elman.nn.init.RECURRENT_CONSTRAINTS
DEFAULT_TASK = "lm"


MAX_LR = 1000.0


def parse_lr(name, v):
    """A learning rate: > 0 and at most MAX_LR (Adam moves each weight by about lr a step:
    past this the first steps overflow float32 weights to inf and NaN)."""
    v = parse_positive(name, v)
    if v > MAX_LR:
        raise bad(name, f"a number > 0 and at most {MAX_LR:g} (larger steps overflow the "
                  "weights)", f"{v:g}")
    return v


@dataclass
class ModelConfig:
    """The network: cell, layer widths, embedding width, activation, dropout, directions."""

    cell: str = opt("gru", parse_choice(CELLS), "recurrent cell")
    hidden_sizes: list = opt([384], parse_sizes, "layer widths, e.g. 256 or 256,256", "H[,H...]")
    embed_dim: int = opt(64, parse_positive_int, "token embedding width (tasks that read "
                         "tokens)")
    activation: str = opt("tanh", parse_choice(sorted(ACTIVATIONS)), "f of the Elman cell")
    dropout: float = opt(0.2, parse_fraction, "dropout between layers and before the output")
    bidirectional: bool = opt(False, parse_flag, "add a reverse direction to every layer (of "
                              "the encoder, for encoder-decoders; not for language models)")
    recurrent_init: str = opt("uniform", parse_choice(RECURRENT_INITS), "W_R of every cell, "
                              "one (H, H) block per gate: uniform (torch's), identity (IRNN, "
                              "with --activation relu), orthogonal, or indrnn (diagonal: "
                              "U(0, 1) below the top layer, 1 in it)")
    recurrent_scale: float = opt(1.0, parse_number, "multiplies the initial W_R (e.g. 0.5 "
                                 "with identity: a scaled identity)")
    input_scale: float = opt(1.0, parse_number, "multiplies the initial W_F and b of every "
                             "cell (e.g. 0.01 with indrnn)")
    chrono: int = opt(0, parse_count, "T: chrono initialisation of the gated cells' biases "
                      "for dependencies up to T steps (forget gate log U(1, T-1); 0: torch's)",
                      "T")
    recurrent_constraint: str = opt("none", parse_choice(RECURRENT_CONSTRAINTS), "projects "
                                    "W_R after every optimizer step: none, or diagonal (each "
                                    "unit its own recurrence u, |u| <= 1: IndRNN, with "
                                    "--activation relu --recurrent-init identity)")


@dataclass
class TrainConfig:
    """Data, optimisation, budget, evaluation and output of one training run, any task."""

    data: str | None = opt(None, parse_optional(parse_text), "the training data: a file or "
                           "folder, as the task reads it (see elman train --task NAME --help)",
                           "PATH")
    valid: str | None = opt(None, parse_optional(parse_text), "validation data of the same "
                            "kind (default: a seeded valid_fraction of --data)", "PATH")
    valid_fraction: float = opt(0.1, parse_fraction, "fraction of the data held out for "
                                "validation")
    split_seed: int = opt(0, parse_count, "seed of the train/valid split")
    seq_len: int = opt(100, parse_positive_int, "steps per window (BPTT length)")
    batch_size: int = opt(32, parse_positive_int, "sequences per batch")
    bptt: str = opt("truncated", parse_choice(("truncated", "full")),
                    "truncated: stateful streams, state carried across windows; full: "
                    "shuffled independent windows, state reset every batch")
    optimizer: str = opt("adam", parse_choice(("adam", "sgd")), "optimizer")
    lr: float = opt(2e-3, parse_lr, "learning rate")
    momentum: float = opt(0.9, parse_fraction, "SGD momentum")
    weight_decay: float = opt(0.0, parse_nonneg, "L2 weight decay")
    lr_schedule: str = opt("plateau", parse_choice(("constant", "cosine", "step", "plateau")),
                           "after warmup: constant; cosine to 0 at max_steps or at the "
                           "max_minutes budget, whichever comes first; step: times "
                           "lr_gamma every lr_step_size steps; plateau: times lr_gamma after "
                           "each evaluation that does not improve the monitored validation figure")
    warmup: int = opt(0, parse_count, "steps of linear learning-rate warmup")
    lr_step_size: int = opt(1000, parse_positive_int, "steps between decays (lr_schedule=step)")
    lr_gamma: float = opt(0.5, parse_positive, "decay factor (lr_schedule=step or plateau)")
    lr_patience: int = opt(1, parse_positive_int, "plateau: decay after this many evaluations "
                           "in a row without a better monitored figure")
    ema: float | None = opt(None, parse_optional(parse_fraction), "keep an exponential moving "
                            "average of the weights, each step average = ema * average + "
                            "(1 - ema) * weights (e.g. 0.998); validation, best/ and so "
                            "predictions use the average (none: the weights themselves)")
    clip: float | None = opt(1.0, parse_optional(parse_positive), "clip the gradient norm to "
                             "this (none: no clipping)", fixed=False)
    max_steps: int = opt(100_000, parse_positive_int, "stop after this many optimizer steps",
                         fixed=False)
    max_minutes: float | None = opt(None, parse_optional(parse_positive), "stop after this "
                                    "many minutes of training even before max_steps (none: "
                                    "no time budget; the main job's is 4)", fixed=False)
    eval_every: int = opt(100, parse_positive_int, "validate (and checkpoint) every N steps",
                          fixed=False)
    eval_batches: int | None = opt(None, parse_optional(parse_positive_int), "validation "
                                   "batches per periodic evaluation (none: all; the final "
                                   "one uses all)", fixed=False)
    monitor: str = opt("auto", parse_text, "the validation figure that picks best/, early "
                       "stopping and plateau decays: loss (lower is better) or the task's own "
                       "(higher is better, e.g. accuracy, exact_match, bleu); auto: the task's "
                       "own", fixed=False)
    patience: int | None = opt(None, parse_optional(parse_positive_int), "stop after N "
                               "evaluations without a better monitored figure (none: never)",
                               fixed=False)
    diverge_factor: float | None = opt(10.0, parse_optional(parse_above(1)), "stop the run "
                                       "as diverged when the training loss of diverge_evals "
                                       "evaluations in a row is over this many times the "
                                       "running median of its good ones (the first batch's "
                                       "and earlier evaluations'; none: only a loss that is "
                                       "not finite stops it)", fixed=False)
    diverge_evals: int = opt(3, parse_positive_int, "suspect evaluations in a row that stop "
                             "the run (a suspect one writes neither checkpoint/ nor best/)",
                             fixed=False)
    skip_bad_batches: bool = opt(False, parse_flag, "skip a batch whose loss or gradient norm "
                                 "is not finite, or whose loss is over diverge_factor times "
                                 "the running median, instead of stopping (an evaluation with "
                                 "more than half its batches skipped is suspect)", fixed=False)
    diagnose_every: int | None = opt(None, parse_optional(parse_positive_int), "record the "
                                     "gradient flow (elman diagnose: ||dL/da_t|| per step and "
                                     "layer, ||W_R||_2, step Jacobians) of the first "
                                     "validation batch every N steps into diagnostics.jsonl "
                                     "(none: never)", fixed=False)
    seed: int = opt(0, parse_count, "seed of initialisation, dropout and batch order")
    out: str | None = opt(None, parse_optional(parse_text), "run folder (default: "
                          "runs/<time>)", "DIR", fixed=False)
    device: str = opt("cpu", parse_text, "torch device: cpu, cuda, cuda:1, mps", fixed=False)
    max_memory: int | None = opt(None, parse_optional(parse_bytes), "memory the model and "
                                 "one training step may take, e.g. 64G (none: the memory "
                                 "available); an estimate over it stops the run before it "
                                 "allocates", "SIZE", fixed=False)
    quiet: bool = opt(False, parse_flag, "no progress bar", fixed=False)
    tensorboard: bool = opt(True, parse_flag, "also write TensorBoard event files in "
                            "RUN/tensorboard (losses, metrics, learning rate, gradient norm, "
                            "a language model's sample; needs the package tensorboard, "
                            "elman[tensorboard]: without it the run notes that and trains)",
                            fixed=False)


SECTIONS = {"model": ModelConfig, "train": TrainConfig}


@dataclass
class RunConfig:
    """A resolved run configuration: the task's name and the three sections."""

    task: str
    model: ModelConfig
    train: TrainConfig
    options: object                       # the task's Options

    def to_dict(self) -> dict:
        return {"model": asdict(self.model), "train": asdict(self.train),
                "task": {"name": self.task, **asdict(self.options)}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


def load_file(path, data_root: str | None = None) -> dict:
    """The raw mapping of a YAML (.yaml, .yml) or TOML (.toml) config file, with
    ``{data_root}`` in its strings replaced (``elman.recipes.data_root``)."""
    p = Path(path)
    if not p.is_file():
        raise bad("config", "an existing .yaml, .yml or .toml file", repr(str(p)))
    try:
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".toml":
            raw = tomllib.loads(text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            raw = yaml.safe_load(text)
        else:
            raise bad("config", "a file ending in .yaml, .yml or .toml", repr(str(p)))
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise bad("config", "valid YAML or TOML", f"{str(p)!r}: {first}") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise bad("config", "a mapping of settings", f"{type(raw).__name__} in {str(p)}")
    return recipes.fill(raw, recipes.data_root(data_root))


def task_of(raw: dict) -> str | None:
    """The name given by a raw mapping: ``task: NAME``, ``task: {name: NAME}`` or, from a
    run folder written before the sections, ``train: {task: NAME}``."""
    task = raw.get("task")
    if isinstance(task, dict):
        task = task.get("name")
    if task is None and isinstance(raw.get("train"), dict):
        task = raw["train"].get("task")
    return task


def sort_keys(raw: dict, where: str, task: str, options) -> dict:
    """Put each key of a flat or sectioned mapping into its section ("model", "train",
    "task"); a key that none of them has is an error naming the task."""
    out = {"model": {}, "train": {}, "task": {}}
    owner = {n: s for s, cls in SECTIONS.items() for n in field_names(cls)}
    owner.update(dict.fromkeys(field_names(options), "task"))
    for key, value in raw.items():
        if key == "task" and not isinstance(value, dict):
            continue                                   # the task's name
        if key in (*SECTIONS, "task") and isinstance(value, dict):
            known = field_names(SECTIONS[key]) if key in SECTIONS else field_names(options)
            for k, v in value.items():
                if k == ("name" if key == "task" else "task"):
                    continue                           # the task's name
                if k in known:
                    out[key][k] = v
                elif k in field_names(options):        # the task's own, in an older place
                    out["task"][k] = v
                else:
                    raise bad("config", f"{key} settings of the {task} task among "
                              f"{known}", f"unknown key {key}.{k} in {where}")
        elif key in owner:
            out[owner[key]][key] = value
        else:
            raise bad("config", f"settings of the {task} task (see elman train --task "
                      f"{task} --help)", f"unknown key {key!r} from {where}")
    return out


def resolve(file: str | None = None, overrides: dict | None = None, *,
            recipe: str | None = None, data_root: str | None = None) -> RunConfig:
    """Defaults <- recipe (a name of ``elman.recipes``) <- config file <- overrides (flat
    {setting: value}, e.g. from flags; ``task`` names the task). ``data_root`` fills the
    files' ``{data_root}``."""
    files = ([(recipes.path(recipe), f"recipe {recipe}")] if recipe else []) + \
        ([(file, str(file))] if file else [])
    layers = [(load_file(f, data_root), where) for f, where in files]
    layers.append((dict(overrides or {}), "the flags"))
    task = DEFAULT_TASK
    for raw, _ in layers:
        task = task_of(raw) or task
    task = parse_choice(tuple(TASKS))("task", task)
    options = options_class(task)
    values = {"model": {}, "train": {}, "task": {}}
    for raw, where in layers:
        for section, vals in sort_keys(raw, where, task, options).items():
            values[section].update(vals)
    return build(task, values)


def build(task: str, values: dict) -> RunConfig:
    options = options_class(task)
    return RunConfig(task, make(ModelConfig, values["model"]),
                     make(TrainConfig, values["train"]),
                     make(options, values["task"], owner=f"the {task} task"))


def from_dict(d: dict) -> RunConfig:
    """Read back a saved config (a run folder's or checkpoint's config.json), in sections or
    in the flat format before them."""
    task = parse_choice(tuple(TASKS))("task", task_of(d) or DEFAULT_TASK)
    options = options_class(task)
    if isinstance(d.get("task"), dict):
        sections = {k: d.get(k, {}) for k in ("model", "train", "task")}
        return build(task, sort_keys(sections, "config.json", task, options))
    known = {**dict.fromkeys(field_names(ModelConfig), "model"),
             **dict.fromkeys(field_names(TrainConfig), "train"),
             **dict.fromkeys(field_names(options), "task")}
    values = {"model": {}, "train": {}, "task": {}}
    for section in ("model", "train"):
        if not isinstance(d.get(section) or {}, dict):
            raise bad("config", f"the {section} settings as an object",
                      type(d[section]).__name__)
        for k, v in (d.get(section) or {}).items():
            if k in known:                    # the rest: settings of other tasks
                values[known[k]][k] = v
    return build(task, values)


def from_saved(d: dict, where) -> RunConfig:
    """``from_dict`` of a checkpoint's config.json (at ``where``): a setting it refuses is a
    checkpoint error naming the file, not one the user seems to have given."""
    try:
        return from_dict(d)
    except ElmanError as e:
        raise bad("checkpoint", f"settings in {str(where)!r} that elman accepts",
                  str(e)) from None


def resumed(saved: dict, run, overrides: dict | None = None, where="config.json"
            ) -> RunConfig:
    """The config of the run to resume (``saved``: its checkpoint's config.json) with the
    allowed overrides (budget, evaluation, output); changing a fixed setting is an error."""
    config = from_saved(saved, where)
    options = type(config.options)
    given = sort_keys(overrides or {}, "the flags", config.task, options)
    if task_of(overrides or {}) not in (None, config.task):
        raise bad("task", f"the resumed run's task {config.task!r} (it is fixed on resume)",
                  repr(task_of(overrides)))
    sections = {"model": config.model, "train": config.train, "task": config.options}
    for section, current in sections.items():
        cls = type(current)
        for name, value in given[section].items():
            value = given[section][name] = parse_value(cls, name, value)
            fixed = section == "model" or field_of(cls, name).metadata["fixed"]
            if fixed and value != getattr(current, name):
                raise bad(name, f"the resumed run's value {getattr(current, name)!r} (it is "
                          "fixed on resume)", repr(value))
    return RunConfig(config.task, config.model,
                     replace(config.train, **given["train"], out=str(run)),
                     replace(config.options, **given["task"]))


def resume_file(run) -> Path:
    """The config.json that resuming the run folder ``run`` reads: its checkpoint's or, for
    a run stopped before its first checkpoint, the folder's own (the run starts over)."""
    run = Path(run)
    saved = atomic.resolve(run / "checkpoint")
    if saved.is_dir():
        return saved / "config.json"
    if (run / "model.safetensors").is_file():
        raise bad("resume", "a run folder (the one holding checkpoint/ and best/)",
                  f"the checkpoint folder {str(run)!r}")
    if (run / "config.json").is_file():
        return run / "config.json"
    if not run.is_dir():
        raise bad("resume", "a run folder", f"{str(run)!r} (no such folder)" if not
                  run.exists() else f"the file {str(run)!r}")
    raise bad("resume", "a run folder holding checkpoint/ or config.json", f"{str(run)!r} "
              "with neither (it stopped before writing its config; train it again with "
              f"--out {str(run)!r})")


def field_of(cls, name: str):
    return next(f for f in fields(cls) if f.name == name)


def fixed(cls) -> list[str]:
    """The settings of a section that a resumed run must keep."""
    return [f.name for f in fields(cls) if f.metadata["fixed"]]
