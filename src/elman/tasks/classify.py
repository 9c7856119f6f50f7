"""The text classification task: a TSV/CSV of ``text<TAB>label`` rows, one label per text.

Data: ``elman.data.labeled`` rows, whitespace tokens (the text is expected tokenised, as SST-2
is; optionally lower-cased), a word vocabulary of the training words seen ``min_count`` times
and the sorted set of training labels. Model: ``elman.models.ManyToOne`` over embedded word
ids (with ``vectors``, also the pretrained vectors of their pieces, ``elman.data.vectors``),
its output the top layer's final state (both directions when bidirectional). Loss:
cross-entropy; metrics: accuracy (and, through ``elman eval``, per-class precision, recall,
F1 and a confusion matrix).
"""

from typing import TYPE_CHECKING

from ..data import vectors
from ..data.labeled import Row, parse_rows
from ..data.sequences import Example, SequenceBatches
from ..data.vocab import Vocab
from ..errors import bad
from ..models import ManyToOne
from . import labeled

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig


class ClassifyTask:
    """Many-to-one classification of whitespace-tokenised texts."""

    name = "classify"
    monitor = "accuracy"

    def __init__(self, train: "TrainConfig", vocab: Vocab | None = None, meta: dict | None = None):
        self.cfg = train
        self.pieces = None if train.vectors == "none" else vectors.load(train.vectors)
        rows, valid, self.fingerprint = labeled.read_split(train, self.parse)
        self.source = train.data
        self.vocab = vocab if vocab is not None else \
            labeled.word_vocab([self.tokens(r.text) for r in rows], train.min_count)
        self.labels = meta["labels"] if meta else sorted({r.label for r in rows})
        self.index = {label: i for i, label in enumerate(self.labels)}
        self.n_train, self.n_valid = len(rows), len(valid)
        self.train_batches = SequenceBatches(self.examples(rows, train.data), train.batch_size,
                                             seed=train.seed)
        self.valid_batches = SequenceBatches(self.examples(valid, train.valid or train.data),
                                             train.batch_size, shuffle=False) if valid else None

    def parse(self, text: str, name: str, require_label: bool = True) -> list[Row]:
        c = self.cfg
        return parse_rows(text, name, c.text_column, c.label_column, c.header, require_label)

    def tokens(self, text: str) -> list[str]:
        return (text.lower() if self.cfg.lowercase else text).split()

    def examples(self, rows: list[Row], name: str) -> list[Example]:
        """Rows -> examples (a row with a label the model does not know is an error)."""
        ys = labeled.label_ids([r.label for r in rows], self.index,
                               [f"{name}:{r.line}" for r in rows]) if rows and \
            rows[0].label is not None else [0] * len(rows)
        out = []
        for r, y in zip(rows, ys):
            words = self.tokens(r.text)
            pieces = [self.pieces.ids(w) for w in words] if self.pieces else None
            out.append(Example(self.vocab.encode(" ".join(words)), y, pieces))
        return out

    def meta(self) -> dict:
        return {"labels": self.labels}

    def describe(self) -> str:
        return (f"data: {self.source!r}, {self.n_train:,} train and {self.n_valid:,} valid "
                f"texts, {len(self.labels)} labels, vocabulary of {len(self.vocab):,} words")

    def build_model(self, model: "ModelConfig") -> ManyToOne:
        if len(self.labels) < 2:
            raise bad("data", "at least 2 different labels to classify", self.labels)
        table = self.pieces.table if self.pieces else None
        net = ManyToOne(model.embed_dim, model.hidden_sizes, len(self.labels), model.cell,
                        model.activation, model.bidirectional, model.dropout,
                        vocab_size=len(self.vocab), embed_dropout=model.embed_dropout,
                        word_dropout=model.word_dropout, unk=self.vocab.index[self.vocab.unk],
                        pooling=model.pooling,
                        vectors=None if table is None else list(table.shape))
        if table is not None:
            net.piece_vectors.copy_(table)
        return net

    loss = staticmethod(labeled.loss)
    report = staticmethod(labeled.report)

    def evaluate(self, model, batches: SequenceBatches | None = None,
                 max_batches: int | None = None) -> dict:
        return labeled.evaluate(model, batches or self.valid_batches, max_batches)

    def read(self, text: str, name: str, require_label: bool = True):
        """(rows, batches in file order) of a file to predict or score."""
        rows = self.parse(text, name, require_label)
        return rows, SequenceBatches(self.examples(rows, name), self.cfg.batch_size,
                                     shuffle=False)

    def gold_and_predicted(self, models: list, text: str,
                           name: str) -> tuple[list[str], list[str]]:
        rows, batches = self.read(text, name)
        return [r.label for r in rows], [self.labels[i] for i in labeled.predict(models, batches)]

    def predict_text(self, models: list, text: str, name: str) -> str:
        """TSV of text<TAB>predicted label, one row per input row."""
        rows, batches = self.read(text, name, require_label=False)
        found = labeled.predict(models, batches)
        return "".join(f"{r.text}\t{self.labels[i]}\n" for r, i in zip(rows, found))

    @classmethod
    def from_checkpoint(cls, ck, train: "TrainConfig") -> "ClassifyTask":
        """The task of a trained model, for predict and eval (reads no training data)."""
        task = cls.__new__(cls)
        task.cfg, task.vocab, task.source = train, ck.vocab, train.data
        task.pieces = None if train.vectors == "none" else vectors.load(train.vectors)
        task.labels = ck.meta["labels"]
        task.index = {label: i for i, label in enumerate(task.labels)}
        return task
