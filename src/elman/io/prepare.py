"""Writing a prepared corpus folder (``elman prepare``; the format: ``elman.data.prepared``):
the text tokenised chunk by chunk into tokens.bin beside its vocabulary and header, written
into a temporary folder and swapped in whole."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..data.prepared import (
    FORMAT,
    HEADER,
    SPM,
    TOKENS,
    VOCAB,
    char_vocab,
    dtype_for,
    encoded,
    sample,
    source_files,
    word_vocab,
)
from ..data.tokenizers import Pieces
from ..data.vocab import Vocab
from ..errors import bad
from .atomic import FolderWriter, write_bytes, write_text


def check_out(out):
    """--out is replaced whole: a new folder, an empty one or an earlier prepared folder,
    never a file or a folder of other files."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise bad("out", "a folder to write the prepared corpus in", f"{str(out)!r}, which is a "
                  "file")
    if p.is_dir() and any(p.iterdir()) and not (p / HEADER).is_file():
        raise bad("out", "a new folder, an empty one or an earlier prepared folder (it is "
                  "replaced whole)", f"{str(out)!r}, which holds other files")


def prepare(data: str, out, *, level: str = "char", lowercase: bool = False,
            min_count: int = 1, subwords: int = 2000, log=print) -> dict:
    """Tokenise the files of ``data`` (a file or a glob) into the prepared folder ``out``
    (written whole and swapped in); returns its header. Level subword trains a
    sentencepiece model of ``subwords`` pieces on the text's first SAMPLE characters."""
    check_out(out)
    files = source_files(data)
    pieces = None
    if level == "subword":
        pieces = Pieces.train(sample(files, lowercase).split("\n"), subwords, lowercase,
                              running=True)
        vocab, count = Vocab.of_pieces(pieces), None
    else:
        vocab, count = char_vocab(files, lowercase) if level == "char" else \
            word_vocab(files, lowercase, min_count)
        check_count(count, data)
    dtype = dtype_for(len(vocab))
    log(f"vocabulary of {len(vocab):,} {level}s ({dtype} ids); encoding")
    sha, written = hashlib.sha256(), 0
    with FolderWriter(out) as tmp:
        with open(tmp / TOKENS, "wb") as f:
            for ids in encoded(files, vocab, lowercase, dtype, pieces):
                chunk = ids.astype(np.dtype(dtype).newbyteorder("<"), copy=False).tobytes()
                f.write(chunk)
                sha.update(chunk)
                written += len(ids)
            f.flush()
            os.fsync(f.fileno())
        check_count(written, data)
        header = {"format": FORMAT, "dtype": dtype, "count": written, "level": level,
                  "lowercase": lowercase, "min_count": min_count if level == "word" else 1,
                  "sources": [str(p) for p in files], "sha256": sha.hexdigest()}
        if pieces is not None:
            header["subwords"] = subwords
            write_bytes(tmp / SPM, pieces.model)
        write_text(tmp / VOCAB, json.dumps(vocab.to_dict(), ensure_ascii=False) + "\n")
        write_text(tmp / HEADER, json.dumps(header, indent=2) + "\n")
    return header


def check_count(count: int, data: str):
    if count < 2:
        raise bad("data", "a text of at least 2 tokens", f"{count} in {data!r}")
