"""Generated captioning data: digits placed on a canvas, captioned in words.

Digits come from MNIST (``elman.data.digit_images.read_mnist``) or, needing no data at all, from a
built-in 5 x 7 pixel font (``elman.data.digit_images.FONT``, ``glyph_digits``): each glyph drawn at 3 or 4 times its size, at
a random place in a 28 x 28 cell, with a random stroke brightness and pixel noise, so that no
two digits are quite alike.

Layouts (``LAYOUTS``), each composite of ``height`` x ``width`` pixels (one channel):

- ``row``: 2-4 digits (``min_digits``..``max_digits``) left to right with random gaps and
  heights, captioned with their names in reading order: "three seven one";
- ``above``: two digits, one above the other at random horizontal places: "a seven above a
  two" ("an eight");
- ``mixed``: each composite one of the two, with even odds.

Everything is drawn from a NumPy generator, so a seed gives the same composites.
"""

import numpy as np

from ..errors import bad
from .digit_images import FONT

NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
LAYOUTS = ("row", "above", "mixed")
CELL = 28                          # pixels of one digit's square



def article(digit: int) -> str:
    return "an" if digit == 8 else "a"              # "a one", "an eight"


def glyph_digits(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` digits of the built-in font: (images (N, 28, 28) uint8, labels (N,))."""
    labels = rng.integers(0, 10, count)
    images = np.zeros((count, CELL, CELL), dtype=np.float32)
    for i, d in enumerate(labels):
        bits = np.array([[c == "#" for c in row] for row in FONT[int(d)]], dtype=np.float32)
        scale = int(rng.integers(3, 5))
        big = np.kron(bits, np.ones((scale, scale), dtype=np.float32))   # (7s, 5s)
        y = int(rng.integers(0, CELL - big.shape[0] + 1))
        x = int(rng.integers(0, CELL - big.shape[1] + 1))
        images[i, y:y + big.shape[0], x:x + big.shape[1]] = big * rng.uniform(0.6, 1.0)
    images += rng.uniform(0, 0.15, images.shape) * (images > 0)
    return (np.clip(images, 0, 1) * 255).astype(np.uint8), labels.astype(np.uint8)


def check_layout(layout: str, min_digits: int, max_digits: int, height: int, width: int):
    """Refuse a layout that the canvas cannot hold."""
    if layout not in LAYOUTS:
        raise bad("layout", f"one of {list(LAYOUTS)}", repr(layout))
    if layout != "above":
        if not 1 <= min_digits <= max_digits:
            raise bad("min_digits", f"an int in 1..max_digits ({max_digits})", min_digits)
        if max_digits * CELL > width or height < CELL:
            raise bad("max_digits", f"at most width // {CELL} = {width // CELL} digits in a "
                      f"row (and height >= {CELL})", max_digits)
    if layout != "row" and (2 * CELL > height or width < CELL):
        raise bad("height", f"at least {2 * CELL} pixels for digits above one another "
                  "(layout above or mixed)", height)


def place_row(canvas: np.ndarray, digits: list[np.ndarray], rng: np.random.Generator):
    """Digits left to right, the free width split into random gaps."""
    H, W = canvas.shape
    cuts = np.sort(rng.integers(0, W - len(digits) * CELL + 1, len(digits)))
    for k, (x, d) in enumerate(zip(cuts, digits)):
        y = int(rng.integers(0, H - CELL + 1))
        left = int(x) + k * CELL
        canvas[y:y + CELL, left:left + CELL] = np.maximum(canvas[y:y + CELL, left:left + CELL], d)


def place_above(canvas: np.ndarray, top: np.ndarray, bottom: np.ndarray,
                rng: np.random.Generator):
    """One digit above the other, at random horizontal places."""
    H, W = canvas.shape
    y1 = int(rng.integers(0, H - 2 * CELL + 1))
    y2 = int(rng.integers(y1 + CELL, H - CELL + 1))
    for y, d in ((y1, top), (y2, bottom)):
        x = int(rng.integers(0, W - CELL + 1))
        canvas[y:y + CELL, x:x + CELL] = d


def compose(digits: np.ndarray, labels: np.ndarray, count: int, rng: np.random.Generator, *,
            layout: str = "mixed", min_digits: int = 2, max_digits: int = 4, height: int = 64,
            width: int = 128) -> tuple[np.ndarray, list[str]]:
    """``count`` composites of digits (N, 28, 28) uint8 with labels (N,) drawn at random:
    (images (count, 1, height, width) uint8, captions)."""
    check_layout(layout, min_digits, max_digits, height, width)
    images = np.zeros((count, 1, height, width), dtype=np.uint8)
    captions = []
    for i in range(count):
        above = layout == "above" or (layout == "mixed" and rng.random() < 0.5)
        n = 2 if above else int(rng.integers(min_digits, max_digits + 1))
        pick = rng.integers(0, len(digits), n)
        names = [int(labels[j]) for j in pick]
        if above:
            place_above(images[i, 0], digits[pick[0]], digits[pick[1]], rng)
            a, b = names
            captions.append(f"{article(a)} {NAMES[a]} above {article(b)} {NAMES[b]}")
        else:
            place_row(images[i, 0], [digits[j] for j in pick], rng)
            captions.append(" ".join(NAMES[d] for d in names))
    return images, captions
