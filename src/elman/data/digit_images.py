"""Images of handwritten-looking digits: MNIST's IDX files, or a built-in bitmap font.

MNIST (``read_mnist``): a folder holding ``train-images-idx3-ubyte`` and
``train-labels-idx1-ubyte`` (each possibly gzipped), LeCun's IDX format: a big-endian header
(0, 0, type 0x08 = unsigned byte, number of dimensions; then each dimension as a 4-byte int)
and the bytes. Images (N, 28, 28) uint8 (0 background, 255 ink), labels (N,) in 0..9.

The font (``font_digits``): when no MNIST is given, the default data of ``--task frames``:
5 x 7 bitmaps of the ten digits, each drawn 4 pixels per dot (20 x 28), then for every image,
from a seeded generator, squeezed to a random width of 12-20 pixels, placed at a random offset
in the 28 x 28 frame, its strokes thickened at random and noise added. A stand-in that needs
no download; it is much easier than MNIST.
"""

import gzip
from pathlib import Path

import numpy as np

from ..errors import bad

SIZE = 28
FONT = {           # 5 x 7 dots per digit, "#" ink
    0: (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    1: ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
    2: (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    3: ("#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."),
    4: ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    5: ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    6: ("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
    7: ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    8: (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    9: (".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
}
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")


def read_idx(path: Path, argument: str = "data") -> np.ndarray:
    """An IDX file of unsigned bytes (gzipped or not) -> its (writable) array, dims from
    the header; ``argument`` names it in errors."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise bad(argument, "a readable gzipped IDX file", f"{str(path)!r}: {e}") from None
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        raise bad(argument, "an IDX file of unsigned bytes (it starts 00 00 08)",
                  f"{str(path)!r} starting {raw[:4].hex(' ') or 'empty'}")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    size = int(np.prod(shape))
    if len(raw) != 4 + 4 * ndim + size:
        raise bad(argument, f"{size:,} bytes of data after the header of shape {shape}",
                  f"{len(raw) - 4 - 4 * ndim:,} in {str(path)!r}")
    return np.frombuffer(bytearray(raw), np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mnist_file(folder: Path, name: str, argument: str = "data") -> Path:
    for p in (folder / f"{name}.gz", folder / name):
        if p.is_file():
            return p
    raise bad(argument, f"an MNIST folder holding {name}.gz or {name}", repr(str(folder)))


def read_mnist(folder, argument: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """The MNIST training set of an IDX folder: images (N, 28, 28) uint8, labels (N,) int64
    (``argument`` names the folder in errors)."""
    folder = Path(folder)
    images, labels = (read_idx(mnist_file(folder, name, argument), argument) for name in FILES)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise bad(argument, "IDX images (N, H, W) and labels (N,) of one length",
                  f"shapes {images.shape} and {labels.shape} in {str(folder)!r}")
    if labels.size and labels.max() > 9:
        raise bad(argument, "MNIST labels 0..9", f"{int(labels.max())} in {str(folder)!r}")
    return images, labels.astype(np.int64)


def is_mnist(folder) -> bool:
    """Does the folder hold MNIST's training images (gzipped or not)?"""
    folder = Path(folder)
    return any((folder / f"{FILES[0]}{end}").is_file() for end in (".gz", ""))


def glyph(digit: int) -> np.ndarray:
    """The font's digit drawn at 4 pixels per dot: (28, 20) float in {0, 1}."""
    dots = np.array([[c == "#" for c in row] for row in FONT[digit]], dtype=np.float32)
    return np.kron(dots, np.ones((4, 4), np.float32))


def font_digit(digit: int, rng: np.random.Generator) -> np.ndarray:
    """One jittered image of ``digit`` (28, 28) uint8: random width, offset, thickness, noise."""
    g = glyph(digit)                                                  # (28, 20)
    width = int(rng.integers(12, 21))
    cols = np.linspace(0, g.shape[1] - 1, width).round().astype(int)
    height = int(rng.integers(20, 27))
    rows = np.linspace(0, g.shape[0] - 1, height).round().astype(int)
    g = g[rows][:, cols]                                              # (height, width)
    if rng.random() < 0.5:                                            # thicker strokes
        g = np.maximum(g, np.pad(g, ((0, 0), (1, 0)))[:, :-1])
    img = np.zeros((SIZE, SIZE), np.float32)
    top, left = rng.integers(0, SIZE - height + 1), rng.integers(0, SIZE - width + 1)
    img[top:top + height, left:left + width] = g
    img = img * rng.uniform(0.6, 1.0) + rng.normal(0, 0.1, img.shape)
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


def font_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n seeded images of the font's digits, labels cycling 0..9 in a shuffled order:
    images (n, 28, 28) uint8, labels (n,) int64."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    images = np.stack([font_digit(int(d), rng) for d in labels]) if n else \
        np.zeros((0, SIZE, SIZE), np.uint8)
    return images, labels
