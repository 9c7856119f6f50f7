"""The text classification task: a TSV/CSV of ``text<TAB>label`` rows, one label per text.

Data: ``elman.data.labeled`` rows, whitespace tokens (the text is expected tokenised, as SST-2
is; optionally lower-cased), a word vocabulary of the training words seen ``min_count`` times
and the sorted set of training labels. Model: ``elman.models.ManyToOne`` over embedded word
ids (with ``vectors``, also the pretrained vectors of their pieces, ``elman.data.vectors``),
its output the top layer's final state (both directions when bidirectional) or the max or mean
of its outputs (``pooling``). Loss: cross-entropy; metrics: accuracy (and, through ``elman
eval``, per-class precision, recall, F1 and a confusion matrix).
"""

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..data import vectors
from ..data.labeled import HEADERS, Row, parse_rows
from ..data.sequences import Example, SequenceBatches
from ..data.vectors import SOURCES as VECTORS
from ..errors import bad
from ..models import ManyToOne
from ..models.many_to_one import POOLINGS
from ..options import opt, parse_choice, parse_text
from . import labeled
from .base import Route

if TYPE_CHECKING:
    from ..training.config import ModelConfig


@dataclass
class Options(labeled.LabeledOptions):
    """Settings of the text classification task."""

    vectors: str = opt("none", parse_choice(VECTORS), "frozen pretrained word vectors read "
                       "beside the learned embedding, every word (seen in training or not) as "
                       "the mean of its pieces' vectors: wordllama (WordLlama's 256-dim table, "
                       "from the wordllama package) or none")
    text_column: str = opt("0", parse_text, "text column, an index or header name")
    label_column: str = opt("-1", parse_text, "label column, an index or header name")
    header: str = opt("auto", parse_choice(HEADERS), "the first row is a header (auto: when "
                      "it names the columns)")
    pooling: str = opt("last", parse_choice(list(POOLINGS)), "the top outputs as one vector: "
                       "last (final state), max or mean over the real steps")


class ClassifyTask(labeled.LabeledTask):
    """Many-to-one classification of whitespace-tokenised texts. ``--data``: a TSV or CSV
    file of text and label columns."""

    name = "classify"
    Options = Options
    commands = labeled.commands("label each text of --input (TSV out: text<TAB>label)")
    routes = (Route("classify", "the label of each text and the probability of every label",
                    "predict", input="a text"),)

    @functools.cached_property
    def pieces(self) -> vectors.Pieces | None:
        """The pretrained vectors' word pieces (``vectors``), read on first use."""
        return None if self.options.vectors == "none" else vectors.load(self.options.vectors)

    def setup(self, train):
        self.pieces                                  # a missing package: an error before the data
        super().setup(train)

    def parse(self, text: str, name: str, labelled: bool = True) -> list[Row]:
        o = self.options
        return parse_rows(text, name, o.text_column, o.label_column, o.header, labelled)

    def tokens(self, text: str) -> list[str]:
        return (text.lower() if self.options.lowercase else text).split()

    def fit(self, rows: list[Row]):
        if self.vocab is None:
            self.vocab = labeled.word_vocab([self.tokens(r.text) for r in rows],
                                            self.options.min_count)
        if self.labels is None:
            self.labels = sorted({r.label for r in rows})
            self.index = {label: i for i, label in enumerate(self.labels)}

    def examples(self, rows: list[Row], name: str, labelled: bool = True) -> list[Example]:
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

    def gold(self, batches: SequenceBatches) -> list[str]:
        return [self.labels[e.target] for e in batches.examples]

    def describe(self) -> str:
        return (f"data: {self.source!r}, {self.n_train:,} train and {self.n_valid:,} valid "
                f"texts, {len(self.labels)} labels, vocabulary of {len(self.vocab):,} words")

    def export_usage(self) -> list[str]:
        usage = ["ids (B, T): each text split on whitespace (lower-cased when "
                 "options.lowercase), each word's id in vocab.json (<unk>'s for one not in "
                 "it), 0-padded; lengths (B,): words per text"]
        if self.pieces:
            usage.append("pieces (B, T, P), piece_counts (B, T): each word's piece ids in "
                         f"the {self.options.vectors} vectors' table (elman.data.vectors, its "
                         "tokenizer), 0-padded, and how many are real")
        return usage + ["y (B, K): logits over task.json's labels (softmax: probabilities)"]

    def build_model(self, model: "ModelConfig") -> ManyToOne:
        if len(self.labels) < 2:
            raise bad("data", "at least 2 different labels to classify", self.labels)
        o = self.options
        table = self.pieces.table if self.pieces else None
        net = ManyToOne(model.embed_dim, model.hidden_sizes, len(self.labels), model.cell,
                        model.activation, model.bidirectional, model.dropout,
                        vocab_size=len(self.vocab), embed_dropout=o.embed_dropout,
                        word_dropout=o.word_dropout, unk=self.vocab.index[self.vocab.unk],
                        pooling=o.pooling,
                        vectors=None if table is None else list(table.shape))
        if table is not None:
            net.piece_vectors.copy_(table)
        return net

    def predict(self, models: list, inputs: list[str], *, batch_size: int = 64) -> list[dict]:
        """Per text (whitespace-tokenised, as in training): {"label": the label of highest
        mean probability, "probabilities": {label: mean probability}}."""
        if isinstance(inputs, str):
            raise bad("inputs", "a list of texts", "one string")
        for i, text in enumerate(inputs):
            if not isinstance(text, str):
                raise bad(f"inputs[{i}]", "a text (a string)", type(text).__name__)
            if not text.split():
                raise bad(f"inputs[{i}]", "a text with some words", repr(text))
        rows = [Row(text, None, i + 1) for i, text in enumerate(inputs)]
        found, probabilities = self.vote(models, rows, "<inputs>", batch_size)
        return [{"label": self.labels[i], "probabilities": dict(zip(self.labels, p))}
                for i, p in zip(found, probabilities)]

    def predict_text(self, models: list, read: labeled.Read, batch_size: int) -> str:
        """TSV of text<TAB>predicted label, one row per input row."""
        found, _ = self.vote(models, read.items, read.name, batch_size)
        return "".join(f"{r.text}\t{self.labels[i]}\n" for r, i in zip(read.items, found))

    def vote(self, models: list, rows: list[Row], name: str, batch_size: int):
        if not rows:
            return [], []
        batches = SequenceBatches(self.examples(rows, name), batch_size, shuffle=False)
        return labeled.vote(models, batches)
