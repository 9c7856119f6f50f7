"""The frames task: a sequence of images in, its label out (or a label per frame).

Data (``--data``, ``elman.data.clips``):

- none: digits of a built-in bitmap font, jittered from ``data_seed``
  (``elman.data.digit_images``), made into clips as ``clips`` says;
- an MNIST folder (``train-images-idx3-ubyte.gz`` and ``train-labels-idx1-ubyte.gz``): its
  60,000 images, made into clips as ``clips`` says: ``sequential`` (sequential MNIST, each
  image read as 28 rows of 28 pixels, or pixel by pixel with ``pixels``, in a fixed random
  order with ``permute``) or ``moving`` (clips of ``frames_min``-``frames_max`` frames in
  which ``digits_per_clip`` digits move);
- a folder of the user's clips with ``labels.csv``.

The validation part is a seeded ``valid_fraction`` of the clips (``split_seed``) or the
``--valid`` data. Model: ``elman.models.FramesModel``, a CNN per frame (or the flat pixels,
``encoder``) feeding elman.RNN, one label per clip from the final state (``target clip``) or
one per frame (``target frame``). Loss: cross-entropy; metric: accuracy (of clips or frames).
"""

import argparse
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from ..data import clips as clipdata
from ..data import digit_images
from ..data.clips import Clip, ClipBatches
from ..errors import bad
from ..losses import cross_entropy
from ..models.frames import FramesModel
from ..options import (
    opt,
    parse_choice,
    parse_count,
    parse_flag,
    parse_int_range,
    parse_optional,
    parse_positive_int,
    parse_sizes,
)
from .base import Command, Route, Task, eval_command, export_command, flag

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig
    from .base import Run

FONT_IMAGES = 6000            # images of the built-in font when --examples is not given
MOVING_CLIPS = 2000           # moving-digit clips when --examples is not given
SMALLEST_CNN = 8              # auto: the CNN for frames of at least 8 x 8 pixels


@dataclass
class FramesOptions:
    """Settings of the frames task."""

    clips: str = opt("sequential", parse_choice(("sequential", "moving")), "the clips made "
                     "from digit images (MNIST with --data MNIST_DIR, else the built-in font): "
                     "sequential (each image a sequence of rows, or of pixels) or moving "
                     "(moving digits); a folder of clips (labels.csv) is read as it is")
    pixels: bool = opt(False, parse_flag, "sequential: read each image pixel by pixel (784 "
                       "steps) instead of row by row (28 steps)")
    permute: bool = opt(False, parse_flag, "sequential with pixels: in one fixed random "
                        "order (from data_seed), permuted sequential MNIST")
    target: str = opt("clip", parse_choice(("clip", "frame")), "one label per clip, or one "
                      "per frame (moving digits: the direction of each move; a folder: "
                      "labels.csv's frame_labels)")
    encoder: str = opt("auto", parse_choice(("auto", "cnn", "flat")), "each frame as the "
                       "RNN reads it: a small CNN, or its flat pixels; auto: the CNN for "
                       "frames of at least 8 x 8 pixels, else flat")
    channels: list = opt([16, 32], parse_sizes, "the CNN's convolution widths (3 x 3, relu, "
                         "2 x 2 max pooling each)", "C[,C...]")
    frame_dim: int = opt(128, parse_positive_int, "the CNN's output width per frame")
    examples: int | None = opt(None, parse_optional(parse_positive_int), "images or clips "
                               "to make (default: sequential, all of MNIST or 6,000 font "
                               "digits; moving, 2,000 clips)")
    frames_min: int = opt(10, parse_int_range(2, 10_000), "moving: fewest frames per clip")
    frames_max: int = opt(20, parse_int_range(2, 10_000), "moving: most frames per clip")
    frame_size: int = opt(32, parse_int_range(8, 512), "moving: frame width and height")
    digits_per_clip: int = opt(1, parse_int_range(1, 4), "moving: digits side by side")
    data_seed: int = opt(0, parse_count, "seed of the generated images, clips and "
                         "permutation")


INPUT = flag("--input", metavar="CLIP", nargs="+", help="clips (.npy, .npz or a folder of "
             "PNG frames); for a run of sequential images, images (.npy or .png)")


class FramesTask(Task):
    """Classification of clips of images (or of each of their frames)."""

    name = "frames"
    Options = FramesOptions
    monitor = "accuracy"
    commands = (
        eval_command(help="accuracy on --data or the run's validation clips"),
        Command("predict", "the label of each clip and its probability (target frame: the "
                "label of each frame)", "cmd_predict", (INPUT,)),
        export_command(),
    )
    routes = (Route("label", "the label of each clip (a nested list of frames, T x H x W "
                    "or T x H x W x C; for sequential images, one image H x W)",
                    "predict_arrays", input="frames as nested lists of numbers"),)
    labels = frame_shape = encoder = reads = None

    def __init__(self, options, *, vocab=None, meta: dict | None = None):
        super().__init__(options, vocab=None, meta=meta)
        if meta:
            try:
                self.restore(meta["labels"], tuple(meta["frame_shape"]), meta["encoder"])
                self.reads = meta["reads"]
            except (KeyError, TypeError) as e:
                raise bad("checkpoint", "a task.json with the labels, frame_shape, encoder "
                          "and reads", f"{type(e).__name__}: {e}") from None

    def restore(self, labels: list[str], frame_shape: tuple, encoder: str):
        self.labels, self.frame_shape, self.encoder = labels, frame_shape, encoder
        self.index = {label: i for i, label in enumerate(labels)}

    # --- data ------------------------------------------------------------------------------

    @property
    def per_frame(self) -> bool:
        return self.options.target == "frame"

    def images(self, path) -> tuple[np.ndarray, np.ndarray]:
        """The digit images (N, 28, 28) and labels (N,) of --data (MNIST; sequential:
        a seeded subset of ``examples``) or of the built-in font."""
        o = self.options
        if path is None:
            return digit_images.font_digits(o.examples or FONT_IMAGES, o.data_seed)
        images, labels = digit_images.read_mnist(path)
        if o.examples is not None and o.clips == "sequential":
            keep = np.sort(np.random.default_rng(o.data_seed).permutation(len(images))
                           [:o.examples])
            images, labels = images[keep], labels[keep]
        return images, labels

    def load(self, path: str | None) -> list[Clip]:
        """Clips of --data: a clips folder as it is, else made from digit images."""
        if path is not None and not Path(path).is_dir():
            raise bad("data", "a folder of clips (labels.csv) or of MNIST's IDX files",
                      repr(path) + ("" if Path(path).exists() else " (no such folder)"))
        if path is not None and not digit_images.is_mnist(path):
            return self.checked(clipdata.read_folder(path))
        o = self.options
        images, labels = self.images(path)
        if o.clips == "moving":
            if o.frames_min > o.frames_max:
                raise bad("frames_min", f"at most frames_max ({o.frames_max})", o.frames_min)
            made = clipdata.moving(images, labels, o.examples or MOVING_CLIPS,
                                   frames=(o.frames_min, o.frames_max), size=o.frame_size,
                                   digits=o.digits_per_clip, seed=o.data_seed)
        else:
            if o.permute and not o.pixels:
                raise bad("permute", "false unless pixels is true (a permutation of the "
                          "784 pixel steps)", o.permute)
            order = np.random.default_rng(o.data_seed).permutation(images[0].size) \
                if o.permute else None
            made = clipdata.sequential(images, labels, pixels=o.pixels, permutation=order)
        return self.checked(made)

    def checked(self, clips: list[Clip]) -> list[Clip]:
        """Refuse clips without frame labels for target frame, and frames of several sizes."""
        if not clips:
            raise bad("data", "at least one clip", "none")
        if self.per_frame and any(c.frame_labels is None for c in clips):
            raise bad("target", "clip for clips without a label per frame (sequential "
                      "images; a folder whose labels.csv has no frame_labels)", "'frame'")
        shapes = {tuple(c.frames.shape[1:]) for c in clips}
        if len(shapes) > 1:
            raise bad("data", "clips whose frames all have one shape (C, H, W)",
                      f"shapes {sorted(shapes)}")
        return clips

    def setup(self, train: "TrainConfig"):
        found = self.load(train.data)
        if train.valid is not None:
            self.train, self.valid = found, self.load(train.valid)
        else:
            held = int(round(train.valid_fraction * len(found))) if len(found) > 1 else 0
            order = np.random.default_rng(train.split_seed).permutation(len(found))
            self.valid = [found[i] for i in np.sort(order[:held])]
            self.train = [found[i] for i in np.sort(order[held:])]
        self.source = "the built-in font's digits" if train.data is None else train.data
        if self.labels is None:
            self.fit(self.train)
            self.reads = self.reading(train.data)
        self.fingerprint = fingerprint(self.train + self.valid)
        self.train_batches = ClipBatches(self.examples(self.train), train.batch_size,
                                         seed=train.seed)
        self.valid_batches = ClipBatches(self.examples(self.valid), train.batch_size,
                                         shuffle=False) if self.valid else None

    def fit(self, clips: list[Clip]):
        """The labels of the training clips (or frames), the frame shape and the encoder."""
        names = {x for c in clips for x in c.frame_labels} if self.per_frame else \
            {c.label for c in clips}
        shape = tuple(clips[0].frames.shape[1:])
        encoder = self.options.encoder
        if encoder == "auto":
            encoder = "cnn" if min(shape[1:]) >= SMALLEST_CNN else "flat"
        self.restore(sorted(names), shape, encoder)

    def examples(self, clips: list[Clip]) -> list[tuple[torch.Tensor, int | list[int]]]:
        """Clips -> [(frames, label id or frame label ids)], refusing unknown labels and
        frames of another shape than the model's."""
        out = []
        for c in clips:
            if tuple(c.frames.shape[1:]) != self.frame_shape:
                raise bad("data", f"frames of shape {self.frame_shape} (C, H, W) as in "
                          "training", f"{tuple(c.frames.shape[1:])} in {c.name}")
            names = c.frame_labels if self.per_frame else [c.label]
            unknown = [x for x in names if x not in self.index]
            if unknown:
                raise bad("data", f"labels the model knows ({', '.join(self.labels[:20])}"
                          f"{', ...' if len(self.labels) > 20 else ''})",
                          f"{unknown[0]!r} in {c.name}")
            ids = [self.index[x] for x in names]
            out.append((c.frames, ids if self.per_frame else ids[0]))
        return out

    def eval_batches(self, clips: list[Clip], train: "TrainConfig") -> ClipBatches:
        return ClipBatches(self.examples(clips), train.batch_size, shuffle=False)

    # --- model -----------------------------------------------------------------------------

    def build_model(self, model: "ModelConfig") -> FramesModel:
        if len(self.labels) < 2:
            raise bad("data", "at least 2 different labels", self.labels)
        return FramesModel(list(self.frame_shape), model.hidden_sizes, len(self.labels),
                           model.cell, model.activation, model.bidirectional, model.dropout,
                           encoder=self.encoder, channels=self.options.channels,
                           frame_dim=self.options.frame_dim, per_frame=self.per_frame)

    def loss(self, model: nn.Module, x, y: torch.Tensor, state=None):
        """Mean cross-entropy per clip (or per real frame); no state is carried."""
        return cross_entropy(model(x.x, x.lengths), y, x.lengths if self.per_frame else None,
                             reduction="step"), None

    @torch.no_grad()
    def evaluate(self, model: nn.Module, batches: ClipBatches | None = None, *,
                 max_batches: int | None = None) -> dict:
        """{"loss": mean nats per label, "accuracy", "tokens": clips (or frames) scored}."""
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        total, right, count = 0.0, 0, 0
        for k, batch in enumerate((batches or self.valid_batches).epoch(0)):
            if max_batches is not None and k >= max_batches:
                break
            x, y = batch.x.to(device), batch.y.to(device)
            logits = model(x.x, x.lengths)                       # (B, K) or (B, T, K)
            lengths = x.lengths if self.per_frame else None
            total += float(cross_entropy(logits, y, lengths, reduction="sum"))
            real = torch.ones_like(y, dtype=torch.bool) if lengths is None else \
                torch.arange(y.shape[1], device=device) < lengths[:, None]
            right += int(((logits.argmax(-1) == y) & real).sum())
            count += int(real.sum())
        model.train(was_training)
        return {"loss": total / max(count, 1), "accuracy": right / max(count, 1),
                "tokens": count}

    def report(self, metrics: dict) -> str:
        what = "frames" if self.per_frame else "clips"
        return (f"valid accuracy: {metrics['accuracy']:.2%} (loss {metrics['loss']:.4f} nats "
                f"per label, {metrics['tokens']:,} {what})")

    # --- predictions -----------------------------------------------------------------------

    def reading(self, path: str | None) -> str:
        """What one input of the run is: "images" (sequential digit images) or "clips"."""
        folder = path is not None and not digit_images.is_mnist(path)
        return "clips" if folder or self.options.clips == "moving" else "images"

    @property
    def reads_images(self) -> bool:
        return self.reads == "images"

    def input_clip(self, item, name: str) -> torch.Tensor:
        """Frames (T, C, H, W) of a ``predict`` input: a path or an array (a clip, or for a
        run of sequential images, one image (H, W))."""
        if isinstance(item, (str, Path)):
            path = Path(item)
            if not self.reads_images:
                return clipdata.read_clip(path)
            if not path.is_file() or path.suffix.lower() not in (".npy", ".png"):
                raise bad(name, "an image file (.npy or .png)", repr(str(path)))
            item = clipdata.read_png(path) if path.suffix.lower() == ".png" else \
                clipdata.read_array(path)
        try:
            a = np.asarray(item)
        except ValueError:
            raise bad(name, "a rectangular array of numbers", "lists of uneven lengths") from None
        if not self.reads_images:
            return clipdata.as_frames(a, name)
        if a.ndim != 2 or a.dtype.kind not in "uif":
            raise bad(name, "one image (H, W) of numbers",
                      f"shape {a.shape}" if a.ndim != 2 else f"dtype {a.dtype}")
        o = self.options
        order = np.random.default_rng(o.data_seed).permutation(a.size) if o.permute else None
        image = clipdata.pixel_values(a, name)
        frames = clipdata.sequential(image[None], np.zeros(1, np.int64), pixels=o.pixels,
                                     permutation=order)[0].frames
        return frames

    @torch.no_grad()
    def predict(self, models: list, inputs: list) -> list[dict]:
        """{"label", "probability"} of each clip, or {"labels": one per frame}, under the
        mean probabilities of the models."""
        if not inputs:
            return []
        frames = [self.input_clip(item, f"inputs[{i}]") for i, item in enumerate(inputs)]
        for i, f in enumerate(frames):
            if tuple(f.shape[1:]) != self.frame_shape:
                raise bad(f"inputs[{i}]", f"frames of shape {self.frame_shape} (C, H, W)",
                          f"{tuple(f.shape[1:])}")
        batch = clipdata.collate([(f, 0) for f in frames])
        p = 0
        for model in models:
            model.eval()
            device = next(model.parameters()).device
            p = p + model(batch.x.x.to(device), batch.x.lengths.to(device)).softmax(-1).cpu()
        p = p / len(models)
        if p.shape[-1] != len(self.labels):
            raise bad("checkpoint", f"a model with one output per label of task.json "
                      f"({len(self.labels)})", f"{p.shape[-1]} outputs")
        if self.per_frame:
            return [{"labels": [self.labels[k] for k in row[:n].argmax(-1).tolist()]}
                    for row, n in zip(p, batch.x.lengths.tolist())]
        best = p.argmax(-1).tolist()
        return [{"label": self.labels[k], "probability": float(row[k])}
                for k, row in zip(best, p)]

    def predict_arrays(self, models: list, inputs: list) -> list[dict]:
        """``predict`` of arrays (nested lists from HTTP), never of paths on this machine."""
        for i, item in enumerate(inputs):
            if isinstance(item, (str, bytes, Path)):
                raise bad(f"inputs[{i}]", "frames as nested lists of numbers (not a path)",
                          type(item).__name__)
        return self.predict(models, inputs)

    def cmd_predict(self, run: "Run", args: argparse.Namespace) -> int:
        """``CLIP<TAB>label<TAB>probability`` per --input (target frame: the frame labels)."""
        if not args.input:
            raise bad("input", "--input CLIP [CLIP ...] for a frames run", "none")
        for path, answer in zip(args.input, self.predict([run.model], args.input)):
            print(f"{path}\t" + (" ".join(answer["labels"]) if self.per_frame else
                                 f"{answer['label']}\t{answer['probability']:.4f}"))
        return 0

    # --- records ---------------------------------------------------------------------------

    def meta(self) -> dict:
        return {"labels": self.labels, "frame_shape": list(self.frame_shape),
                "encoder": self.encoder, "reads": self.reads}

    def export_usage(self) -> list[str]:
        C, H, W = self.frame_shape
        what = ("each image read as elman.data.clips.sequential reads it with the options' "
                "pixels and permute (and data_seed)" if self.reads_images else "each clip's "
                "frames, (T, H, W) or (T, H, W, C) moved to (T, C, H, W)")
        return [f"frames (B, T, {C}, {H}, {W}) float: {what}; uint8 pixels divided by 255; "
                "0-padded after each clip's length; lengths (B,): frames per clip",
                "y: logits over task.json's labels, (B, K) per clip, or (B, T, K) per frame "
                "(target frame)"]

    def describe(self) -> str:
        C, H, W = self.frame_shape
        steps = sorted({len(c.frames) for c in self.train})
        span = f"{steps[0]}" if len(steps) == 1 else f"{steps[0]}-{steps[-1]}"
        return (f"data: {self.source!r}, {len(self.train):,} train and {len(self.valid):,} "
                f"valid clips of {span} frames of {C} x {H} x {W}, {len(self.labels)} labels "
                f"({'per frame' if self.per_frame else 'per clip'}), encoder {self.encoder}")


def fingerprint(clips: list[Clip]) -> str:
    """sha256 of the clips' frames and labels (a resumed run must see the same clips)."""
    digest = hashlib.sha256()
    for c in clips:
        digest.update(c.frames.numpy().tobytes())
        digest.update(f"{c.label}\t{c.frame_labels}\n".encode("utf-8"))
    return digest.hexdigest()
