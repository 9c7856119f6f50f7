"""Run metrics: ``metrics.jsonl`` (one JSON object per evaluation) and the loss curve ``loss.png``.

Each line: {"step", "epoch", "train_loss", "valid_loss", "bpc", "perplexity", "lr",
"tokens_per_s", "elapsed"}; losses in nats per token, bpc = valid_loss / ln 2.
"""

import io
import json
from pathlib import Path

from .atomic import write_bytes, write_text

METRICS, PLOT = "metrics.jsonl", "loss.png"


class MetricsLog:
    """Append-only metrics file of a run folder. On resume, lines after the resumed step are
    dropped (they came from training the resumed run never kept)."""

    def __init__(self, run: Path, resume_step: int | None = None):
        self.path = Path(run) / METRICS
        self.rows = read(self.path) if resume_step is not None else []
        self.rows = [r for r in self.rows if r.get("step", 0) <= (resume_step or 0)]
        write_text(self.path, "".join(json.dumps(r) + "\n" for r in self.rows))

    def append(self, row: dict):
        self.rows.append(row)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def read(path: Path) -> list[dict]:
    """The rows of a metrics.jsonl, skipping a torn last line."""
    if not Path(path).is_file():
        return []
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def plot_losses(rows: list[dict], path: Path, title: str = "") -> Path:
    """Train and validation loss (nats/token) against step, saved as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    write_bytes(path, buf.getvalue())
    return Path(path)
