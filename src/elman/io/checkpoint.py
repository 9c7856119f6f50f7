"""Checkpoints: a folder that rebuilds a trained model, and resumes its training, by itself.

======================== ========================================================================
config.json              {"format", "architecture", "arguments" (constructor args), "model",
                         "train", "task" (the resolved run config, ``elman.training.config``)}
vocab.json               the vocabulary (``Vocab.to_dict``); absent when the model reads
                         features, not tokens (no embedding)
task.json                what else the task needs to read its data and outputs, e.g. the label
                         set and the character vocabulary of a tagger (when the task has any)
model.safetensors        the model's state_dict
optimizer.safetensors    the optimizer's tensors, ``state.{param index}.{name}``  (resume only)
trainer_state.json       step, data position, best validation loss, RNG state, scheduler and
                         optimizer settings  (resume only)
stream_state.safetensors the state carried between truncated-BPTT windows (resume only, when
                         there is one)
average.safetensors      the moving average of the weights (resume only, with ``ema``)
======================== ========================================================================

Every file is written atomically and the folder is swapped in whole (``elman.io.atomic``).
``format`` is the version of this layout (docs/format.md): ``load`` reads OLDEST to FORMAT
and refuses another, saying whether a newer or an older elman wrote it.
Loading reads only JSON and safetensors (no pickle, so no code runs from a file) and checks
every file, tensor name and shape against the architecture in config.json, and that every
weight is finite; any problem is one ``checkpoint: expected ..., got ...`` error naming the
file.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import safetensors.torch
import torch
from torch import nn

from ..data.vocab import Vocab
from ..errors import ElmanError, bad
from ..models import architecture_of, build
from .atomic import FolderWriter, resolve, write_bytes, write_text

MODEL, CONFIG, VOCAB = "model.safetensors", "config.json", "vocab.json"
OPTIMIZER, TRAINER = "optimizer.safetensors", "trainer_state.json"
STREAM, META, AVERAGE = "stream_state.safetensors", "task.json", "average.safetensors"
FORMAT = 2          # 1: the run config without sections, the task's name at the top
OLDEST = 1          # the oldest format this elman reads


@dataclass
class Checkpoint:
    """What ``load`` returns. trainer_state, optimizer, stream and average are None unless
    saved."""

    path: Path
    model: nn.Module
    vocab: Vocab | None
    config: dict
    trainer_state: dict | None = None
    optimizer: dict[str, torch.Tensor] | None = None
    stream: dict[str, torch.Tensor] | None = None
    meta: dict | None = None
    average: dict[str, torch.Tensor] | None = None


# --- saving -----------------------------------------------------------------------------


def save(target, model: nn.Module, vocab: Vocab | None, run_config: dict,
         trainer_state: dict | None = None, optimizer: torch.optim.Optimizer | None = None,
         stream: dict[str, torch.Tensor] | None = None, meta: dict | None = None,
         average: nn.Module | None = None) -> Path:
    """Write a checkpoint folder at ``target`` (replacing any old one as a whole);
    ``run_config``: the run's config in sections ({"model", "train", "task"})."""
    config = {"format": FORMAT, "architecture": architecture_of(model),
              "arguments": model.config, **run_config}
    with FolderWriter(target) as tmp:
        write_text(tmp / CONFIG, json.dumps(config, indent=2) + "\n")
        if vocab is not None:
            write_text(tmp / VOCAB, json.dumps(vocab.to_dict(), ensure_ascii=False) + "\n")
        write_bytes(tmp / MODEL, _tensor_bytes(model.state_dict()))
        if meta is not None:
            write_text(tmp / META, json.dumps(meta, ensure_ascii=False) + "\n")
        if optimizer is not None:
            tensors, meta = optimizer_tensors(optimizer)
            write_bytes(tmp / OPTIMIZER, _tensor_bytes(tensors))
            trainer_state = {**(trainer_state or {}), "optimizer": meta}
        if trainer_state is not None:
            write_text(tmp / TRAINER, json.dumps(trainer_state, indent=2) + "\n")
        if stream:
            write_bytes(tmp / STREAM, _tensor_bytes(stream))
        if average is not None:
            write_bytes(tmp / AVERAGE, _tensor_bytes(average.state_dict()))
    return Path(target)


def _tensor_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    return safetensors.torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()})


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """Split an optimizer's state_dict into tensors (for safetensors) and JSON settings."""
    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for i, state in sd["state"].items():
        for name, v in state.items():
            if isinstance(v, torch.Tensor):
                tensors[f"state.{i}.{name}"] = v
            else:
                scalars[f"{i}.{name}"] = v
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


# --- loading ----------------------------------------------------------------------------


def find(path) -> Path:
    """The checkpoint folder of ``path``: itself if it holds model.safetensors, else its
    ``best/``, else its ``checkpoint/`` (a run folder)."""
    p = resolve(path)
    if not p.is_dir():
        raise bad("checkpoint", "a run folder or a checkpoint folder", repr(str(path)))
    if (p / MODEL).exists():
        return p
    for name in ("best", "checkpoint"):
        q = resolve(p / name)
        if q.is_dir():
            return q
    raise bad("checkpoint", f"a folder holding {MODEL}, best/ or checkpoint/",
              f"{str(p)!r} with none of them")


def load(path, training: bool = False, map_location: str = "cpu") -> Checkpoint:
    """Load and check a checkpoint folder (or a run folder: its best model). ``training``
    also reads the optimizer, trainer and stream state needed to resume."""
    d = find(path)
    config = read_object(d / CONFIG)
    check_format(config.get("format"), d / CONFIG)
    for key in ("architecture", "arguments"):
        if key not in config:
            raise bad("checkpoint", f"the key {key!r} in {str(d / CONFIG)!r}", "no such key")
    model = _built(config, read_tensors(d / MODEL), d / MODEL)
    embedding = getattr(model, "embedding", None)
    reads_tokens = isinstance(embedding, nn.Embedding)
    vocab = _vocab(d) if reads_tokens or (d / VOCAB).exists() else None
    if reads_tokens and embedding.num_embeddings != len(vocab):
        raise bad("checkpoint", f"a vocabulary of {embedding.num_embeddings} tokens in {VOCAB}",
                  f"{len(vocab)} tokens")
    meta = read_object(d / META) if (d / META).exists() else None
    ck = Checkpoint(d, model.to(map_location), vocab, config, meta=meta)
    if training:
        ck.trainer_state = read_object(d / TRAINER)
        ck.optimizer = read_tensors(d / OPTIMIZER)
        ck.stream = read_tensors(d / STREAM) if (d / STREAM).exists() else None
        ck.average = read_tensors(d / AVERAGE) if (d / AVERAGE).exists() else None
    return ck


def check_format(version, where: Path):
    """Refuse a config.json whose "format" this elman does not read, saying which elman
    wrote it."""
    want = f"a checkpoint of format {OLDEST} to {FORMAT} (what this elman reads)"
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad("checkpoint", f"{want}, an integer under 'format' in {str(where)!r}",
                  "no format" if version is None else repr(version))
    if version > FORMAT:
        raise bad("checkpoint", want, f"format {version} in {str(where)!r}, written by a "
                  "newer elman: upgrade elman to load it")
    if version < OLDEST:
        raise bad("checkpoint", want, f"format {version} in {str(where)!r}, written by an "
                  "elman older than any this one reads: load it with that elman")


def read_json(path: Path):
    if not path.is_file():
        raise bad("checkpoint", f"a file {path.name} in {str(path.parent)!r}", "no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise bad("checkpoint", f"valid JSON in {str(path)!r}",
                  f"{type(e).__name__}: {e}") from None


def read_object(path: Path) -> dict:
    """A JSON file that must hold an object (config.json, task.json, trainer_state.json)."""
    value = read_json(path)
    if not isinstance(value, dict):
        raise bad("checkpoint", f"a JSON object in {str(path)!r}", type(value).__name__)
    return value


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise bad("checkpoint", f"a file {path.name} in {str(path.parent)!r}", "no such file")
    try:
        return safetensors.torch.load(path.read_bytes())
    except Exception as e:   # safetensors raises its own error types for corrupt files
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise bad("checkpoint", f"a valid safetensors file at {str(path)!r}",
                  f"a corrupt file ({msg})") from None


def _vocab(d: Path) -> Vocab:
    try:
        return Vocab.from_dict(read_json(d / VOCAB))
    except ElmanError as e:
        if str(e).startswith("checkpoint:"):
            raise
        raise bad("checkpoint", f"a valid vocabulary in {str(d / VOCAB)!r}", str(e)) from None


def _built(config: dict, tensors: dict[str, torch.Tensor], where: Path) -> nn.Module:
    """The model config.json describes, with the weights ``tensors`` (read from ``where``).
    It is first built on the meta device, which allocates nothing, and its names and shapes
    checked against the tensors: a config.json with absurd sizes is refused before any
    weight is allocated, so a model never takes more memory than its file holds."""
    try:
        with torch.device("meta"):
            shapes = build(config["architecture"], config["arguments"])
    except ElmanError as e:
        raise bad("checkpoint", "a config.json that builds a model", str(e)) from None
    check_names_and_shapes(shapes, tensors, where)
    model = build(config["architecture"], config["arguments"])
    load_weights(model, tensors, where)
    return model


def check_names_and_shapes(model: nn.Module, tensors: dict[str, torch.Tensor], where: Path):
    """Refuse tensors whose names or shapes are not those of ``model``'s state_dict."""
    want = model.state_dict()
    missing, extra = sorted(set(want) - set(tensors)), sorted(set(tensors) - set(want))
    if missing or extra:
        raise bad("checkpoint", f"the tensors of {architecture_of(model)} in {str(where)!r}",
                  f"missing {missing[:3]}, unexpected {extra[:3]}")
    for name in want:
        t = tensors[name]
        if tuple(t.shape) != tuple(want[name].shape):
            raise bad("checkpoint", f"{name} of shape {tuple(want[name].shape)} (from config.json)",
                      f"shape {tuple(t.shape)} in {str(where)!r}")


def load_weights(model: nn.Module, tensors: dict[str, torch.Tensor], where: Path):
    """Copy tensors into model, after checking names, shapes, types and values."""
    check_names_and_shapes(model, tensors, where)
    for name, t in tensors.items():
        if not t.is_floating_point():
            raise bad("checkpoint", f"{name} as floating point", f"{t.dtype} in {str(where)!r}")
        if not bool(torch.isfinite(t).all()):
            raise bad("checkpoint", f"finite weights in {str(where)!r}",
                      f"NaN or infinite values in {name}")
    model.load_state_dict(tensors)


def load_optimizer(optimizer: torch.optim.Optimizer, tensors: dict, meta: dict):
    """Restore an optimizer from ``optimizer_tensors`` output, checking it fits."""
    params = [p for g in optimizer.param_groups for p in g["params"]]
    state: dict[int, dict] = {}
    for key, v in tensors.items():
        _, i, name = key.split(".", 2)
        state.setdefault(int(i), {})[name] = v
    for key, v in meta.get("scalars", {}).items():
        i, name = key.split(".", 1)
        state.setdefault(int(i), {})[name] = v
    for i, s in state.items():
        if i >= len(params):
            raise bad("checkpoint", f"optimizer state for {len(params)} parameters", f"index {i}")
        for name, v in s.items():
            if isinstance(v, torch.Tensor) and v.dim() and v.shape != params[i].shape:
                raise bad("checkpoint", f"optimizer {name} of shape {tuple(params[i].shape)}",
                          f"shape {tuple(v.shape)} for parameter {i}")
    try:
        optimizer.load_state_dict({"state": dict(sorted(state.items())),
                                   "param_groups": meta["param_groups"]})
    except (KeyError, ValueError, TypeError) as e:
        raise bad("checkpoint", "optimizer settings matching this optimizer", str(e)) from None
