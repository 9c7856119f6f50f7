"""Pretrained word vectors for the text tasks, from files a registry package installs (nothing
is downloaded at run time).

``wordllama``: WordLlama's token embeddings (the ``wordllama`` package, MIT; its
``l2_supercat_256`` table: 32,000 pieces of Llama 2's BPE tokenizer x 256 dimensions, trained
for sentence similarity). A word's vector is the mean of its pieces' vectors, so every word,
seen in training or not, has one:

    >>> p = load("wordllama")
    >>> p.ids("unwatchable")          # pieces '▁un', 'watch', 'able'
    [443, 12344, 519]
"""

import functools
import importlib.util
from pathlib import Path

import torch
from safetensors.torch import load_file

from ..errors import bad
from ..extras import require

SOURCES = ("none", "wordllama")
MAX_PIECES = 8          # longer words keep their first pieces
_FILES = {"wordllama": ("weights/l2_supercat_256.safetensors", "embedding.weight",
                        "tokenizers/l2_supercat_tokenizer_config.json")}


class Pieces:
    """A word -> piece ids map, and ``table``: the piece vectors (N, D) float16, scaled to unit
    standard deviation, read on first use (a trained model carries its own copy)."""

    def __init__(self, name: str, tokenizer, weights: Path, key: str):
        self.name, self.tokenizer, self._weights, self._key = name, tokenizer, weights, key
        self._ids: dict[str, list[int]] = {}

    def ids(self, word: str) -> list[int]:
        """The word's piece ids (1 to MAX_PIECES)."""
        found = self._ids.get(word)
        if found is None:
            found = self.tokenizer.encode(word, add_special_tokens=False).ids[:MAX_PIECES]
            self._ids[word] = found = found or [0]
        return found

    @functools.cached_property
    def table(self) -> torch.Tensor:
        try:
            table = load_file(self._weights)[self._key].float()
        except Exception as e:   # safetensors raises its own error types
            raise bad("vectors", f"the {self.name} table at {str(self._weights)!r}",
                      f"{type(e).__name__}: {e}") from None
        return (table / table.std()).half()


def load(name: str) -> Pieces:
    """The pieces of a source in SOURCES (other than "none"), read from its installed package."""
    if name not in _FILES:
        raise bad("vectors", f"one of {[s for s in SOURCES if s != 'none']}", repr(name))
    spec = importlib.util.find_spec(name)      # finds the files without importing the package
    if spec is None or not spec.submodule_search_locations:
        raise bad("vectors", f"the {name} package installed (pip install {name})",
                  "no such package")
    root = Path(spec.submodule_search_locations[0])
    weights, key, tokenizer = _FILES[name]
    Tokenizer = require("tokenizers").Tokenizer
    try:
        tok = Tokenizer.from_file(str(root / tokenizer))
    except Exception as e:   # tokenizers raises its own error types
        raise bad("vectors", f"the {name} tokenizer under {str(root)!r}",
                  f"{type(e).__name__}: {e}") from None
    return Pieces(name, tok, root / weights, key)
