"""What the classify and tag tasks share: reading the train and valid files, a seeded split,
the word vocabulary, label ids, the loss and accuracy over padded sequence batches.

Both tasks' batches are ``elman.data.sequences`` batches: x is ``Inputs`` (ids, lengths,
chars, char_lengths), y the label ids (B,) or tag ids (B, T).
"""

import hashlib
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..data.sequences import Inputs, SequenceBatches
from ..data.text import read_text
from ..data.vocab import Vocab
from ..errors import bad
from ..losses import cross_entropy
from ..models import ManyToOne


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
def predict(models: list[nn.Module], batches: SequenceBatches) -> list:
    """The label id of each example, or its list of tag ids, in example order (``batches``
    must not shuffle): the most probable under the models' mean probabilities (an ensemble;
    one model: its own argmax)."""
    was_training = [m.training for m in models]
    for m in models:
        m.eval()
    device = next(models[0].parameters()).device
    out = []
    try:
        for batch in batches.epoch(0):
            x = batch.x.to(device)
            p = sum(logits_of(m, x).softmax(-1) for m in models)      # (B, K) or (B, T, K)
            best = p.argmax(-1).cpu()
            if best.dim() == 1:
                out += best.tolist()
            else:
                out += [row[:n].tolist() for row, n in zip(best, batch.x.lengths.tolist())]
    finally:
        for m, mode in zip(models, was_training):
            m.train(mode)
    return out


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


def report_confusion(gold: list[str], found: list[str], labels: list[str], unit: str, plot,
                     name: str) -> dict:
    """Print accuracy and per-class precision, recall and F1, write the confusion matrix PNG
    at ``plot``; return {"accuracy", "per_class", "count"}."""
    from .. import scores
    from ..io.plots import plot_confusion
    counts = scores.confusion(gold, found, labels)
    accuracy, rows = scores.accuracy(counts), scores.per_class(counts, labels)
    print(f"accuracy: {accuracy:.4f} ({len(gold):,} {unit})")
    print(scores.table(rows))
    plot_confusion(counts, labels, plot, title=name)
    print(f"confusion matrix: {plot}")
    return {"accuracy": accuracy, "per_class": rows, "count": len(gold)}
