"""Vocabulary: the map between tokens (characters or words) and integer ids.

A character vocabulary splits text into Unicode code points and joins them back with "";
a word vocabulary splits on whitespace and joins with " ". Tokens not in the vocabulary map
to the unknown token (``unk``): U+FFFD, the Unicode replacement character, for characters
(one character, so decoded text keeps its length) and ``<unk>`` for words. Ids are assigned
in sorted token order (unk first), so the same text always gives the same vocabulary. A
subword vocabulary names the ids of a sentencepiece model's pieces (``Vocab.of_pieces``); the
model, not the vocabulary, cuts a text into them (``elman.data.tokenizers.Pieces``).

    >>> v = Vocab.build("hello")
    >>> v.decode(v.encode("hole"))
    'hole'
    >>> v.decode(v.encode("hex"))   # 'x' was never seen
    'he\ufffd'
"""

from collections import Counter
from collections.abc import Iterable, Sequence

from ..errors import bad

LEVELS = ("char", "word", "subword")
UNK = {"char": "\ufffd", "word": "<unk>", "subword": "<unk>"}


def tokenize(text: str, level: str) -> list[str]:
    """Split text into tokens: characters, or whitespace-separated words."""
    return list(text) if level == "char" else text.split()


class Vocab:
    """tokens: the id -> token list; unk: the token unknown tokens map to, or None (then an
    unknown token is an error)."""

    def __init__(self, tokens: Sequence[str], level: str = "char", unk: str | None = None):
        if level not in LEVELS:
            raise bad("vocab.level", f"one of {list(LEVELS)}", repr(level))
        tokens = list(tokens)
        if not tokens or not all(isinstance(t, str) and t for t in tokens):
            raise bad("vocab.tokens", "a non-empty list of non-empty strings", _preview(tokens))
        if len(set(tokens)) != len(tokens):
            dup = next(t for t, n in Counter(tokens).items() if n > 1)
            raise bad("vocab.tokens", "distinct tokens", f"{dup!r} twice")
        if unk is not None and unk not in tokens:
            raise bad("vocab.unk", "one of the tokens or None", repr(unk))
        self.tokens, self.level, self.unk = tokens, level, unk
        self.index = {t: i for i, t in enumerate(tokens)}

    @classmethod
    def build(cls, text: str | Iterable[str], level: str = "char", min_count: int = 1,
              max_size: int | None = None, unk: bool = True) -> "Vocab":
        """Vocabulary of a text (or of several): tokens seen at least ``min_count`` times,
        the ``max_size`` most frequent when set, plus the unknown token when ``unk``."""
        if level not in LEVELS:
            raise bad("level", f"one of {list(LEVELS)}", repr(level))
        texts = [text] if isinstance(text, str) else list(text)
        counts = Counter(t for s in texts for t in tokenize(s, level))
        kept = sorted(t for t, n in counts.items() if n >= min_count)
        if max_size is not None:
            kept = sorted(sorted(kept, key=lambda t: -counts[t])[:max_size])
        marker = UNK[level] if unk else None
        if marker is None and not kept:
            raise bad("text", "at least one token", "no tokens")
        tokens = ([marker] if marker else []) + [t for t in kept if t != marker]
        return cls(tokens, level, marker)

    @classmethod
    def of_pieces(cls, pieces) -> "Vocab":
        """The subword vocabulary of ``elman.data.tokenizers.Pieces``: its pieces by id."""
        return cls(pieces.pieces(), "subword", UNK["subword"])

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Vocab(level={self.level!r}, size={len(self)}, unk={self.unk!r})"

    def encode(self, text: str) -> list[int]:
        """Text -> ids; tokens outside the vocabulary become unk (an error when unk is None)."""
        tokens = tokenize(text, self.level)
        if self.unk is not None:
            u = self.index[self.unk]
            return [self.index.get(t, u) for t in tokens]
        for i, t in enumerate(tokens):
            if t not in self.index:
                raise bad("text", "tokens of the vocabulary", f"{t!r} at token {i}")
        return [self.index[t] for t in tokens]

    def decode(self, ids: Iterable[int]) -> str:
        """Ids -> text, joined with "" (characters) or " " (words)."""
        sep = "" if self.level == "char" else " "
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.tokens):
                raise bad("ids", f"ids in 0..{len(self.tokens) - 1}", i)
            out.append(self.tokens[i])
        return sep.join(out)

    def unknown(self, text: str) -> list[str]:
        """The distinct tokens of a text that are not in the vocabulary, sorted."""
        return sorted({t for t in tokenize(text, self.level) if t not in self.index})

    def to_dict(self) -> dict:
        """JSON-ready form; ``Vocab.from_dict`` reads it back."""
        return {"level": self.level, "unk": self.unk, "tokens": list(self.tokens)}

    @classmethod
    def from_dict(cls, d) -> "Vocab":
        """Rebuild from ``to_dict`` output, checking its keys."""
        if not isinstance(d, dict) or not {"level", "tokens"} <= set(d):
            got = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise bad("vocab", "a mapping with 'level', 'tokens' and 'unk'", got)
        extra = set(d) - {"level", "tokens", "unk"}
        if extra:
            raise bad("vocab", "only the keys 'level', 'tokens', 'unk'", sorted(extra))
        if not isinstance(d["tokens"], list):
            raise bad("vocab.tokens", "a list of strings", type(d["tokens"]).__name__)
        return cls(d["tokens"], d["level"], d.get("unk"))


def _preview(tokens: list) -> str:
    return repr(tokens[:5])[:-1] + ", ...]" if len(tokens) > 5 else repr(tokens)
