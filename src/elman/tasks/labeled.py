"""What the classify and tag tasks share: their common settings, reading the train and valid
files, a seeded split, the word vocabulary, label ids, the loss and accuracy over padded
sequence batches, the vote of an ensemble and the eval and predict commands.

Both tasks' batches are ``elman.data.sequences`` batches: x is ``Inputs`` (ids, lengths,
chars, char_lengths), y the label ids (B,) or tag ids (B, T).
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..data.sequences import Example, Inputs, SequenceBatches
from ..data.text import read_text
from ..data.vocab import Vocab
from ..errors import bad
from ..io.inputs import read_input, writable, write_output
from ..losses import cross_entropy
from ..models import ManyToOne
from ..options import opt, parse_flag, parse_fraction, parse_positive_int
from .base import Command, Run, Task, data_name, eval_command, export_command, flag, print_metrics

if TYPE_CHECKING:
    from ..training.config import TrainConfig

# settings that change how a text reads as inputs: an ensemble's runs must agree on them
READING = ("lowercase", "vectors", "tag_field")


@dataclass
class LabeledOptions:
    """Settings of the labelling tasks (classify, tag)."""

    min_count: int = opt(1, parse_positive_int, "keep words seen at least this often in "
                         "training; the rest read as <unk>")
    lowercase: bool = opt(False, parse_flag, "lower-case words before the vocabulary")
    embed_dropout: float = opt(0.0, parse_fraction, "dropout on the word embeddings")
    word_dropout: float = opt(0.0, parse_fraction, "read a training word as <unk> with this "
                              "probability, so <unk> (every unseen word) is learned")


@dataclass
class Read:
    """A file read by a labelling task: its items (rows or sentences), name and text."""

    items: list
    name: str
    text: str


ENSEMBLE = flag("--ensemble", metavar="RUN", nargs="+", help="more runs (same data and "
                "settings, other seeds) whose models vote with RUN's: the label of highest "
                "mean probability")


class LabeledTask(Task):
    """What a labelling task (classify, tag) shares. A subclass sets ``name``, ``Options``,
    ``commands``, and implements ``parse``, ``fit``, ``examples``, ``gold``,
    ``predict``, ``predict_text``, ``describe`` and ``build_model``."""

    monitor = "accuracy"

    def __init__(self, options, *, vocab: Vocab | None = None, meta: dict | None = None):
        super().__init__(options, vocab=vocab, meta=meta)
        self.labels = meta["labels"] if meta else None
        self.index = {label: i for i, label in enumerate(self.labels)} if meta else None

    # --- data ------------------------------------------------------------------------------

    def parse(self, text: str, name: str, labelled: bool = True) -> list:
        raise NotImplementedError

    def fit(self, items: list):
        """Fit what a fresh task learns from its training items (vocabulary, labels, ...)."""
        raise NotImplementedError

    def examples(self, items: list, name: str, labelled: bool = True) -> list[Example]:
        raise NotImplementedError

    def load(self, path: str | None, argument: str = "data", labelled: bool = True) -> Read:
        """A UTF-8 file (or stdin, "-") parsed into items; ``labelled=False``: labels may be
        missing (input to predict)."""
        if path is None:
            raise bad("data", f"a file (--data FILE) for the {self.name} task", "none")
        text, name = read_input(path, argument)
        return Read(self.parse(text, name, labelled), name, text)

    def setup(self, train: "TrainConfig"):
        """Read --data and --valid (or split a seeded valid_fraction off --data), fit the
        vocabulary and labels on the training part unless restored, make the batches."""
        data = self.load(train.data)
        digest = hashlib.sha256(data.text.encode("utf-8"))
        if train.valid is not None:
            valid = self.load(train.valid, "valid")
            digest.update(valid.text.encode("utf-8"))
            items, held = data.items, valid.items
        else:
            items, held = random_split(data.items, train.valid_fraction, train.split_seed)
        self.source, self.fingerprint = train.data, digest.hexdigest()
        self.valid_name = train.valid or train.data
        self.fit(items)
        self.n_train, self.n_valid = len(items), len(held)
        self.train_batches = SequenceBatches(self.examples(items, train.data), train.batch_size,
                                             seed=train.seed)
        self.valid_batches = SequenceBatches(self.examples(held, self.valid_name),
                                             train.batch_size, shuffle=False) if held else None

    def eval_batches(self, read: Read, train: "TrainConfig") -> SequenceBatches:
        return SequenceBatches(self.examples(read.items, read.name), train.batch_size,
                               shuffle=False)

    def gold(self, batches: SequenceBatches) -> list[str]:
        """The gold labels of batches, in order (one per text, or one per word)."""
        raise NotImplementedError

    # --- model -----------------------------------------------------------------------------

    def loss(self, model, x, y, state=None):
        return loss(model, x, y, state)

    def targets(self, batch) -> int:
        """Labels, or real words for tags (y (B, T))."""
        return len(batch.y) if batch.y.dim() == 1 else int(batch.x.lengths.sum())

    def evaluate(self, model, batches: SequenceBatches | None = None, *,
                 max_batches: int | None = None) -> dict:
        return evaluate(model, batches or self.valid_batches, max_batches)

    def report(self, metrics: dict) -> str:
        return report(metrics)

    def meta(self) -> dict:
        return {"labels": self.labels}

    # --- commands --------------------------------------------------------------------------

    def members(self, run: Run, others: list[str] | None) -> list[nn.Module]:
        """The models that vote: the run's, then those of the runs ``others``, which must
        read texts as the first does."""
        models, mine = [run.model], reading(run)
        for path in others or []:
            other = run.load(path)
            if reading(other) != mine:
                raise bad("ensemble", "runs with the first run's task, labels, vocabulary and "
                          f"{', '.join(READING)}", f"{path!r}, which differs")
            models.append(other.model)
        return models

    def cmd_eval(self, run: Run, args) -> int:
        """Accuracy, per-class precision, recall and F1 and the confusion matrix of the run's
        model (or of an ensemble's vote) on --data or the run's validation data."""
        if args.plot:
            writable(args.plot, "plot")
        models = self.members(run, args.ensemble)
        batches, scored = self.scored_data(run, args)
        name = self.valid_name if args.data is None else data_name(args.data)
        gold, found = self.gold_and_predicted(models, batches)
        plot = args.plot or (None if args.json else run.folder / "confusion.png")
        metrics = confusion_metrics(gold, found, self.labels, plot=plot, name=name, matrix=True)
        print_metrics(metrics, args, lambda m: confusion_report(m, "labels", plot), scored)
        return 0

    def gold_and_predicted(self, models: list[nn.Module],
                           batches: SequenceBatches) -> tuple[list[str], list[str]]:
        """The gold labels of ``eval_batches`` and those the models vote for (one per text, or
        one per word)."""
        return self.gold(batches), [self.labels[i] for i in flatten(vote(models, batches)[0])]

    def cmd_predict(self, run: Run, args) -> int:
        """The labels of --input, written as ``predict_text`` makes them."""
        if args.input is None:
            raise bad("input", f"--input FILE (or - for stdin) for a {self.name} run", "none")
        if args.output:
            writable(args.output, "output")
        models = self.members(run, args.ensemble)
        read = self.load(args.input, "input", labelled=False)
        out = self.predict_text(models, read, run.config.train.batch_size)
        write_output(out, args.output)                      # all read and predicted first
        return 0

    def predict_text(self, models: list, read: Read, batch_size: int) -> str:
        raise NotImplementedError


def commands(predict_help: str) -> tuple[Command, ...]:
    """eval and predict, with --ensemble."""
    return (
        eval_command(ENSEMBLE, flag("--plot", metavar="FILE", default=None, help="confusion-"
                                    "matrix PNG (default: confusion.png in the run folder; "
                                    "with --json: none unless given)"),
                     help="accuracy, per-class scores and a confusion matrix on --data or the "
                     "run's validation data"),
        Command("predict", predict_help, "cmd_predict", (
            flag("--input", metavar="FILE", help="UTF-8 file, or - for stdin"),
            ENSEMBLE,
            flag("--output", metavar="FILE", help="write here (atomically) instead of "
                 "stdout"))),
        export_command(),
    )


def reading(run: Run) -> tuple:
    """What decides how a run reads a text: its task, labels, vocabulary and READING
    settings."""
    from ..io import checkpoint
    saved = [checkpoint.read_json(run.checkpoint / f) if (run.checkpoint / f).exists() else None
             for f in (checkpoint.META, checkpoint.VOCAB)]
    return (run.config.task, *saved, *(getattr(run.config.options, k, None) for k in READING))


def flatten(found: list) -> list[int]:
    """Label ids of texts, or the tag ids of sentences one after the other."""
    return [i for x in found for i in (x if isinstance(x, list) else [x])]


def random_split(items: list, fraction: float, seed: int) -> tuple[list, list]:
    """(train, valid): a seeded ``fraction`` of the items (at least one) held out."""
    if fraction == 0 or len(items) < 2:
        return items, []
    order = torch.randperm(len(items), generator=torch.Generator().manual_seed(seed)).tolist()
    held = set(order[:max(1, round(fraction * len(items)))])
    return ([x for i, x in enumerate(items) if i not in held],
            [x for i, x in enumerate(items) if i in held])


def read_split(train, parse: Callable[[str, str], list],
               split: Callable[[list, float, int], tuple[list, list]] = random_split
               ) -> tuple[list, list, str]:
    """(train items, valid items, sha256 of the data) from --data and --valid, or
    ``split(items, valid_fraction, split_seed)`` of --data when there is no --valid file."""
    if train.data is None:
        raise bad("data", f"a file (--data FILE) for the {train.task} task", "none")
    text = read_text(train.data)
    items = parse(text, train.data)
    digest = hashlib.sha256(text.encode("utf-8"))
    if train.valid is not None:
        valid_text = read_text(train.valid, "valid")
        digest.update(valid_text.encode("utf-8"))
        return items, parse(valid_text, train.valid), digest.hexdigest()
    return *split(items, train.valid_fraction, train.split_seed), digest.hexdigest()


def word_vocab(sentences: Sequence[Sequence[str]], min_count: int) -> Vocab:
    """The word vocabulary of tokenised training sentences, with <unk>."""
    return Vocab.build((" ".join(s) for s in sentences), "word", min_count=min_count)


def label_ids(labels: Sequence[str], index: dict[str, int], where: Sequence[str]) -> list[int]:
    """Labels -> ids; a label the model does not know is an error naming where it is."""
    out = []
    for label, at in zip(labels, where):
        if label not in index:
            raise bad("data", f"labels the model knows ({_preview(list(index))})",
                      f"{label!r} at {at}")
        out.append(index[label])
    return out


def _preview(labels: list[str]) -> str:
    return ", ".join(labels[:10]) + (", ..." if len(labels) > 10 else "")


def logits_of(model: nn.Module, x: Inputs) -> torch.Tensor:
    """(B, K) or (B, T, K) logits of a classifier (x.chars: its words' piece ids) or tagger
    (x.chars: its words' characters)."""
    if x.chars is None:
        return model(x.ids, x.lengths)
    if isinstance(model, ManyToOne):
        return model(x.ids, x.lengths, pieces=x.chars, piece_counts=x.char_lengths)
    return model(x.ids, x.lengths, x.chars, x.char_lengths)


def loss(model: nn.Module, x: Inputs, y: torch.Tensor, state=None):
    """Mean cross-entropy per label (per real word for tags); no state is carried."""
    logits = logits_of(model, x)
    lengths = x.lengths if logits.dim() == 3 else None
    return cross_entropy(logits, y, lengths, reduction="step"), None


def report(valid: dict) -> str:
    """The validation line of ``elman train`` for a labelling task."""
    return (f"valid accuracy: {valid['accuracy']:.2%} (loss {valid['loss']:.4f} nats per label, "
            f"{valid['tokens']:,} labels)")


@torch.no_grad()
def vote(models: list[nn.Module], batches: SequenceBatches) -> tuple[list, list | None]:
    """(the label id of each example, or its list of tag ids, in example order; for labels,
    each example's mean probability of every label, else None). ``batches`` must not shuffle.
    The label is the most probable under the models' mean probabilities (an ensemble; one
    model: its own argmax)."""
    was_training = [m.training for m in models]
    for m in models:
        m.eval()
    device = next(models[0].parameters()).device
    out, probabilities = [], []
    try:
        for batch in batches.epoch(0):
            x = batch.x.to(device)
            p = sum(logits_of(m, x).softmax(-1) for m in models)      # (B, K) or (B, T, K)
            best = p.argmax(-1).cpu()
            if best.dim() == 1:
                out += best.tolist()
                probabilities += (p / len(models)).cpu().tolist()
            else:
                out += [row[:n].tolist() for row, n in zip(best, batch.x.lengths.tolist())]
                probabilities = None
    finally:
        for m, mode in zip(models, was_training):
            m.train(mode)
    return out, probabilities


@torch.no_grad()
def evaluate(model: nn.Module, batches: SequenceBatches, max_batches: int | None = None) -> dict:
    """{"loss": mean nats per label, "accuracy", "tokens": labels scored}."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total, right, count = 0.0, 0, 0
    try:
        for k, batch in enumerate(batches.epoch(0)):
            if max_batches is not None and k >= max_batches:
                break
            x, y = batch.x.to(device), batch.y.to(device)
            logits = logits_of(model, x)
            per_step = logits.dim() == 3
            lengths = x.lengths if per_step else None
            total += float(cross_entropy(logits, y, lengths, reduction="sum"))
            hit = logits.argmax(-1) == y
            if per_step:
                hit = hit & (torch.arange(y.shape[1], device=device) < x.lengths[:, None])
                count += int(x.lengths.sum())
            else:
                count += y.numel()
            right += int(hit.sum())
    finally:
        model.train(was_training)
    return {"loss": total / max(count, 1), "accuracy": right / max(count, 1), "tokens": count}


def confusion_metrics(gold: list[str], found: list[str], labels: list[str], *, plot,
                      name: str, matrix: bool) -> dict:
    """{"accuracy", "per_class", "count"} of the found labels against the gold ones and, with
    ``matrix``, "confusion" (the counts, rows gold, columns found); the confusion-matrix PNG,
    titled ``name``, goes to ``plot`` unless it is None."""
    from .. import scores
    from ..io.plots import plot_confusion
    counts = scores.confusion(gold, found, labels)
    if plot is not None:
        plot_confusion(counts, labels, plot, title=name)
    metrics = {"accuracy": scores.accuracy(counts), "per_class": scores.per_class(counts, labels),
               "count": len(gold)}
    return {**metrics, "confusion": counts} if matrix else metrics


def confusion_report(metrics: dict, unit: str, plot) -> str:
    """Accuracy, the per-class table and where the confusion matrix went, for people."""
    from .. import scores
    return (f"accuracy: {metrics['accuracy']:.4f} ({metrics['count']:,} {unit})\n"
            f"{scores.table(metrics['per_class'])}\nconfusion matrix: {plot}")
