"""Image files for captioning: a folder of images with a ``captions.tsv`` (Flickr8k style),
and single images to caption (MNIST's IDX files: ``elman.data.digit_images``).

Every image is read with Pillow (a dependency of matplotlib), converted to grey (1 channel)
or RGB (3), resized to height x width (bilinear) where it differs and kept as uint8
(C, H, W); ``as_float`` makes the model's input, (B, C, H, W) in [-1, 1] (0 -> -1,
255 -> 1: centred, which the encoder learns from much faster than from [0, 1]).

``captions.tsv``: one caption a line, ``image<TAB>caption``, the image a path relative to
the folder; an image may have several lines (its captions are all references). Flickr8k's
``name.jpg#0`` numbering is allowed (the ``#N`` is dropped). Blank lines are skipped.
"""

import io
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ..errors import bad

CAPTIONS = "captions.tsv"
MODES = {1: "L", 3: "RGB"}


class Captioned(NamedTuple):
    """One image (C, H, W) uint8 and its captions (at least one)."""

    image: torch.Tensor
    captions: list[str]
    name: str


def read_image(source, shape: tuple[int, int, int], argument: str = "image",
               name: str | None = None) -> torch.Tensor:
    """An image file (a path, or its bytes) -> (C, H, W) uint8 for ``shape`` (C, H, W);
    ``name``: how errors call it (default: the path)."""
    from PIL import Image, UnidentifiedImageError
    C, H, W = shape
    if isinstance(source, (bytes, bytearray)):
        name, data = name or "the upload", io.BytesIO(source)
    else:
        name = name or str(source)
        if not Path(os.fspath(source)).is_file():
            raise bad(argument, "an existing image file", repr(name))
        data = os.fspath(source)
    try:
        with Image.open(data) as img:
            img = img.convert(MODES[C])
            if img.size != (W, H):
                img = img.resize((W, H), Image.Resampling.BILINEAR)
            pixels = np.asarray(img, dtype=np.uint8)
    except Image.DecompressionBombError as e:          # a huge image in a small file
        size = re.search(r"\((\d+) pixels\)", str(e))
        raise bad(argument, f"an image of at most {2 * Image.MAX_IMAGE_PIXELS:,} pixels "
                  "(Pillow's limit)", f"{name!r} of {int(size[1]):,} pixels" if size else
                  f"{name!r} ({e})") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise bad(argument, "an image file Pillow reads (PNG, JPEG, ...)",
                  f"{name!r} ({type(e).__name__})") from None
    return torch.from_numpy(pixels.reshape(H, W, C).transpose(2, 0, 1).copy())


def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (B, C, H, W) -> float32 in [-1, 1]."""
    return images.float() / 127.5 - 1.0


def is_captions_folder(path: str) -> bool:
    return (Path(path) / CAPTIONS).is_file()


def parse_captions(text: str, name: str,
                   argument: str = "data") -> dict[str, list[tuple[str, int]]]:
    """{image: [(caption, line)]} of a captions.tsv text read from ``name``, images in order
    of appearance; ``argument`` names it in errors."""
    found: dict[str, list[tuple[str, int]]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        image, tab, caption = line.partition("\t")
        image = image.strip().split("#", 1)[0]
        if not tab:
            raise bad(argument, "image<TAB>caption on every line", f"a line without a tab at "
                      f"{name}:{n}")
        if not image or not caption.strip():
            raise bad(argument, "an image and a caption on every line", f"an empty "
                      f"{'image' if not image else 'caption'} at {name}:{n}")
        found.setdefault(image, []).append((caption.strip(), n))
    if not found:
        raise bad(argument, "some image<TAB>caption lines", f"none in {name!r}")
    return found


def read_captions(folder: str, shape: tuple[int, int, int],
                  argument: str = "data") -> list[Captioned]:
    """The images of a folder's captions.tsv with their captions, in file order."""
    from .text import read_text
    tsv = Path(folder) / CAPTIONS
    text = read_text(tsv, argument)
    out = []
    for image, rows in parse_captions(text, str(tsv), argument).items():
        path = Path(folder) / image
        if not path.is_file():
            raise bad(argument, f"image files beside {CAPTIONS}", f"no {image!r} "
                      f"({tsv}:{rows[0][1]})")
        out.append(Captioned(read_image(path, shape, argument), [c for c, _ in rows], image))
    return out
