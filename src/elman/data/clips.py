"""Clips: sequences of images, each with a label (and optionally a label per frame).

A clip's frames are a tensor (T, C, H, W): uint8 (0..255, read as /255) or float32. Three
sources:

- ``sequential``: an image (28, 28) read as a sequence, 28 rows of 28 pixels (frames (28, 1,
  1, 28)), or pixel by pixel (``pixels``: 784 frames (784, 1, 1, 1)), optionally in a fixed
  order ``permutation`` (permuted sequential MNIST); the label is the digit.
- ``moving``: clips of T frames (size x size) in which one or more digit images (shrunk to
  14 x 14, side by side) move together at 1-3 pixels a frame in one of four directions,
  turning back at the edges. The clip's label is the digits and the first direction
  (``"37 left"``); the label of frame t is the direction of the move into it (``"start"``
  for the first frame).
- ``read_folder``: a folder of the user's clips with ``labels.csv`` (header ``clip,label``
  and optionally ``frame_labels``, space-separated, one per frame); a clip is a ``.npy``
  file, a ``.npz`` file (its one array or the one named ``frames``) of shape (T, H, W) or
  (T, H, W, C), or a folder of PNG frames read in name order (Pillow, the ``frames``
  extra). Arrays are loaded without pickle.
"""

import csv
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ..errors import bad
from ..extras import require
from .batching import Batch
from .features import FrameBatches, Frames

DIRECTIONS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
START = "start"
DIGIT = 14                        # pixels of a moving digit
MAX_SPEED = 3


class Clip(NamedTuple):
    frames: torch.Tensor          # (T, C, H, W) uint8 or float32
    label: str
    frame_labels: list[str] | None
    name: str


def sequential(images: np.ndarray, labels: np.ndarray, *, pixels: bool = False,
               permutation: np.ndarray | None = None) -> list[Clip]:
    """Images (N, H, W) uint8 -> clips of H rows (H, 1, 1, W) or of H*W pixels (H*W, 1, 1,
    1), the pixels in ``permutation``'s order when given."""
    x = torch.from_numpy(np.ascontiguousarray(images))
    N, H, W = x.shape
    if pixels:
        flat = x.reshape(N, H * W)
        if permutation is not None:
            flat = flat[:, torch.from_numpy(permutation)]
        x = flat.reshape(N, H * W, 1, 1, 1)
    else:
        x = x.reshape(N, H, 1, 1, W)
    return [Clip(x[i], str(int(y)), None, f"image {i}") for i, y in enumerate(labels)]


def shrink(image: np.ndarray) -> np.ndarray:
    """(28, 28) -> (14, 14): the mean of each 2 x 2 block."""
    h, w = image.shape
    return image.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def moving(images: np.ndarray, labels: np.ndarray, n: int, *, frames: tuple[int, int] = (10, 20),
           size: int = 32, digits: int = 1, seed: int = 0) -> list[Clip]:
    """n clips of moving digits drawn from images (M, 28, 28) uint8 and their labels (M,)."""
    room = size - DIGIT * digits
    if room < 2 * MAX_SPEED:
        raise bad("frame_size", f"at least {DIGIT * digits + 2 * MAX_SPEED} pixels for "
                  f"{digits} digit(s) of {DIGIT} pixels moving up to {MAX_SPEED} a frame", size)
    rng = np.random.default_rng(seed)
    clips = []
    for c in range(n):
        picks = rng.integers(0, len(images), digits)
        group = np.concatenate([shrink(images[i].astype(np.float32)) for i in picks],
                               axis=1)                                  # (14, 14*digits)
        T = int(rng.integers(frames[0], frames[1] + 1))
        clip, moves = move(group, T, size, rng)
        name = "".join(str(int(labels[i])) for i in picks)
        clips.append(Clip(torch.from_numpy(clip), f"{name} {moves[1]}", moves, f"clip {c}"))
    return clips


def move(group: np.ndarray, T: int, size: int, rng: np.random.Generator
         ) -> tuple[np.ndarray, list[str]]:
    """A group image (h, w) moving in a size x size frame for T >= 2 frames -> frames (T, 1,
    size, size) uint8 and the label of each frame (the first "start")."""
    h, w = group.shape
    name = list(DIRECTIONS)[int(rng.integers(0, 4))]
    speed = int(rng.integers(1, MAX_SPEED + 1))
    v = np.array(DIRECTIONS[name]) * speed
    pos = np.array([rng.integers(0, size - h + 1), rng.integers(0, size - w + 1)])
    out = np.zeros((T, 1, size, size), np.uint8)
    moves = [START]
    for t in range(T):
        if t:
            nxt = pos + v
            if not (0 <= nxt[0] <= size - h and 0 <= nxt[1] <= size - w):
                v = -v                                          # turn back at the edge
            pos = pos + v
            moves.append(next(k for k, d in DIRECTIONS.items() if (np.sign(v) == d).all()))
        out[t, 0, pos[0]:pos[0] + h, pos[1]:pos[1] + w] = group.round().astype(np.uint8)
    return out, moves


def pixel_values(a: np.ndarray, name: str, where: str = "") -> np.ndarray:
    """``a`` as uint8 (integers, which must lie in 0..255: e.g. JSON's whole numbers) or
    float32 (floats and booleans, which must be finite); ``where``: " in FILE" or ""."""
    if a.dtype.kind in "iu":
        if a.size and (a.min() < 0 or a.max() > 255):
            raise bad(name, "integer pixels in 0..255 (or floats)",
                      f"integers from {a.min()} to {a.max()}{where}")
        return a.astype(np.uint8)
    if a.dtype.kind not in "fb":
        raise bad(name, "numbers (uint8 0..255, or floats)", f"dtype {a.dtype}{where}")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise bad(name, "finite pixel values", f"NaN or infinity{where}")
    return a


def as_frames(array, name: str, where: str = "") -> torch.Tensor:
    """An array (T, H, W) or (T, H, W, C), integers 0..255 (read as uint8) or floats
    (finite) -> frames (T, C, H, W).
    ``name``: the argument errors name, ``where``: the file, if any."""
    a = np.asarray(array)
    where = f" in {where}" if where else ""
    if a.ndim not in (3, 4) or 0 in a.shape or (a.ndim == 4 and a.shape[3] > 4):
        raise bad(name, "frames of shape (T, H, W) or (T, H, W, C) with C <= 4",
                  f"shape {a.shape}{where}")
    a = pixel_values(a, name, where)
    if a.ndim == 3:
        a = a[..., None]
    return torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))


def read_array(path: Path) -> np.ndarray:
    """A .npy file, or a .npz file's one array (or its array ``frames``), without pickle."""
    try:
        if path.suffix.lower() != ".npz":
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.keys()}
    except (ValueError, OSError, EOFError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise bad("clip", "a readable .npy or .npz array (no pickled objects)",
                  f"{str(path)!r}: {first}") from None
    if "frames" not in arrays and len(arrays) != 1:
        raise bad("clip", "an .npz holding one array or one named frames",
                  f"{str(path)!r} with {sorted(arrays)}")
    return arrays["frames"] if "frames" in arrays else next(iter(arrays.values()))


def read_png(path: Path) -> np.ndarray:
    """One PNG image -> (H, W) uint8 (grey modes) or (H, W, 3) (colour modes)."""
    image = require("PIL.Image", "frames")
    try:
        with image.open(path) as img:
            gray = img.mode in ("1", "L", "I", "I;16", "F", "LA")
            return np.asarray(img.convert("L" if gray else "RGB"))
    except (OSError, ValueError) as e:
        raise bad("clip", "PNG images", f"{str(path)!r}: {e}") from None


def read_pngs(folder: Path) -> np.ndarray:
    """A folder of PNG frames, in name order -> (T, H, W) or (T, H, W, 3) uint8."""
    files = sorted(folder.glob("*.png"))
    if not files:
        raise bad("clip", "a folder of PNG frames", f"{str(folder)!r} with none")
    frames = [read_png(f) for f in files]
    if len({a.shape for a in frames}) > 1:
        raise bad("clip", "frames of one size", f"sizes {sorted({a.shape for a in frames})} "
                  f"in {str(folder)!r}")
    return np.stack(frames)


def read_clip(path: Path) -> torch.Tensor:
    """The frames (T, C, H, W) of a .npy/.npz file or a folder of PNGs."""
    if path.is_dir():
        return as_frames(read_pngs(path), "clip", repr(str(path)))
    if not path.is_file() or path.suffix.lower() not in (".npy", ".npz"):
        raise bad("clip", "a .npy or .npz file or a folder of PNG frames",
                  repr(str(path)) + ("" if path.exists() else " (no such file)"))
    return as_frames(read_array(path), "clip", repr(str(path)))


def read_folder(folder) -> list[Clip]:
    """The clips listed in ``folder/labels.csv`` (see the module doc)."""
    folder = Path(folder)
    table = folder / "labels.csv"
    if not table.is_file():
        raise bad("data", "a folder of clips with labels.csv, or an MNIST folder",
                  repr(str(folder)))
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"clip", "label"} <= set(rows[0]):
        raise bad("data", "labels.csv with a header naming the columns clip and label (and "
                  "optionally frame_labels) and at least one row", repr(str(table)))
    clips = []
    for line, row in enumerate(rows, start=2):
        frames = read_clip(folder / (row["clip"] or ""))
        per_frame = (row.get("frame_labels") or "").split() or None
        if per_frame is not None and len(per_frame) != len(frames):
            raise bad("frame_labels", f"one label per frame ({len(frames)})",
                      f"{len(per_frame)} in {table}:{line}")
        if not (row["label"] or "").strip():
            raise bad("label", "a label for every clip", f"none in {table}:{line}")
        clips.append(Clip(frames, row["label"].strip(), per_frame, row["clip"]))
    return clips


def pixels(frames: torch.Tensor) -> torch.Tensor:
    """Frames as float32: uint8 divided by 255, floats as they are."""
    return frames.float() / 255 if frames.dtype == torch.uint8 else frames


def collate(examples: list) -> Batch:
    """[(frames (T_i, C, H, W), class id or ids (T_i,))] -> Batch(Frames(x (B, T, C, H, W)
    float32, 0-padded; lengths (B,)), y (B,) or (B, T) 0-padded)."""
    lengths = torch.tensor([len(f) for f, _ in examples], dtype=torch.long)
    x = torch.nn.utils.rnn.pad_sequence([pixels(f) for f, _ in examples], batch_first=True)
    targets = [t for _, t in examples]
    y = torch.tensor(targets, dtype=torch.long) if isinstance(targets[0], int) else \
        torch.nn.utils.rnn.pad_sequence([torch.tensor(t) for t in targets], batch_first=True)
    return Batch(Frames(x, lengths), y, False)


class ClipBatches(FrameBatches):
    """``FrameBatches`` of clips: examples [(frames (T, C, H, W), target)], batched by
    ``collate``."""

    def epoch(self, epoch: int, start: int = 0):
        for indices in self.order(epoch)[start:]:
            yield collate([self.examples[i] for i in indices])
