"""The tagging task: a CoNLL-U treebank, one tag (UPOS by default, or XPOS) per word.

Data: ``elman.data.conllu`` sentences (multi-word tokens and comments skipped), a word
vocabulary of the training words seen ``min_count`` times (optionally lower-cased), the sorted
training tag set and, with ``char_dim > 0``, a character vocabulary for the character word
encoder (case kept). Model: ``elman.models.Tagger``. Loss: cross-entropy per real word; metric:
accuracy per word.
"""

from typing import TYPE_CHECKING

from ..data.conllu import Sentence, fill_tags, parse_conllu
from ..data.sequences import Example, SequenceBatches
from ..data.vocab import Vocab
from ..errors import bad
from ..models import Tagger
from . import labeled

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig

MAX_CHARS = 30   # longer words are cut for the character encoder


class TagTask:
    """Many-to-many tagging of CoNLL-U sentences."""

    name = "tag"
    monitor = "accuracy"

    def __init__(self, train: "TrainConfig", vocab: Vocab | None = None, meta: dict | None = None):
        self.cfg = train
        sents, valid, self.fingerprint = labeled.read_split(train, self.parse)
        self.source = train.data
        self.vocab = vocab if vocab is not None else \
            labeled.word_vocab([self.words(s) for s in sents], train.min_count)
        self.labels = meta["labels"] if meta else sorted({t for s in sents for t in s.tags})
        self.chars = None
        if meta and meta.get("chars"):
            self.chars = Vocab.from_dict(meta["chars"])
        elif meta is None:
            self.chars = Vocab.build((w for s in sents for w in s.words), "char")
        self.index = {label: i for i, label in enumerate(self.labels)}
        self.n_train, self.n_valid = len(sents), len(valid)
        self.train_batches = SequenceBatches(self.examples(sents, train.data), train.batch_size,
                                             seed=train.seed)
        self.valid_batches = SequenceBatches(self.examples(valid, train.valid or train.data),
                                             train.batch_size, shuffle=False) if valid else None

    def parse(self, text: str, name: str, require_tags: bool = True) -> list[Sentence]:
        return parse_conllu(text, name, self.cfg.tag_field, require_tags)

    def words(self, sentence: Sentence) -> list[str]:
        return [w.lower() for w in sentence.words] if self.cfg.lowercase else sentence.words

    def examples(self, sents: list[Sentence], name: str, with_tags: bool = True) -> list[Example]:
        out = []
        for s in sents:
            ids = [self.vocab.index.get(w, self.vocab.index[self.vocab.unk]) for w in self.words(s)]
            tags = labeled.label_ids(s.tags, self.index, [f"{name}:{i + 1}" for i in s.lines]) \
                if with_tags else [0] * len(ids)
            chars = [self.chars.encode(w[:MAX_CHARS]) for w in s.words] if self.chars else None
            out.append(Example(ids, tags, chars))
        return out

    def meta(self) -> dict:
        return {"labels": self.labels, "chars": self.chars.to_dict() if self.chars else None}

    def describe(self) -> str:
        return (f"data: {self.source!r}, {self.n_train:,} train and {self.n_valid:,} valid "
                f"sentences, {len(self.labels)} {self.cfg.tag_field.upper()} tags, vocabulary of "
                f"{len(self.vocab):,} words")

    def build_model(self, model: "ModelConfig") -> Tagger:
        if len(self.labels) < 2:
            raise bad("data", "at least 2 different tags", self.labels)
        chars = len(self.chars) if self.chars is not None and model.char_dim > 0 else None
        if chars is None and self.chars is not None:
            self.chars = None   # no encoder: no character inputs, none saved
            for batches in (self.train_batches, self.valid_batches):
                if batches is not None:
                    batches.examples = [e._replace(chars=None) for e in batches.examples]
        return Tagger(len(self.vocab), model.embed_dim, model.hidden_sizes, len(self.labels),
                      model.cell, model.activation, model.bidirectional, model.dropout,
                      model.embed_dropout, chars, max(model.char_dim, 1), model.char_hidden,
                      model.word_dropout, self.vocab.index[self.vocab.unk])

    loss = staticmethod(labeled.loss)
    report = staticmethod(labeled.report)

    def evaluate(self, model, batches: SequenceBatches | None = None,
                 max_batches: int | None = None) -> dict:
        return labeled.evaluate(model, batches or self.valid_batches, max_batches)

    def gold_and_predicted(self, models: list, text: str,
                           name: str) -> tuple[list[str], list[str]]:
        sents = self.parse(text, name)
        batches = SequenceBatches(self.examples(sents, name), self.cfg.batch_size, shuffle=False)
        found = labeled.predict(models, batches)
        return ([t for s in sents for t in s.tags],
                [self.labels[i] for row in found for i in row])

    def predict_text(self, models: list, text: str, name: str) -> str:
        """The CoNLL-U text with the tag column filled in."""
        sents = self.parse(text, name, require_tags=False)
        batches = SequenceBatches(self.examples(sents, name, with_tags=False),
                                  self.cfg.batch_size, shuffle=False)
        found = [[self.labels[i] for i in row] for row in labeled.predict(models, batches)]
        return fill_tags(text, sents, found, self.cfg.tag_field)

    @classmethod
    def from_checkpoint(cls, ck, train: "TrainConfig") -> "TagTask":
        """The task of a trained model, for predict and eval (reads no training data)."""
        task = cls.__new__(cls)
        task.cfg, task.vocab, task.source = train, ck.vocab, train.data
        task.labels = ck.meta["labels"]
        task.chars = Vocab.from_dict(ck.meta["chars"]) if ck.meta.get("chars") else None
        task.index = {label: i for i, label in enumerate(task.labels)}
        return task
