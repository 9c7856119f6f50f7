"""The tagging task: a CoNLL-U treebank, one tag (UPOS by default, or XPOS) per word.

Data: ``elman.data.conllu`` sentences (multi-word tokens and comments skipped), a word
vocabulary of the training words seen ``min_count`` times (optionally lower-cased), the sorted
training tag set and, with ``char_dim > 0``, a character vocabulary for the character word
encoder (case kept). Model: ``elman.models.Tagger``. Loss: cross-entropy per real word; metric:
accuracy per word.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..data.conllu import FIELDS, Sentence, fill_tags, parse_conllu
from ..data.sequences import Example, SequenceBatches
from ..data.vocab import Vocab
from ..errors import bad
from ..models import Tagger
from ..options import opt, parse_choice, parse_count, parse_positive_int
from . import labeled
from .base import Route

if TYPE_CHECKING:
    from ..training.config import ModelConfig

MAX_CHARS = 30   # longer words are cut for the character encoder


@dataclass
class Options(labeled.LabeledOptions):
    """Settings of the tagging task."""

    tag_field: str = opt("upos", parse_choice(FIELDS), "the CoNLL-U column to predict")
    char_dim: int = opt(0, parse_count, "character embedding width of a character word "
                        "encoder for unseen words (0: none)")
    char_hidden: int = opt(32, parse_positive_int, "width per direction of that encoder")


def sentence_words(sentence, name: str) -> list[str]:
    """The words of a sentence given to ``predict``: a string split on whitespace, or a list
    of words (strings); ``name`` says which input it is in errors."""
    kind = "a sentence (a string, or a list of words)"
    if isinstance(sentence, str):
        words = sentence.split()
    elif isinstance(sentence, (list, tuple)):
        odd = next((w for w in sentence if not isinstance(w, str) or not w.strip()), None)
        if odd is not None or not sentence:
            raise bad(name, kind, f"a list holding {type(odd).__name__}" if odd is not None
                      and not isinstance(odd, str) else repr(sentence))
        words = list(sentence)
    else:
        raise bad(name, kind, type(sentence).__name__)
    if not words:
        raise bad(name, "a sentence with some words", repr(sentence))
    return words


class TagTask(labeled.LabeledTask):
    """Many-to-many tagging of CoNLL-U sentences. ``--data``: a CoNLL-U file."""

    name = "tag"
    Options = Options
    commands = labeled.commands("fill the tag column of the CoNLL-U file --input")
    routes = (Route("tag", "a tag per word of each sentence", "predict",
                    input="a sentence: a string of space-separated words, or a list of words"),)

    def __init__(self, options, *, vocab: Vocab | None = None, meta: dict | None = None):
        super().__init__(options, vocab=vocab, meta=meta)
        self.fresh = meta is None                # setup fits the labels and characters
        self.chars = Vocab.from_dict(meta["chars"]) if meta and meta.get("chars") else None

    def parse(self, text: str, name: str, labelled: bool = True) -> list[Sentence]:
        return parse_conllu(text, name, self.options.tag_field, labelled)

    def words(self, sentence: Sentence) -> list[str]:
        return [w.lower() for w in sentence.words] if self.options.lowercase else \
            sentence.words

    def fit(self, sents: list[Sentence]):
        if self.vocab is None:
            self.vocab = labeled.word_vocab([self.words(s) for s in sents],
                                            self.options.min_count)
        if self.fresh:
            self.labels = sorted({t for s in sents for t in s.tags})
            self.index = {label: i for i, label in enumerate(self.labels)}
            if self.options.char_dim > 0:     # no encoder: no character inputs, none saved
                self.chars = Vocab.build((w for s in sents for w in s.words), "char")

    def examples(self, sents: list[Sentence], name: str, labelled: bool = True) -> list[Example]:
        out = []
        for s in sents:
            ids = [self.vocab.index.get(w, self.vocab.index[self.vocab.unk]) for w in self.words(s)]
            tags = labeled.label_ids(s.tags, self.index, [f"{name}:{i + 1}" for i in s.lines]) \
                if labelled else [0] * len(ids)
            chars = [self.chars.encode(w[:MAX_CHARS]) for w in s.words] if self.chars else None
            out.append(Example(ids, tags, chars))
        return out

    def gold(self, batches: SequenceBatches) -> list[str]:
        return [self.labels[t] for e in batches.examples for t in e.target]

    def meta(self) -> dict:
        return {"labels": self.labels, "chars": self.chars.to_dict() if self.chars else None}

    def describe(self) -> str:
        return (f"data: {self.source!r}, {self.n_train:,} train and {self.n_valid:,} valid "
                f"sentences, {len(self.labels)} {self.options.tag_field.upper()} tags, "
                f"vocabulary of {len(self.vocab):,} words")

    def export_usage(self) -> list[str]:
        usage = ["ids (B, T): each sentence's words (lower-cased when options.lowercase) as "
                 "ids in vocab.json (<unk>'s for one not in it), 0-padded; lengths (B,): "
                 "words per sentence"]
        if self.chars:
            usage.append(f"chars (B, T, C): each word's first {MAX_CHARS} characters (case "
                         "kept) as ids in task.json's chars (its unk for one not in it), "
                         "0-padded; char_lengths (B, T): characters per word, 1 at padding")
        return usage + ["logits (B, T, K): each word's logits over task.json's labels "
                        "(rows after a sentence's length are padding)"]

    def build_model(self, model: "ModelConfig") -> Tagger:
        if len(self.labels) < 2:
            raise bad("data", "at least 2 different tags", self.labels)
        o = self.options
        chars = len(self.chars) if self.chars is not None else None
        return Tagger(len(self.vocab), model.embed_dim, model.hidden_sizes, len(self.labels),
                      model.cell, model.activation, model.bidirectional, model.dropout,
                      o.embed_dropout, chars, max(o.char_dim, 1), o.char_hidden,
                      o.word_dropout, self.vocab.index[self.vocab.unk])

    def predict(self, models: list, inputs: list, *, batch_size: int = 64) -> list[list[str]]:
        """Per sentence (a list of words, or a string of whitespace-separated words): its
        tags, one per word."""
        if isinstance(inputs, str):
            raise bad("inputs", "a list of sentences", "one string")
        sents = [Sentence(sentence_words(s, f"inputs[{i}]"), [], [], 0)
                 for i, s in enumerate(inputs)]
        return self.tags(models, sents, "<inputs>", batch_size)

    def predict_text(self, models: list, read: labeled.Read, batch_size: int) -> str:
        """The CoNLL-U text with the tag column filled in."""
        found = self.tags(models, read.items, read.name, batch_size)
        return fill_tags(read.text, read.items, found, self.options.tag_field)

    def tags(self, models: list, sents: list[Sentence], name: str,
             batch_size: int) -> list[list[str]]:
        if not sents:
            return []
        batches = SequenceBatches(self.examples(sents, name, labelled=False), batch_size,
                                  shuffle=False)
        return [[self.labels[i] for i in row] for row in labeled.vote(models, batches)[0]]
