"""Scores of a classifier or tagger against gold labels: accuracy, per-class precision,
recall and F1, and the confusion matrix (rows: gold label, columns: predicted label; drawn
by ``elman.io.plots.plot_confusion``).

    precision_k = TP_k / (TP_k + FP_k)    recall_k = TP_k / (TP_k + FN_k)
    F1_k = 2 precision_k recall_k / (precision_k + recall_k)   (0 where undefined)
"""

from collections.abc import Sequence

from .errors import bad


def confusion(gold: Sequence[str], predicted: Sequence[str],
              labels: Sequence[str]) -> list[list[int]]:
    """counts[i][j]: items of gold label i predicted as label j."""
    if len(gold) != len(predicted) or not gold:
        raise bad("predictions", "one per gold label, at least one", f"{len(predicted)} for "
                  f"{len(gold)}")
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted):
        counts[index[g]][index[p]] += 1
    return counts


def per_class(counts: list[list[int]], labels: Sequence[str]) -> list[dict]:
    """[{"label", "precision", "recall", "f1", "support"}] per label."""
    out = []
    for k, label in enumerate(labels):
        tp = counts[k][k]
        predicted = sum(row[k] for row in counts)
        support = sum(counts[k])
        p = tp / predicted if predicted else 0.0
        r = tp / support if support else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out.append({"label": label, "precision": p, "recall": r, "f1": f1, "support": support})
    return out


def accuracy(counts: list[list[int]]) -> float:
    total = sum(map(sum, counts))
    return sum(counts[k][k] for k in range(len(counts))) / total if total else 0.0


def table(rows: list[dict]) -> str:
    """The per-class scores as an aligned text table."""
    width = max(5, *(len(r["label"]) for r in rows))
    lines = [f"{'label':<{width}}  precision  recall     f1  support"]
    for r in rows:
        lines.append(f"{r['label']:<{width}}  {r['precision']:9.3f}  {r['recall']:6.3f}  "
                     f"{r['f1']:5.3f}  {r['support']:7d}")
    return "\n".join(lines)
