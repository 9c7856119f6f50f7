"""Run metrics: ``metrics.jsonl``, one JSON object per evaluation (the loss curve ``loss.png``
is drawn from it by ``elman.io.plots``).

Each line: {"step", "epoch", "train_loss", "valid_loss", "bpc", "perplexity", "lr",
"tokens_per_s", "elapsed"}; losses in nats per token, bpc = valid_loss / ln 2.
"""

import json
from pathlib import Path

from ..io.atomic import write_text

METRICS, PLOT = "metrics.jsonl", "loss.png"


class MetricsLog:
    """Append-only metrics file of a run folder (``name``: metrics.jsonl, or another log of
    one JSON object per step such as diagnostics.jsonl). On resume, lines after the resumed
    step are dropped (they came from training the resumed run never kept). ``write=False``
    keeps the rows in memory only (the processes of a distributed run but the first)."""

    def __init__(self, run: Path, resume_step: int | None = None, *, name: str = METRICS,
                 write: bool = True):
        self.path, self.write = Path(run) / name, write
        self.rows = read(self.path) if resume_step is not None else []
        self.rows = [r for r in self.rows if r.get("step", 0) <= (resume_step or 0)]
        if write:
            write_text(self.path, "".join(json.dumps(r) + "\n" for r in self.rows))

    def append(self, row: dict):
        self.rows.append(row)
        if not self.write:
            return
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
