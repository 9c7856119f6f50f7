"""CoNLL-U treebanks (Universal Dependencies) for tagging, read with the ``conllu`` package.

A sentence is a block of lines ended by a blank line; ``#`` lines are comments. A word line
has 10 tab-separated columns ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC. Multi-word
tokens (ID "1-2", e.g. "don't" over "do" + "n't") and empty nodes (ID "3.1") are skipped: the
tagged units are the syntactic words with an integer ID. A malformed line is an error naming
the file and line number.
"""

from typing import NamedTuple

from ..errors import bad
from ..extras import require

FIELDS = ("upos", "xpos")
COLUMN = {"upos": 3, "xpos": 4}    # 0-based column of each tag field


class Sentence(NamedTuple):
    """words and tags: one per syntactic word; lines: the 0-based index in the file's lines
    of each word's line (to fill in its tag column); line: 1-based line of the first word."""

    words: list[str]
    tags: list[str | None]
    lines: list[int]
    line: int


def parse_conllu(text: str, name: str, field: str = "upos",
                 require_tags: bool = True) -> list[Sentence]:
    """The sentences of a CoNLL-U text read from ``name`` (used in messages).

    A tag "_" counts as missing: an error when ``require_tags``, else read as None."""
    if field not in FIELDS:
        raise bad("tag_field", f"one of {list(FIELDS)}", repr(field))
    sentences, words, tags, where = [], [], [], []
    for i, raw in enumerate(text.splitlines() + [""]):
        line = raw.rstrip("\r")
        if not line.strip():
            if words:
                sentences.append(Sentence(words, tags, where, where[0] + 1))
                words, tags, where = [], [], []
            continue
        if line.startswith("#"):
            continue
        token = _token(line, name, i + 1)
        if not isinstance(token["id"], int):
            continue                                  # multi-word token or empty node
        tag = None if token[field] in (None, "_") else token[field]
        if tag is None and require_tags:
            raise bad("data", f"a {field.upper()} tag", f"'_' at {name}:{i + 1}")
        words.append(token["form"])
        tags.append(tag)
        where.append(i)
    if not sentences:
        raise bad("data", "a CoNLL-U file with some sentences", f"{name!r}, which has none")
    return sentences


def _token(line: str, name: str, number: int) -> dict:
    columns = line.split("\t")
    if len(columns) != 10:
        raise bad("data", "a CoNLL-U line of 10 tab-separated columns",
                  f"{len(columns)} at {name}:{number}")
    conllu = require("conllu")         # with its submodules parser and exceptions
    try:
        token = conllu.parser.parse_line(line, fields=conllu.parser.DEFAULT_FIELDS)
    except conllu.exceptions.ParseException as e:
        raise bad("data", "a valid CoNLL-U line", f"{e} at {name}:{number}") from None
    if not token["form"]:
        raise bad("data", "a word form", f"'_' at {name}:{number}")
    return token


def fill_tags(text: str, sentences: list[Sentence], predicted: list[list[str]],
              field: str = "upos") -> str:
    """The CoNLL-U text with each word's ``field`` column replaced by its predicted tag; every
    other line and column is kept as it was."""
    lines = text.splitlines()
    column = COLUMN[field]
    for sentence, tags in zip(sentences, predicted):
        for i, tag in zip(sentence.lines, tags):
            columns = lines[i].rstrip("\r").split("\t")
            columns[column] = tag
            lines[i] = "\t".join(columns)
    return "\n".join(lines) + "\n"
