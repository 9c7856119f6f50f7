"""Text corpora: reading a UTF-8 file, the built-in corpus and a train/valid split.

The built-in corpus is Python's own documentation: ``pydoc_data.topics.topics``, the help
texts of the language reference (about 465,000 characters for Python 3.11), shipped with every
CPython and needing no download. Its pieces are joined in sorted key order, so the corpus is the
same on every run of a given Python version.
"""

import os
from pathlib import Path

import torch

from ..errors import ElmanError, bad

DEFAULT_CORPUS = "pydoc"   # the name recorded in configs when no data file is given


def read_text(path, argument: str = "data") -> str:
    """The text of a UTF-8 file. Missing, unreadable, non-UTF-8 or empty -> ElmanError."""
    p = Path(os.fspath(path))
    if not p.is_file():
        raise bad(argument, "an existing file", repr(str(p)))
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise bad(argument, "a readable file", f"{str(p)!r} ({e.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise bad(argument, "a UTF-8 text file",
                  f"{str(p)!r} with byte 0x{raw[e.start]:02x} at offset {e.start} "
                  f"that is not UTF-8 (convert it, e.g. iconv -t UTF-8)") from None
    if text.startswith("\ufeff"):
        text = text[1:]   # a byte-order mark is not part of the text
    if not text.strip():
        raise bad(argument, "a file with some text", f"{str(p)!r}, which is empty")
    return text


def default_corpus() -> str:
    """Python's documentation topics, joined by blank lines in sorted key order."""
    try:
        from pydoc_data.topics import topics
    except ImportError:   # pragma: no cover - some distributions strip pydoc_data
        raise ElmanError("data: expected a file (--data FILE), got none, and this Python "
                         "has no pydoc_data for the built-in corpus") from None
    return "\n\n".join(topics[k].strip("\n") for k in sorted(topics)) + "\n"


def load_corpus(data: str | None) -> str:
    """A file's text, or the built-in corpus when data is None or "pydoc"."""
    if data is None or data == DEFAULT_CORPUS:
        return default_corpus()
    return read_text(data)


def split_blocks(ids: torch.Tensor, valid_fraction: float, seed: int = 0,
                 blocks: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    """Contiguous train/valid split of a token stream ids (N,).

    The stream is cut into ``blocks`` equal contiguous blocks; a seeded random
    ``valid_fraction`` of them (at least one) is held out for validation. Both parts keep their
    blocks in stream order. Holding out blocks from everywhere makes the validation text as
    varied as the training text (the last 10% of a corpus sorted by topic would not be).
    Returns (train (N_train,), valid (N_valid,)); valid is empty when valid_fraction is 0.
    """
    train, valid = held_out_spans(len(ids), valid_fraction, seed, blocks)
    return tuple(torch.cat([ids[a:b] for a, b in spans]) if spans else ids[:0]
                 for spans in (train, valid))


def held_out_spans(n: int, valid_fraction: float, seed: int = 0, blocks: int = 50
                   ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The (start, end) position ranges of ``split_blocks``' train and valid parts of a
    stream of n tokens, in stream order."""
    if not 0.0 <= valid_fraction < 1.0:
        raise bad("valid_fraction", "a fraction in [0, 1)", valid_fraction)
    blocks = max(1, min(blocks, n // 2))
    if valid_fraction == 0.0 or n < 2:
        return [(0, n)], []
    if blocks == 1:   # too short to split into blocks: hold out the tail
        cut = n - max(1, int(n * valid_fraction))
        return [(0, cut)], [(cut, n)]
    edges = [n * i // blocks for i in range(blocks + 1)]
    k = min(blocks - 1, max(1, round(valid_fraction * blocks)))
    g = torch.Generator().manual_seed(seed)
    held = set(torch.randperm(blocks, generator=g)[:k].tolist())
    return ([(edges[i], edges[i + 1]) for i in range(blocks) if i not in held],
            [(edges[i], edges[i + 1]) for i in range(blocks) if i in held])
