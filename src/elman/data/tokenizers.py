"""Tokenizers of one side of a translation: words or sentencepiece subwords.

``Words``: ``elman.data.words`` tokens (runs of letters and digits, inner apostrophes kept,
every other non-space character alone), optionally lower-cased; text comes back by joining
with spaces and removing the space before closing punctuation (``I am cold .`` -> ``I am
cold.``). ``Pieces``: a sentencepiece model (unigram by default) trained on the training side
of the data at train time; its serialized model is data (bytes), kept in the checkpoint and
loaded from bytes, and decoding is exact. Both give tokens without spaces, so a word
``Vocab`` maps them to ids. ``Pieces.train(..., running=True)`` models a running text (the
language model's): every space kept as it is, a newline a piece of its own, so the pieces of
the text are its pieces cut at any space or newline, and joining them gives the text back.
"""

import io
import re

from ..errors import bad
from ..extras import require
from .words import words

CLOSING = re.compile(r" ([.,;:!?%)\]}])")
OPENING = re.compile(r"([(\[{]) ")


RUNNING = {"remove_extra_whitespaces": False, "add_dummy_prefix": False,
           "user_defined_symbols": ["\n"]}


class Words:
    """Word tokens, optionally lower-cased."""

    kind = "word"

    def __init__(self, lowercase: bool = False):
        self.lowercase = lowercase

    def tokens(self, text: str) -> list[str]:
        return words(text, self.lowercase)

    @staticmethod
    def text(tokens: list[str]) -> str:
        return OPENING.sub(r"\1", CLOSING.sub(r"\1", " ".join(tokens)))


class Pieces:
    """Sentencepiece subwords of a serialized model (``model``: bytes)."""

    kind = "subword"

    def __init__(self, model: bytes, lowercase: bool = False):
        self.model, self.lowercase = model, lowercase
        self.sp = require("sentencepiece").SentencePieceProcessor(model_proto=model)

    @classmethod
    def train(cls, sentences: list[str], size: int, lowercase: bool = False, *,
              running: bool = False) -> "Pieces":
        """Train a unigram model of about ``size`` pieces on ``sentences`` (``running``: on
        the lines of a running text, see above)."""
        if lowercase:
            sentences = [s.lower() for s in sentences]
        trainer = require("sentencepiece").SentencePieceTrainer
        out = io.BytesIO()
        try:
            trainer.train(
                sentence_iterator=iter(sentences), model_writer=out, vocab_size=size,
                model_type="unigram", character_coverage=1.0, hard_vocab_limit=False,
                bos_id=-1, eos_id=-1, pad_id=-1, unk_id=0, num_threads=1,
                normalization_rule_name="identity",
                minloglevel=2, **(RUNNING if running else {}))
        except RuntimeError as e:
            raise bad("subwords", "a vocabulary size sentencepiece can reach on this data",
                      f"{size} ({str(e).splitlines()[0]})") from None
        return cls(out.getvalue(), lowercase)

    def tokens(self, text: str) -> list[str]:
        return self.sp.encode(text.lower() if self.lowercase else text, out_type=str)

    def ids(self, text: str) -> list[int]:
        """The ids of the pieces of ``text`` (0: unknown)."""
        return self.sp.encode(text.lower() if self.lowercase else text)

    def pieces(self) -> list[str]:
        """The pieces by id."""
        return [self.sp.id_to_piece(i) for i in range(self.sp.get_piece_size())]

    def text(self, tokens: list[str]) -> str:
        return self.sp.decode_pieces(tokens)
