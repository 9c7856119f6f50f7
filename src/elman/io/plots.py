"""Every PNG elman draws, written atomically: the loss curves of a run, a confusion matrix,
an attention heatmap, a forecast and the gradient flow of ``elman diagnose``. matplotlib is imported on first use (the Agg backend:
no screen needed)."""

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .atomic import write_bytes


def pyplot():
    """matplotlib.pyplot on the Agg backend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, path) -> Path:
    """Write a figure as a PNG at ``path`` (atomically) and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    pyplot().close(fig)
    write_bytes(path, buf.getvalue())
    return Path(path)


def plot_losses(rows: list[dict], path: Path, title: str = "") -> Path:
    """Train and validation loss (nats/token) against step, saved as a PNG."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for key, label in (("train_loss", "train"), ("valid_loss", "valid")):
        pts = [(r["step"], r[key]) for r in rows if r.get(key) is not None]
        if pts:
            ax.plot(*zip(*pts), marker="." if len(pts) < 50 else None, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats/token)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend()
    return save(fig, path)


def plot_confusion(counts: list[list[int]], labels: Sequence[str], path, title: str = "") -> Path:
    """Save the confusion matrix as a PNG (atomically), each row normalised by its gold count."""
    plt = pyplot()
    n = len(labels)
    rates = [[c / max(sum(row), 1) for c in row] for row in counts]
    size = max(4.0, 0.45 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size), dpi=100)
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels, rotation=90)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if counts[i][j]:
                    ax.text(j, i, str(counts[i][j]), ha="center", va="center", fontsize=7,
                            color="white" if rates[i][j] > 0.5 else "black")
    return save(fig, path)


def plot_attention(weights, source: list[str], output: list[str], path,
                   title: str = "") -> Path:
    """weights (T, S) (a tensor or array), source (S tokens), output (T tokens) -> PNG at
    ``path`` (atomically)."""
    plt = pyplot()
    T, S = weights.shape
    fig, ax = plt.subplots(figsize=(max(3.0, 0.5 * S + 1.5), max(3.0, 0.45 * T + 1.5)), dpi=100)
    ax.imshow(np.asarray(weights, dtype=np.float32), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(S), source[:S], rotation=60, ha="right")
    ax.set_yticks(range(T), output[:T])
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title, fontsize=9)
    return save(fig, path)


def plot_forecast(times: np.ndarray, values: np.ndarray, origin: int, ahead: np.ndarray,
                  forecast: np.ndarray, path, *, name: str, timed: bool, title: str = "",
                  history: int = 200) -> Path:
    """PNG of the last ``history`` values before ``origin`` against ``times`` (N,), the
    forecast at ``ahead`` (S,) after it and the truth where ``values`` (N,) has it; the x axis
    reads "time" when ``timed``, else "step"."""
    plt = pyplot()
    start = max(0, origin - history)
    truth = values[origin:origin + len(forecast)]
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    ax.plot(times[start:origin], values[start:origin], color="0.3", label="history")
    if len(truth):
        ax.plot(ahead[:len(truth)], truth, color="tab:green", label="truth")
    ax.plot(ahead, forecast, color="tab:red", linestyle="--", label="forecast")
    ax.axvline(times[origin - 1], color="0.6", linewidth=0.8)
    ax.set_xlabel("time" if timed else "step")
    ax.set_ylabel(name)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save(fig, path)


def plot_gradient_flow(layers: dict[str, dict], path, title: str = "") -> Path:
    """||dL/da_t|| against step t on a log scale, one line per layer (``layers``: {name:
    {"norms": [per t], "rate": factor per step back or None}}, ``elman.diagnose``); zeros
    (no dependence) are left out."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for name, layer in layers.items():
        norms = np.array(layer["norms"], dtype=float)
        norms[~(norms > 0)] = np.nan
        rate = "" if layer["rate"] is None else f" (x{layer['rate']:.3g} per step back)"
        ax.plot(np.arange(len(norms)), norms, marker="." if len(norms) < 60 else None,
                label=name + rate)
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("||dL/da_t||")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, which="both")
    if ax.lines:
        ax.legend(fontsize=8)
    return save(fig, path)
