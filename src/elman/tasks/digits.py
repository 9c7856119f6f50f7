"""The spoken-digit classifier: one recording in, its digit out (FSDD).

Data: a folder of ``{digit}_{speaker}_{index}.wav`` files (``elman.tasks.speech``), the
validation part held out per speaker and digit. Model: ``elman.models.ManyToOne`` over the
normalised feature frames (B, T, F) -> logits (B, K) over the digits seen in training,
pooled as ``--pooling`` says. Loss: cross-entropy; metric: accuracy (and, through
``elman eval``, per-digit scores and a confusion matrix). ``elman transcribe``: the digit of
one WAV file and its probability.
"""

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..data.features import FrameBatches, collate
from ..errors import bad
from ..io.inputs import writable
from ..losses import cross_entropy
from ..models import ManyToOne
from ..models.many_to_one import POOLINGS
from ..options import opt, parse_choice, parse_positive_int
from .base import Command, Route, eval_command, export_command, flag, print_metrics
from .labeled import confusion_metrics, confusion_report, report
from .speech import FILE, SpeechOptions, SpeechTask, evaluating

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig
    from .base import Run


@dataclass
class DigitsOptions(SpeechOptions):
    """Settings of the spoken-digit classifier."""

    pooling: str = opt("last", parse_choice(list(POOLINGS)), "the top outputs as one vector: "
                       "last (final state), max or mean over the real steps")


class DigitsTask(SpeechTask):
    """Many-to-one classification of single spoken digits. ``--data``: a folder of
    ``{digit}_{speaker}_{index}.wav`` files (FSDD's recordings/)."""

    name = "digits"
    Options = DigitsOptions
    monitor = "accuracy"
    labels = None                      # the digits the model tells apart, sorted
    commands = (
        eval_command(flag("--plot", metavar="FILE", default=None, help="confusion-matrix PNG "
                          "(default: confusion.png in the run folder; with --json: none)"),
                     help="accuracy, per-digit scores and the confusion matrix on --data or "
                     "the held-out recordings"),
        Command("transcribe", "the digit of a WAV file and its probability", "cmd_transcribe",
                (FILE, flag("--beam", default="8", help="unused by a digits run (the prefix "
                            "beam width of a digit-sequences run)"))),
        export_command(),
    )
    routes = (Route("transcribe", "the digit spoken in each uploaded WAV file and its "
                    "probability", "predict_wavs", kind="upload", input="a WAV file"),)

    def check(self, r):
        if len(r.digits) != 1:
            raise bad("data", "recordings of one digit each for the digits task (use "
                      "--task digit-sequences for several)", repr(r.path.name))

    def restore(self, meta: dict):
        self.labels = meta["labels"]
        self.index = {label: i for i, label in enumerate(self.labels)}

    def fit(self):
        if self.labels is None:
            self.restore({"labels": sorted({r.digits for r in self.train})})

    def make_batches(self, train: "TrainConfig"):
        self.train_batches = FrameBatches(self.examples(self.train), train.batch_size,
                                          seed=train.seed)
        self.valid_batches = FrameBatches(self.examples(self.valid), train.batch_size,
                                          shuffle=False) if self.valid else None

    def eval_batches(self, recordings, train: "TrainConfig") -> FrameBatches:
        return FrameBatches(self.examples(recordings), train.batch_size, shuffle=False)

    def known(self, recordings):
        """Refuse a digit the model has no output for."""
        for r in recordings:
            if r.digits not in self.index:
                raise bad("data", f"digits the model knows ({', '.join(self.labels)})",
                          repr(r.path.name))

    def examples(self, recordings) -> list[tuple[torch.Tensor, int]]:
        self.known(recordings)
        return [(self.frames(r.path), self.index[r.digits]) for r in recordings]

    def meta(self) -> dict:
        return {**super().meta(), "labels": self.labels}

    def export_usage(self) -> list[str]:
        return [self.frames_usage(), "y (B, K): logits over task.json's labels (the digits)"]

    def describe(self) -> str:
        return self.describe_data(f", {len(self.labels)} digits")

    def build_model(self, model: "ModelConfig") -> ManyToOne:
        if len(self.labels) < 2:
            raise bad("data", "recordings of at least 2 different digits", self.labels)
        return ManyToOne(self.settings.size, model.hidden_sizes, len(self.labels), model.cell,
                         model.activation, model.bidirectional, model.dropout,
                         embed_dropout=self.options.embed_dropout, pooling=self.options.pooling)

    @staticmethod
    def loss(model: nn.Module, x, y: torch.Tensor, state=None):
        """Mean cross-entropy per recording; no state is carried."""
        return cross_entropy(model(x.x, x.lengths), y, reduction="step"), None

    @torch.no_grad()
    def evaluate(self, model: nn.Module, batches: FrameBatches | None = None, *,
                 max_batches: int | None = None) -> dict:
        """{"loss": mean nats per recording, "accuracy", "tokens": recordings scored}."""
        total, right, count = 0.0, 0, 0
        with evaluating(model) as device:
            for k, batch in enumerate((batches or self.valid_batches).epoch(0)):
                if max_batches is not None and k >= max_batches:
                    break
                x, y = batch.x.to(device), batch.y.to(device)
                logits = model(x.x, x.lengths)                                # (B, K)
                total += float(cross_entropy(logits, y, reduction="sum"))
                right += int((logits.argmax(-1) == y).sum())
                count += y.numel()
        return {"loss": total / max(count, 1), "accuracy": right / max(count, 1),
                "tokens": count}

    report = staticmethod(report)

    @torch.no_grad()
    def probabilities(self, models: list[nn.Module], frames: list[torch.Tensor]) -> torch.Tensor:
        """Frames [(T_i, F)] -> digit probabilities (N, K), in order: one model's, or the
        mean of several models' (an ensemble that votes)."""
        out = []
        for model in models:
            chunks = []
            with evaluating(model) as device:
                for i in range(0, len(frames), 64):
                    x = collate([(f, 0) for f in frames[i:i + 64]]).x.to(device)
                    chunks.append(model(x.x, x.lengths).softmax(-1).cpu())
            out.append(torch.cat(chunks))
        return out[0] if len(out) == 1 else torch.stack(out).mean(0)

    def predict(self, models: list[nn.Module], inputs: list) -> list[dict]:
        """{"digit", "probability"} of each wave (a 1-D float array at the run's sample rate)
        or WAV file path."""
        if not inputs:
            return []
        p = self.probabilities(models, [self.input_frames(item) for item in inputs])
        best = p.argmax(-1).tolist()
        return [{"digit": self.labels[k], "probability": float(row[k])}
                for k, row in zip(best, p)]

    def gold_and_predicted(self, model: nn.Module, recordings) -> tuple[list[str], list[str]]:
        """The digits of recordings and the model's guesses."""
        if not recordings:
            return [], []
        self.known(recordings)
        p = self.probabilities([model], [self.frames(r.path) for r in recordings])
        return [r.digits for r in recordings], [self.labels[i] for i in p.argmax(-1).tolist()]

    # --- commands --------------------------------------------------------------------------

    def eval_data(self, run: "Run", path: str | None, *,
                  train: "TrainConfig | None" = None) -> list:
        """The recordings of --data, of the run's --valid folder or of its validation split."""
        train = train or run.config.train
        folder = path or train.valid
        if folder:
            return self.load(folder)
        self.setup(train)
        return self.valid

    def cmd_eval(self, run: "Run", args: argparse.Namespace) -> int:
        """Accuracy, per-digit scores and the confusion matrix of --data, the run's --valid
        folder or its validation split."""
        train = run.config.train
        if args.plot:
            writable(args.plot, "plot")
        recordings, scored = self.scored_data(run, args)
        gold, found = self.gold_and_predicted(run.model, recordings)
        name = args.data or train.valid or f"the validation split of {train.data}"
        if not gold:
            raise bad("data", "a folder (--data DIR): the run kept no validation recordings",
                      "none")
        plot = args.plot or (None if args.json else run.folder / "confusion.png")
        metrics = confusion_metrics(gold, found, self.labels, plot=plot, name=name,
                                    matrix=False)
        print_metrics(metrics, args, lambda m: confusion_report(m, "recordings", plot), scored)
        return 0

    def cmd_transcribe(self, run: "Run", args: argparse.Namespace) -> int:
        """"digit<TAB>probability" of one WAV file (--beam is checked, not used)."""
        parse_positive_int("beam", args.beam)
        answer = self.predict([run.model], [args.file])[0]
        print(f"{answer['digit']}\t{answer['probability']:.4f}")
        return 0
