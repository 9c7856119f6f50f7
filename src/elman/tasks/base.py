"""The Task interface: what a task must provide so that the trainer, the command line (and a
server) can use it without knowing which task it is.

A task is one class in one module under ``elman.tasks`` plus one line in the registry
(``elman.tasks.TASKS``). Its life has two beginnings:

- fresh, for training: ``task = Task(options)`` then ``task.setup(train)`` reads the data
  (``load``), splits it, fits what is learned from the training part (vocabulary, labels,
  scaler, ...) and makes ``train_batches`` and ``valid_batches``;
- from a checkpoint: ``Task(options, vocab=ck.vocab, meta=ck.meta)`` restores all of that
  without reading any data, ready for ``predict`` and, after ``load`` and ``eval_batches``
  of a file, ``evaluate``.

The commands a task offers on the command line (``eval`` and ``export`` always; ``generate``,
``predict``, ``translate``, ``transcribe``, ``forecast``, ``next``, ...) are its ``commands``:
each names the method that runs it and its own flags, so the CLI discovers them. ``export``
writes the run's model for inference without elman: the graphs the task chooses
(``onnx_graphs``), its vocabulary and ``meta`` as JSON, and what a caller must do around the
model (``export_usage``).

``eval`` scores one of: the run's validation split (the default; it picked ``best/``), its
test split (``--split test``, where the task keeps one: ``test_data``; never used to choose
``best/``), or a file (``--data PATH``). Its report says which on a first line,
``scored: ...``, and ``--json`` under ``"split"`` (a ``Scored``).
"""

import argparse
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import bad
from ..options import parse_choice

if TYPE_CHECKING:   # the training package depends on tasks, not the other way round
    from torch import nn

    from ..training.config import ModelConfig, TrainConfig


@dataclass(frozen=True)
class Flag:
    """One command-line flag of a command: ``argparse.add_argument(*names, **kwargs)``."""

    names: tuple[str, ...]
    kwargs: dict = field(default_factory=dict)

    def add_to(self, parser: argparse.ArgumentParser):
        parser.add_argument(*self.names, **self.kwargs)


def flag(*names: str, **kwargs) -> Flag:
    return Flag(names, kwargs)


@dataclass(frozen=True)
class Command:
    """``elman NAME RUN [flags]``: runs ``getattr(task, method)(run, args) -> exit code``."""

    name: str
    help: str
    method: str
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class Param:
    """One setting of an HTTP route besides its input, e.g. ``k`` of next-word suggestions:
    ``parse(name, value)`` checks a value (``elman.options`` parsers) and ``kind`` is its
    JSON type (int, float, str, bool)."""

    name: str
    kind: type
    default: Any
    help: str
    parse: Callable[[str, Any], Any] | None = None


@dataclass(frozen=True)
class Route:
    """``POST /v1/RUN/NAME`` of ``elman serve``: what a task answers over HTTP.

    kind "batch": ``{"inputs": [...], **params}`` -> ``{"outputs": [...]}``; the server
    gathers the inputs of concurrent requests with equal params into one call of
    ``getattr(task, method)(models, inputs, **params) -> [output per input]``, which must
    answer each input as it would alone (pad with lengths). kind "stream": ``{"input": ...,
    **params}`` -> ``method(models, input, **params)``, an iterator of JSON-ready events, sent
    as server-sent events (or gathered into one answer). kind "session": the recurrent state
    carried across requests: ``method(models, state, input, **params) -> (state, output)``,
    ``state`` None at the start of a session. kind "upload": files of a multipart form
    (field ``file``, params in the query) -> ``{"outputs": [...]}``, batched as "batch" with
    each file's bytes as an input."""

    name: str
    help: str
    method: str
    kind: str = "batch"
    input: str = "a string"            # what one input is, for the API page
    params: tuple[Param, ...] = ()


DATA = flag("--data", metavar="PATH", help="a file or folder to score, read as the task reads "
            "its training data (default: the run's validation data)")
JSON = flag("--json", action="store_true", help="print the metrics as one JSON object")
VALID, TEST = "valid", "test"
SPLIT = flag("--split", metavar="valid|test", default=None, help="valid: the validation split, "
             "which picked best/ (default); test: the run's test split, never used to choose "
             "best/ (where it keeps one)")


def eval_command(*flags: Flag, help: str = "score the run's model", data: Flag = DATA
                 ) -> Command:
    """The ``eval`` command with --data (``data``: a task's own wording of it), --split,
    --json and a task's own flags."""
    return Command("eval", help, "cmd_eval", (data, SPLIT, JSON, *flags))


@dataclass(frozen=True)
class Scored:
    """What ``eval`` scored: ``split``, the "split" of its --json ("valid", "test", "file" or
    "seed"), and ``what``, for people: the report starts with the line "scored: <what>"."""

    split: str
    what: str


def data_name(path: str) -> str:
    """A --data path as reports name it ("-" is stdin)."""
    return "<stdin>" if path == "-" else path


def scored_file(path: str) -> Scored:
    return Scored("file", f"file {data_name(path)}")


def eval_split(args: argparse.Namespace) -> str:
    """--split: "valid" (the default) or "test"; not with --data."""
    given = getattr(args, "split", None)
    if given is None:
        return VALID
    split = parse_choice((VALID, TEST))("split", given)
    if getattr(args, "data", None) is not None:
        raise bad("split", "no --split with --data (the file is scored)", repr(split))
    return split


FORMATS = ("onnx", "numpy")


def export_command() -> Command:
    """The ``export`` command every task offers: --format and --out."""
    return Command("export", "write the model for inference without elman: ONNX graphs "
                   "(onnxruntime) or the NumPy runtime's arrays, beside the JSON a caller "
                   "needs (vocabulary, labels, settings, usage)", "cmd_export", (
                       flag("--format", default="onnx", help="onnx or numpy (default: onnx)"),
                       flag("--out", metavar="DIR", default=None, help="the folder to write "
                            "(replaced whole; default: export-FORMAT in the run folder)")))


@dataclass
class Run:
    """A trained run as a command sees it: where it is, its config and its model."""

    path: Path                 # the folder given (a run folder or a checkpoint folder)
    checkpoint: Path           # the checkpoint folder the model came from
    config: Any                # elman.training.config.RunConfig
    model: "nn.Module"
    load: Callable[[str], "Run"]    # loads another run (e.g. an ensemble's members)

    @property
    def folder(self) -> Path:
        """The run folder: where a command writes its default outputs."""
        p = Path(self.path)
        return p if (p / "best").is_dir() or (p / "checkpoint").is_dir() else \
            self.checkpoint.parent


class Task:
    """Base of every task. A subclass sets ``name``, ``Options`` and ``commands`` and
    implements the methods that raise NotImplementedError here."""

    name: ClassVar[str]
    Options: ClassVar[type]                      # a dataclass of ``elman.options.opt`` fields
    commands: ClassVar[tuple[Command, ...]] = (eval_command(), export_command())
    routes: ClassVar[tuple[Route, ...]] = ()    # what ``elman serve`` offers of this task
    monitor: ClassVar[str] = "loss"              # the validation figure that picks best/
    vocab = None                                 # the input vocabulary, if tokens are read
    train_batches = valid_batches = None         # set by setup()
    source = fingerprint = None                  # set by setup(): data name, its sha256

    def __init__(self, options, *, vocab=None, meta: dict | None = None):
        """``options``: an instance of ``Options``; ``vocab``, ``meta``: what a checkpoint
        saved (``meta()``), or None for a fresh task that ``setup`` fits."""
        self.options, self.vocab = options, vocab

    # --- data ------------------------------------------------------------------------------

    def load(self, path: str | None):
        """Read a file or folder (None: the task's built-in default data, where it has one)
        into the task's examples. Training, validation and evaluation data all come this
        way."""
        raise NotImplementedError

    def setup(self, train: "TrainConfig"):
        """Read ``train.data`` (and ``train.valid``), split, fit what a fresh task learns from
        its training part and set ``train_batches``, ``valid_batches``, ``source`` and
        ``fingerprint``."""
        raise NotImplementedError

    def eval_batches(self, examples, train: "TrainConfig"):
        """Batches of ``load``-ed examples for ``evaluate``, in order."""
        raise NotImplementedError

    # --- model -----------------------------------------------------------------------------

    def build_model(self, model: "ModelConfig") -> "nn.Module":
        raise NotImplementedError

    def loss(self, model, x, y, state=None):
        """One training batch -> (mean loss per target, the state to carry or None)."""
        raise NotImplementedError

    def targets(self, batch) -> int:
        """How many targets the training loss of ``batch`` averages over: its weight when a
        batch is split between processes (``elman.training.distributed``). The base task:
        one per row (a loss averaged over rows, or over as many targets in every row)."""
        return len(batch.y)

    def at_step(self, step: int):
        """Called before each training step (for tasks with a schedule of their own)."""

    def evaluate(self, model, batches=None, *, max_batches: int | None = None) -> dict:
        """Metrics of ``model`` on ``batches`` (default: the validation batches): "loss" (lower
        is better) and the task's own figures."""
        raise NotImplementedError

    def report(self, metrics: dict) -> str:
        """The metrics as one line for people."""
        raise NotImplementedError

    def headline(self, metrics: dict | None) -> str:
        """The short validation figure of the progress bar."""
        return "-" if not metrics else f"{self.monitor} {metrics[self.monitor]:.4g}"

    def epilogue(self, model, config) -> Iterator[str]:
        """What ``elman train`` prints after training besides the report (e.g. a sample)."""
        return iter(())

    def serving(self, run: Run):
        """Called once by ``elman serve`` before the task's routes answer, with the run they
        serve: what a route needs of the run besides its model (the base task: nothing)."""

    def predict(self, models: list, inputs: list) -> list:
        """The models' answers (one model, or several that vote) to in-memory inputs
        (strings, arrays, lists), one JSON-ready value per input."""
        raise NotImplementedError

    # --- records ---------------------------------------------------------------------------

    def meta(self) -> dict | None:
        """What a checkpoint keeps besides the vocabulary so that the constructor can restore
        the task (labels, scaler, tokenizers, ...), as JSON."""
        return None

    @classmethod
    def needs_meta(cls, options) -> bool:
        """Whether a checkpoint of a run of these options must hold ``meta()``'s task.json
        (the base task: when the task has a ``meta``)."""
        return cls.meta is not Task.meta

    def describe(self) -> str:
        """One line on the data, for the start of a training run."""
        return f"data: {self.source!r}"

    # --- export ----------------------------------------------------------------------------

    def onnx_graphs(self, model) -> dict:
        """{name: onnx.ModelProto}: the graphs ``export --format onnx`` writes (default: the
        architecture's, ``elman.export.models.graphs``)."""
        from ..export.models import graphs
        return graphs(model)

    def export_usage(self) -> list[str]:
        """What a caller of the exported model does around it: how inputs are made from the
        task's data and how outputs are read, one line each (export.json's "usage")."""
        return []

    # --- commands --------------------------------------------------------------------------

    def eval_data(self, run: Run, path: str | None, *, train: "TrainConfig | None" = None):
        """Batches to score: ``path`` read with ``load`` and batched with ``train`` (default:
        the run's settings), or the run's validation split."""
        if path is not None:
            return self.eval_batches(self.load(path), train or run.config.train)
        if self.valid_batches is None:
            self.setup(run.config.train)
        if self.valid_batches is None:
            raise bad("data", "a file or folder (--data PATH): the run kept no validation "
                      "data", "none")
        return self.valid_batches

    def test_data(self, run: Run) -> tuple[Any, Scored]:
        """The batches of the run's test split, never used to choose best/, and what they
        are. The base task keeps none."""
        raise bad("split", f"valid (the {self.name} task keeps no test split; score a "
                  "held-out file with --data PATH)", repr(TEST))

    def validation(self, train: "TrainConfig") -> Scored:
        """What the validation split is, for ``eval``'s report."""
        where = "split" if train.valid is None else f"file {train.valid}"
        return Scored(VALID, f"the validation {where} (it picked best/)")

    def scored_data(self, run: Run, args: argparse.Namespace, *,
                    train: "TrainConfig | None" = None) -> tuple[Any, Scored]:
        """What ``eval`` scores and a description of it: the file --data (batched with
        ``train``, default: the run's settings), the test split (--split test) or the
        validation split."""
        split = eval_split(args)
        if args.data is not None:
            return self.eval_data(run, args.data, train=train), scored_file(args.data)
        if split == TEST:
            return self.test_data(run)
        return self.eval_data(run, None), self.validation(run.config.train)

    def cmd_eval(self, run: Run, args: argparse.Namespace) -> int:
        batches, scored = self.scored_data(run, args)
        print_metrics(self.evaluate(run.model, batches), args, self.report, scored)
        return 0

    def cmd_export(self, run: Run, args: argparse.Namespace) -> int:
        """Write the export folder (``elman.export.bundle``) and list what it holds."""
        from ..export import bundle
        from ..models import architecture_of
        fmt = parse_choice(FORMATS)("format", args.format)
        out = export_folder(args.out) if args.out else run.folder / f"export-{fmt}"
        manifest = {"task": self.name, "architecture": architecture_of(run.model),
                    "options": asdict(self.options), "usage": self.export_usage()}
        files = {"vocab.json": self.vocab.to_dict() if self.vocab is not None else None,
                 "task.json": self.meta()}
        if fmt == "onnx":
            path = bundle.write_onnx(out, self.onnx_graphs(run.model), manifest, files)
        else:
            path = bundle.write_numpy(out, run.model, manifest, files)
        print(f"{path}: {', '.join(sorted(p.name for p in path.iterdir()))}")
        return 0


def export_folder(path: str) -> Path:
    """The --out of ``export``, which is replaced whole: a new folder, an empty one or an
    earlier export (it holds export.json), never a file or a folder of other files."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise bad("out", "a folder to write the export in", f"{path!r}, which is a file")
    if out.is_dir() and any(out.iterdir()) and not (out / "export.json").is_file():
        raise bad("out", "a new folder, an empty one or an earlier export (it is replaced "
                  "whole)", f"{path!r}, which holds other files")
    return out


def print_metrics(metrics: dict, args: argparse.Namespace, report: Callable[[dict], str],
                  scored: Scored):
    """With ``--json`` one JSON object, the metrics and the "split" scored; else "scored: ..."
    and the report."""
    if getattr(args, "json", False):
        print(json.dumps({**metrics, "split": scored.split}))
    else:
        print(f"scored: {scored.what}\n{report(metrics)}")
