"""The polyphonic music task: a language model over piano-roll frames.

Data: ``elman.data.music`` pieces (JSB Chorales / Nottingham JSON): --data for training and
--valid for validation, or a seeded ``valid_fraction`` of whole pieces. Model:
``elman.models.ManyToMany`` from frame t (88 inputs) to 88 logits for frame t + 1, one
independent sigmoid per key. Loss and the metric of the literature (Boulanger-Lewandowski et
al. 2012): the negative log-likelihood per time step,

    NLL = (1 / N) sum_{pieces} sum_{t=2..n} sum_{k=1..88} BCE(sigmoid(y_tk), x_tk)   (nats)

over all N predicted steps of all pieces (each piece's first frame is the condition, as in
the published JSB/Nottingham protocol), and frame-level accuracy (Bay et al. 2009) with a key
on when its probability is >= 0.5:

    ACC = sum_t TP_t / sum_t (TP_t + FP_t + FN_t).
"""

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..data.music import KEYS, FrameBatches, Frames, pitches, piano_roll, read_pieces
from ..errors import bad
from ..losses import binary_cross_entropy
from ..models import ManyToMany

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig


class MusicTask:
    """Next-frame prediction of polyphonic piano rolls."""

    name = "music"
    vocab = None            # frames are the inputs: there are no tokens

    def __init__(self, train: "TrainConfig", vocab=None, meta: dict | None = None):
        if train.data is None:
            raise bad("data", "a JSON file of pieces (--data FILE) for the music task", "none")
        self.source, self.cfg = train.data, train
        rolls, valid = split(read_pieces(train.data), train)
        if train.valid is not None:
            valid = read_pieces(train.valid, "valid")
        self.fingerprint = fingerprint([train.data, train.valid])
        self.openings = meta["openings"] if meta else openings(rolls)
        self.n_train, self.n_valid = len(rolls), len(valid)
        self.train_batches = FrameBatches(rolls, train.batch_size, train.seq_len, train.seed)
        self.valid_batches = FrameBatches(valid, train.batch_size, train.seq_len,
                                          shuffle=False) if valid else None

    def meta(self) -> dict:
        return {"openings": self.openings}

    def describe(self) -> str:
        steps = self.train_batches.steps
        return (f"data: {self.source!r}, {self.n_train:,} train pieces ({steps:,} predicted "
                f"steps) and {self.n_valid:,} valid pieces, {KEYS} keys")

    def build_model(self, model: "ModelConfig") -> ManyToMany:
        return ManyToMany(KEYS, model.hidden_sizes, KEYS, model.cell, model.activation,
                          dropout=model.dropout, embed_dropout=model.embed_dropout)

    @staticmethod
    def loss(model: nn.Module, x: Frames, y: torch.Tensor, state=None):
        """Mean NLL per predicted step (nats, summed over the 88 keys); no state carried."""
        logits = model(x.frames, x.lengths)                            # (B, T, 88)
        return binary_cross_entropy(logits, y, x.lengths, reduction="step"), None

    def evaluate(self, model: nn.Module, batches: FrameBatches | None = None,
                 max_batches: int | None = None) -> dict:
        return evaluate(model, batches or self.valid_batches, max_batches)

    @staticmethod
    def report(valid: dict) -> str:
        return (f"valid NLL: {valid['nll']:.4f} nats per time step, frame accuracy "
                f"{valid['accuracy']:.2%} ({valid['steps']:,} steps)")

    def batches(self, path: str) -> FrameBatches:
        """Evaluation batches of another JSON file of pieces."""
        return FrameBatches(read_pieces(path), self.cfg.batch_size, self.cfg.seq_len,
                            shuffle=False)

    @classmethod
    def from_checkpoint(cls, ck, train: "TrainConfig") -> "MusicTask":
        """The task of a trained model, for eval and generate (reads no training data)."""
        task = cls.__new__(cls)
        task.cfg, task.source, task.openings = train, train.data, ck.meta["openings"]
        return task


def split(rolls: list[torch.Tensor], train: "TrainConfig") -> tuple[list, list]:
    """(train, valid) pieces: all of them and none when there is a --valid file, else a seeded
    ``valid_fraction`` of whole pieces held out."""
    if train.valid is not None or train.valid_fraction == 0 or len(rolls) < 2:
        return rolls, []
    g = torch.Generator().manual_seed(train.split_seed)
    order = torch.randperm(len(rolls), generator=g).tolist()
    held = set(order[:max(1, round(train.valid_fraction * len(rolls)))])
    return ([r for i, r in enumerate(rolls) if i not in held],
            [r for i, r in enumerate(rolls) if i in held])


def fingerprint(paths: list[str | None]) -> str:
    digest = hashlib.sha256()
    for p in paths:
        if p is not None:
            digest.update(Path(p).read_bytes())
    return digest.hexdigest()


def openings(rolls: list[torch.Tensor]) -> list[list[int]]:
    """The distinct first chords of the training pieces, where generation may start."""
    return sorted({tuple(pitches(r[0])) for r in rolls if r[0].any()}) or [[]]


def frame_counts(logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(TP, FP, FN) summed over the real steps, a key on where sigmoid(logit) >= 0.5.
    logits, y (B, T, 88), lengths (B,) -> (3,) int64."""
    real = (torch.arange(y.shape[1], device=y.device) < lengths[:, None])[..., None]
    on, truth = (logits >= 0) & real, (y > 0.5) & real
    return torch.stack([(on & truth).sum(), (on & ~truth).sum(), (~on & truth).sum()])


def frame_accuracy(tp: int, fp: int, fn: int) -> float:
    """TP / (TP + FP + FN); 1.0 when nothing sounds and nothing is predicted."""
    return tp / (tp + fp + fn) if tp + fp + fn else 1.0


@torch.no_grad()
def evaluate(model: nn.Module, batches: FrameBatches, max_batches: int | None = None) -> dict:
    """{"loss" = "nll": nats per predicted step, "accuracy": frame accuracy, "steps"}."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total, steps, counts = 0.0, 0, torch.zeros(3, dtype=torch.long)
    try:
        for k, batch in enumerate(batches.epoch(0)):
            if max_batches is not None and k >= max_batches:
                break
            x, y = batch.x.to(device), batch.y.to(device)
            logits = model(x.frames, x.lengths)
            total += float(binary_cross_entropy(logits, y, x.lengths, reduction="sum"))
            steps += int(x.lengths.sum())
            counts += frame_counts(logits, y, x.lengths).cpu()
    finally:
        model.train(was_training)
    nll = total / max(steps, 1)
    return {"loss": nll, "nll": nll, "accuracy": frame_accuracy(*counts.tolist()),
            "steps": steps}


@torch.no_grad()
def generate(model: ManyToMany, opening: list[int], length: int, temperature: float = 1.0,
             seed: int | None = None) -> torch.Tensor:
    """Sample a piece of ``length`` frames (length, 88) starting from the chord ``opening``:
    each key of the next frame on with probability sigmoid(logit / temperature), the frame
    fed back as the next input."""
    if not isinstance(length, int) or length < 1:
        raise bad("length", "an int >= 1", repr(length))
    if not temperature > 0:
        raise bad("temperature", "a number > 0", temperature)
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    frame = piano_roll([opening], "the opening chord", "opening")      # (1, 88)
    out, state = [frame], None
    try:
        for _ in range(length - 1):
            h, state = model.rnn(frame[None].to(model.output.weight.device), None, state)
            p = torch.sigmoid(model.output(h)[0, -1].float().cpu() / temperature)   # (88,)
            frame = (torch.rand(KEYS, generator=g) < p).float()[None]
            out.append(frame)
    finally:
        model.train(was_training)
    return torch.cat(out)
