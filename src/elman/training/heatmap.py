"""The attention weights of one decoded sentence as a heatmap PNG: one row per output token,
one column per source token, darker for more weight (each row sums to 1)."""

import io
from pathlib import Path

import torch

from .atomic import write_bytes


def plot_attention(weights: torch.Tensor, source: list[str], output: list[str], path,
                   title: str = "") -> Path:
    """weights (T, S), source (S tokens), output (T tokens) -> PNG at ``path`` (atomically)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T, S = weights.shape
    fig, ax = plt.subplots(figsize=(max(3.0, 0.5 * S + 1.5), max(3.0, 0.45 * T + 1.5)), dpi=100)
    ax.imshow(weights.float().numpy(), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(S), source[:S], rotation=60, ha="right")
    ax.set_yticks(range(T), output[:T])
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title, fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    write_bytes(path, buf.getvalue())
    return Path(path)
