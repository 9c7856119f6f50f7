"""Sizes and parameter counts: per layer, the shapes of W_F, W_R, b, z_t and a_t, and the
number of parameters of each kind.

Shapes follow the engine (batch-first): W_F is (G*H_l, H_{l-1}), z_t and a_t are (B, G*H_l)
and (B, H_l) for one step of a batch of B sequences, where G is 1 (Elman), 4 (LSTM) or 3 (GRU).
"""

from dataclasses import dataclass, field

from torch import nn

from .layer import RNN

HEAD = ("layer", "W_F", "W_R", "b", "z_t", "a_t", "params")


@dataclass
class Summary:
    """Rows of the layer table and the parameter count of each kind."""

    rows: list[tuple] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, kind: str, n: int):
        self.counts[kind] = self.counts.get(kind, 0) + n

    def to_dict(self) -> dict:
        """The table as JSON: {"rows": [{"layer", "W_F", "W_R", "b", "z_t", "a_t", "params"}]
        (shapes as lists, null where a row has none), "counts": {kind: n}, "total": n}."""
        rows = [{k: (list(v) if isinstance(v, tuple) else None if v == "" else v)
                 for k, v in zip(HEAD, r)} for r in self.rows]
        return {"rows": rows, "counts": dict(self.counts), "total": self.total}

    def __str__(self) -> str:
        table = [HEAD] + [tuple(str(c) for c in r) for r in self.rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(HEAD))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
        lines.insert(1, "-" * len(lines[0]))
        lines.append("")
        lines += [f"{kind:<20}{n:>12,}" for kind, n in self.counts.items()]
        lines.append(f"{'total':<20}{self.total:>12,}")
        return "\n".join(lines)


def _shape(t) -> tuple:
    return tuple(t.shape)


def summarize_rnn(rnn: RNN, batch_size: int, s: Summary, prefix: str = "") -> Summary:
    """Add one row per layer (numbered from 1) and direction of an elman.RNN to a Summary."""
    for l in range(len(rnn.layers)):
        for d, cell in enumerate(rnn.directions(l)):
            name = f"{prefix}{l + 1}" + (" (reverse)" if d else "")
            G, H = cell.W_R.shape
            n = sum(p.numel() for p in cell.parameters())
            s.rows.append((name, _shape(cell.W_F), _shape(cell.W_R), _shape(cell.b),
                           (batch_size, G), (batch_size, H), n))
            s.add("input weights", cell.W_F.numel())
            s.add("recurrent weights", cell.W_R.numel())
            s.add("biases", n - cell.W_F.numel() - cell.W_R.numel())
    return s


def summarize(model: nn.Module, batch_size: int = 1, seq_len: int = 1) -> Summary:
    """Summary of an elman.RNN or of a model holding one (``rnn``/``encoder``/``decoder``),
    with its embedding and output layer counted by kind."""
    s = Summary()
    rnns = _rnns(model)
    s.rows.append(("x", "", "", "", (batch_size, seq_len, rnns[0][1].input_size), "", ""))
    for name, rnn in rnns:
        label = name.removesuffix(".rnn")       # "decoder.rnn" -> "decoder"
        summarize_rnn(rnn, batch_size, s, f"{label} " if len(rnns) > 1 else "")
    seen = {id(p) for _, rnn in rnns for p in rnn.parameters()}
    for name, p in model.named_parameters():
        if id(p) not in seen:
            s.add(_kind(name), p.numel())
    for name, out in model.named_modules():
        if name.split(".")[-1] == "output" and isinstance(out, nn.Linear):
            y = (batch_size, seq_len, out.out_features)
            if not getattr(model, "sequence_output", True):
                y = (batch_size, out.out_features)
            s.rows.append((name, _shape(out.weight), "", _shape(out.bias), "", y,
                           out.weight.numel() + out.bias.numel()))
    return s


def _kind(name: str) -> str:
    if "embedding" in name:
        return "embedding"
    if name.endswith("output.weight"):
        return "output weights"
    if name.endswith("output.bias"):
        return "output biases"
    return "initial state" if name.startswith("init.") else "other"


def _rnns(model: nn.Module) -> list[tuple[str, RNN]]:
    """Every elman.RNN in the model with its module name, the model itself if it is one."""
    if isinstance(model, RNN):
        return [("", model)]
    return [(n, m) for n, m in model.named_modules() if isinstance(m, RNN)]
