"""Prepared corpora: a text tokenised once into a memory-mapped token array, for language
models of corpora larger than memory (``elman prepare``; ``elman train --data DIR``).

A prepared folder::

    prepared.json   {"format": 1, "dtype": "uint8"|"uint16"|"uint32", "count": N,
                     "level": "char"|"word"|"subword", "lowercase", "min_count",
                     "subwords" (level subword), "sources": [files], "sha256": of tokens.bin}
    tokens.bin      the N token ids, little-endian, of the smallest dtype that holds them
    vocab.json      the vocabulary (``Vocab.to_dict``)
    spm.model       level subword: the sentencepiece model (``elman.data.tokenizers.Pieces``),
                    trained on the first SAMPLE bytes of the text

The files are read as their concatenation with a newline between two files (one file: its
text as ``elman train --data FILE`` reads it, so the ids, vocabulary and training are the
same). Tokenising streams the text in chunks cut at whitespace, twice (count, then encode):
characters through a code point -> id table in NumPy, words through ``elman.data.words``,
subwords through the sentencepiece model (chunks cut before a space or after a newline, where
its pieces end anyway, so a text of one chunk gives the ids of ``--data FILE``).
Memory is a chunk's, whatever the corpus size. Training reads the windows it needs from the
file (``Stream``), so its memory does not grow with the corpus either.
"""

import codecs
import glob
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import bad
from .text import held_out_spans
from .vocab import UNK, Vocab
from .words import words

FORMAT = 1
HEADER, TOKENS, VOCAB, SPM = "prepared.json", "tokens.bin", "vocab.json", "spm.model"
DTYPES = ("uint8", "uint16", "uint32")
CHUNK = 1 << 26                  # bytes of text read at a time (64 MiB)
SAMPLE = CHUNK                   # characters of text a subword model is trained on
MAX_CODE = 0x110000              # code points


def dtype_for(size: int) -> str:
    """The smallest unsigned dtype that holds ids 0..size-1."""
    return next(d for d in DTYPES if size <= np.iinfo(d).max + 1)


def is_prepared(path) -> bool:
    return path is not None and (Path(path) / HEADER).is_file()


def source_files(pattern: str) -> list[Path]:
    """The files of --data: a file, or a glob's files in sorted order."""
    if Path(pattern).is_file():
        return [Path(pattern)]
    found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not found:
        raise bad("data", "a text file or a glob matching some (e.g. 'books/*.txt')",
                  repr(pattern))
    return found


# --- tokenising ---------------------------------------------------------------------------


def chunks(files: list[Path], lowercase: bool = False, size: int = CHUNK) -> Iterator[str]:
    """The text of ``files`` (a newline between two), in pieces of about ``size`` bytes cut
    after a whitespace character, so no word and no lower-casing context is split."""
    carry = ""
    for n, path in enumerate(files):
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset, started = 0, False
        if n:
            carry += "\n"
        with open(path, "rb") as f:
            while True:
                raw = f.read(size)
                try:
                    text = decoder.decode(raw, final=not raw)
                except UnicodeDecodeError as e:
                    raise bad("data", "UTF-8 text files", f"{str(path)!r} with byte "
                              f"0x{raw[e.start]:02x} at offset {offset + e.start} that is not "
                              "UTF-8 (convert it, e.g. iconv -t UTF-8)") from None
                if text and not started:
                    text, started = text.removeprefix("\ufeff"), True   # a byte-order mark
                offset += len(raw)
                text, carry = cut(carry + text)
                if text:
                    yield text.lower() if lowercase else text
                if not raw:
                    break
    if carry:
        yield carry.lower() if lowercase else carry


def cut(text: str) -> tuple[str, str]:
    """(text up to and including its last space or newline, the rest)."""
    i = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
    return (text[:i + 1], text[i + 1:]) if i >= 0 else ("", text)


def code_points(text: str) -> np.ndarray:
    """(N,) uint32 code points of ``text``."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def char_vocab(files, lowercase: bool) -> tuple[Vocab, int]:
    """(the character vocabulary ``Vocab.build`` makes of the whole text, its length)."""
    seen, count = np.zeros(MAX_CODE, dtype=bool), 0
    for text in chunks(files, lowercase):
        seen[code_points(text)] = True
        count += len(text)
    seen[ord(UNK["char"])] = False
    tokens = [UNK["char"]] + [chr(c) for c in np.flatnonzero(seen)]
    return Vocab(tokens, "char", UNK["char"]), count


def word_vocab(files, lowercase: bool, min_count: int) -> tuple[Vocab, int]:
    """(the word vocabulary ``Vocab.build`` makes of the whole text's words, their
    number)."""
    counts = Counter()
    for text in chunks(files, lowercase):
        counts.update(words(text))
    kept = sorted(t for t, n in counts.items() if n >= min_count and t != UNK["word"])
    return Vocab([UNK["word"], *kept], "word", UNK["word"]), sum(counts.values())


def sample(files, lowercase: bool, size: int = SAMPLE) -> str:
    """The first chunks of the text, up to about ``size`` characters."""
    out, n = [], 0
    for text in chunks(files, lowercase):
        out.append(text)
        n += len(text)
        if n >= size:
            break
    return "".join(out)


def piece_chunks(texts: Iterator[str]) -> Iterator[str]:
    """The texts re-cut before their last space or after their last newline."""
    carry = ""
    for text in texts:
        text = carry + text
        i = max(text.rfind(" "), text.rfind("\n") + 1)
        text, carry = (text[:i], text[i:]) if i > 0 else ("", text)
        if text:
            yield text
    if carry:
        yield carry


def encoded(files, vocab: Vocab, lowercase: bool, dtype: str,
            pieces=None) -> Iterator[np.ndarray]:
    """The ids of the text, a chunk at a time (``pieces``: the subword model of level
    subword)."""
    if pieces is not None:
        for text in piece_chunks(chunks(files, lowercase)):
            yield np.asarray(pieces.ids(text), dtype=dtype)
        return
    if vocab.level == "char":
        table = np.zeros(MAX_CODE, dtype=dtype)           # unseen code points -> unk (0)
        table[[ord(t) for t in vocab.tokens]] = np.arange(len(vocab), dtype=dtype)
        for text in chunks(files, lowercase):
            yield table[code_points(text)]
        return
    index, unk = vocab.index, vocab.index[vocab.unk]
    for text in chunks(files, lowercase):
        yield np.fromiter((index.get(w, unk) for w in words(text)), dtype=dtype)


# --- the folder ---------------------------------------------------------------------------


@dataclass
class Prepared:
    """An opened prepared folder: its header, vocabulary and (N,) memory-mapped ids (mapping
    reads nothing until an id is used)."""

    path: Path
    header: dict
    vocab: Vocab
    tokens: np.ndarray
    spm: bytes | None = None          # the subword model (level subword)

    def stream(self) -> "Stream":
        """All the ids as a Stream, which reads windows from the file without mapping it, so
        the pages it read are the page cache's, not the process's."""
        return Stream(self.path / TOKENS, self.tokens.dtype, [(0, len(self.tokens))])


def open_prepared(path) -> Prepared:
    """Open and check a prepared folder; nothing is read but its header and vocabulary."""
    p = Path(path)
    header = read_json(p / HEADER)
    want = f"a prepared folder of format {FORMAT} (elman prepare)"
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        version = header.get("format") if isinstance(header, dict) else None
        newer = isinstance(version, int) and version > FORMAT
        raise bad("data", want, f"format {version!r} in {str(p / HEADER)!r}" + (
            ", written by a newer elman: upgrade elman" if newer else
            ": prepare it again with this elman"))
    dtype, count = header.get("dtype"), header.get("count")
    if dtype not in DTYPES or not isinstance(count, int) or count < 2:
        raise bad("data", f"{HEADER} with a dtype of {list(DTYPES)} and a count >= 2",
                  f"dtype {dtype!r}, count {count!r} in {str(p)!r}")
    size = (p / TOKENS).stat().st_size if (p / TOKENS).is_file() else None
    if size != count * np.dtype(dtype).itemsize:
        raise bad("data", f"{TOKENS} of {count:,} {dtype} ids ({count * np.dtype(dtype).itemsize:,}"
                  " bytes)", "no such file" if size is None else f"{size:,} bytes in {str(p)!r}")
    vocab = Vocab.from_dict(read_json(p / VOCAB))
    if len(vocab) > np.iinfo(dtype).max + 1 or vocab.level != header.get("level"):
        raise bad("data", f"a {VOCAB} of the {header.get('level')} ids of {HEADER}",
                  f"{len(vocab):,} {vocab.level} tokens in {str(p)!r}")
    spm = None
    if vocab.level == "subword":
        if not (p / SPM).is_file():
            raise bad("data", f"a prepared folder of subwords holding {SPM} (elman prepare)",
                      f"{str(p)!r} without it")
        spm = (p / SPM).read_bytes()
    tokens = np.memmap(p / TOKENS, dtype=np.dtype(dtype).newbyteorder("<"), mode="r")
    return Prepared(p, header, vocab, tokens, spm)


def read_json(path: Path):
    if not path.is_file():
        raise bad("data", f"a prepared folder holding {path.name} (elman prepare)",
                  f"{str(path.parent)!r} without it")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise bad("data", f"valid JSON in {str(path)!r}", f"{type(e).__name__}: {e}") from None


# --- reading ------------------------------------------------------------------------------


class Stream:
    """A token stream (N,) that is ranges of a file of ids one after another, read a window
    at a time (``os.pread``). It answers what ``StreamBatches`` asks of a tensor of ids:
    ``len``, ``stream[a:b]`` (a Stream), ``stream[positions]`` (an int64 tensor of the ids at
    positions (R, L) whose rows are runs p, p + 1, ..., p + L - 1) and ``view(B, -1)`` (B rows
    of C = N // B ids, ``rows[:, a:b]`` a (B, b - a) tensor)."""

    def __init__(self, path: Path, dtype: np.dtype, ranges: list[tuple[int, int]]):
        self.path, self.dtype = Path(path), np.dtype(dtype)
        self.ranges = [(a, b) for a, b in ranges if b > a]
        self.offsets = np.cumsum([0] + [b - a for a, b in self.ranges], dtype=np.int64)
        self.fd = None

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, index):
        if isinstance(index, slice):
            a, b, step = index.indices(len(self))
            if step != 1:
                raise bad("index", "a slice with step 1", step)
            return Stream(self.path, self.dtype, self.spans(a, b))
        positions = np.asarray(index, dtype=np.int64)
        runs = positions.reshape(-1, positions.shape[-1]) if positions.ndim else \
            positions.reshape(1, 1)
        if not np.array_equal(runs, runs[:, :1] + np.arange(runs.shape[1])):
            raise bad("positions", "rows of consecutive positions", "other positions")
        ids = np.stack([self.read(int(p), int(p) + runs.shape[1]) for p in runs[:, 0]])
        return torch.from_numpy(ids.astype(np.int64).reshape(positions.shape))

    def read(self, a: int, b: int) -> np.ndarray:
        """The ids at positions a..b-1."""
        if not 0 <= a <= b <= len(self):
            raise bad("positions", f"positions in 0..{len(self) - 1}", f"{a}..{b - 1}")
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDONLY)
        size = self.dtype.itemsize
        parts = [np.frombuffer(os.pread(self.fd, (end - start) * size, start * size),
                               dtype=self.dtype) for start, end in self.spans(a, b)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=self.dtype)

    def spans(self, a: int, b: int) -> list[tuple[int, int]]:
        """The ranges of the file that hold positions a..b-1."""
        out = []
        for (start, end), offset in zip(self.ranges, self.offsets):
            lo, hi = max(a, int(offset)), min(b, int(offset) + end - start)
            if lo < hi:
                out.append((start + lo - int(offset), start + hi - int(offset)))
        return out

    def view(self, rows: int, columns: int = -1) -> "Rows":
        return Rows(self, rows, len(self) // rows if columns == -1 else columns)

    def __del__(self):
        if self.fd is not None:
            os.close(self.fd)


class Rows:
    """B rows of C ids of a Stream (row r: positions r*C .. r*C + C - 1)."""

    def __init__(self, stream: Stream, rows: int, columns: int):
        self.stream, self.shape = stream, (rows, columns)

    def __getitem__(self, index) -> torch.Tensor:
        _, window = index
        a, b, _ = window.indices(self.shape[1])
        rows = np.arange(self.shape[0], dtype=np.int64)[:, None] * self.shape[1]
        return self.stream[rows + np.arange(a, b, dtype=np.int64)]           # (B, b - a)


def split_stream(stream: Stream, valid_fraction: float, seed: int = 0,
                 blocks: int = 50) -> tuple[Stream, Stream]:
    """``elman.data.text.split_blocks`` of a Stream: the same blocks held out, nothing
    copied."""
    train, valid = held_out_spans(len(stream), valid_fraction, seed, blocks)
    return tuple(Stream(stream.path, stream.dtype,
                        [r for a, b in spans for r in stream.spans(a, b)])
                 for spans in (train, valid))
