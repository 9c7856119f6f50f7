"""The spoken-digit classifier: one recording in, its digit out (FSDD).

Data: a folder of ``{digit}_{speaker}_{index}.wav`` files (``elman.tasks.speech``), the
validation part held out per speaker and digit. Model: ``elman.models.ManyToOne`` over the
normalised feature frames (B, T, F) -> logits (B, K) over the digits seen in training,
pooled as ``--pooling`` says. Loss: cross-entropy; metric: accuracy (and, through
``elman eval``, per-digit scores and a confusion matrix).
"""

from typing import TYPE_CHECKING

import torch
from torch import nn

from ..data.features import FrameBatches, collate
from ..errors import bad
from ..losses import cross_entropy
from ..models import ManyToOne
from .labeled import report
from .speech import SpeechTask, evaluating

if TYPE_CHECKING:
    from ..training.config import ModelConfig


class DigitsTask(SpeechTask):
    """Many-to-one classification of single spoken digits."""

    name = "digits"
    monitor = "accuracy"
    report = staticmethod(report)

    def check(self, r):
        if len(r.digits) != 1:
            raise bad("data", "recordings of one digit each for the digits task (use "
                      "--task digit-sequences for several)", repr(r.path.name))

    def setup(self, meta: dict | None):
        self.restore(meta or {"labels": sorted({r.digits for r in self.train})})
        c = self.cfg
        self.train_batches = FrameBatches(self.examples(self.train), c.batch_size, seed=c.seed)
        self.valid_batches = FrameBatches(self.examples(self.valid), c.batch_size,
                                          shuffle=False) if self.valid else None

    def restore(self, meta: dict):
        self.labels = meta["labels"]
        self.index = {label: i for i, label in enumerate(self.labels)}

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

    def describe(self) -> str:
        return self.describe_data(f", {len(self.labels)} digits")

    def build_model(self, model: "ModelConfig") -> ManyToOne:
        if len(self.labels) < 2:
            raise bad("data", "recordings of at least 2 different digits", self.labels)
        return ManyToOne(self.settings.size, model.hidden_sizes, len(self.labels), model.cell,
                         model.activation, model.bidirectional, model.dropout,
                         embed_dropout=model.embed_dropout, pooling=model.pooling)

    @staticmethod
    def loss(model: nn.Module, x, y: torch.Tensor, state=None):
        """Mean cross-entropy per recording; no state is carried."""
        return cross_entropy(model(x.x, x.lengths), y, reduction="step"), None

    @torch.no_grad()
    def evaluate(self, model: nn.Module, batches: FrameBatches | None = None,
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

    @torch.no_grad()
    def probabilities(self, model: nn.Module, frames: list[torch.Tensor]) -> torch.Tensor:
        """Frames [(T_i, F)] -> digit probabilities (N, K), in order."""
        out = []
        with evaluating(model) as device:
            for i in range(0, len(frames), 64):
                x = collate([(f, 0) for f in frames[i:i + 64]]).x.to(device)
                out.append(model(x.x, x.lengths).softmax(-1).cpu())
        return torch.cat(out)

    def gold_and_predicted(self, model: nn.Module, recordings) -> tuple[list[str], list[str]]:
        """The digits of recordings and the model's guesses."""
        if not recordings:
            return [], []
        self.known(recordings)
        p = self.probabilities(model, [self.frames(r.path) for r in recordings])
        return [r.digits for r in recordings], [self.labels[i] for i in p.argmax(-1).tolist()]

    def transcribe(self, model: nn.Module, path, beam: int = 1) -> str:
        """"digit<TAB>probability" of one WAV file (``beam`` is unused)."""
        p = self.probabilities(model, [self.frames(path)])[0]
        k = int(p.argmax())
        return f"{self.labels[k]}\t{float(p[k]):.4f}"

