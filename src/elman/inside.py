"""Looking inside a trained RNN: what its units do on one text, and how far its gradients reach.

- ``recording``: while it is on, every ``elman.RNN`` inside a model runs its plain loop and
  keeps each step of each layer (its input part, the state before and after, the activation
  a_t (B, H)) as tensors of the autograd graph, so that the model's own forward and loss can
  be differentiated with respect to every a_t (any task's model: the RNNs are found, not
  named);
- ``unroll``: the activations a_t of every layer and step of one unidirectional RNN;
- ``features`` of a text's tokens: inside quotes, position in line, inside brackets (the
  features Karpathy et al. 2015 found single units of character models tracking);
- ``ranking``: per feature, the units by the absolute Pearson correlation of their
  activation with it over the text;
- ``gradient_norms``: ||dL/da_t|| for every layer and step, L a loss of the last step, the
  total derivative through every later step (the quantity that vanishes or explodes as t moves
  away from the loss; Bengio et al. 1994, Pascanu et al. 2013).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from .errors import bad
from .nn import RNN
from .nn.cells import Cell

OPEN, CLOSE = "([{", ")]}"


class Step(NamedTuple):
    """One step of one cell as ``recording`` keeps it: ``xz`` (B, G*H) the input part W_F x_t
    + b, ``before`` and ``after`` the states s_{t-1} and s_t (B, H), or (h, c) pairs for the
    LSTM, and ``a`` = a_t (B, H), the activation passed up and out (h_t for the LSTM)."""

    xz: torch.Tensor
    before: torch.Tensor | tuple
    after: torch.Tensor | tuple
    a: torch.Tensor


def rnns_of(model: nn.Module) -> list[tuple[str, RNN]]:
    """The ``elman.RNN`` modules inside ``model`` (itself included), by module name."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, RNN)]


def cells_of(name: str, rnn: RNN) -> dict[str, Cell]:
    """{parameter prefix: cell} of an RNN: ``NAME.layers.l`` and ``NAME.layers_reverse.l``,
    lowest layer first, a layer's forward direction before its reverse one."""
    prefix = f"{name}." if name else ""
    out = {}
    for l in range(len(rnn.layers)):
        out[f"{prefix}layers.{l}"] = rnn.layers[l]
        if rnn.bidirectional:
            out[f"{prefix}layers_reverse.{l}"] = rnn.layers_reverse[l]
    return out


def at_end(outputs: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """outputs (B, T, F) with their values, their gradient kept at each sequence's last real
    step (``lengths`` (B,) or None: T) and zero at every other step."""
    B, T, _ = outputs.shape
    last = torch.full((B,), T - 1) if lengths is None else lengths.long() - 1
    keep = torch.arange(T)[None, :] == last[:, None].cpu()                # (B, T)
    held = outputs.detach()
    return held + (outputs - held) * keep[..., None].to(outputs)


def _taped(cell: Cell, tape: dict, key: str) -> Callable:
    step = cell.step

    def run(xz, state):
        new = step(xz, state)
        tape[key].append(Step(xz, state, new, cell.output(new)))
        return new
    return run


def _end_hook(module, args, kwargs, output):
    lengths = kwargs.get("lengths", args[1] if len(args) > 1 else None)
    return at_end(output[0], lengths), output[1]


@contextmanager
def recording(model: nn.Module, *, end: bool = False) -> Iterator[dict[str, list[Step]]]:
    """Within the block every ``elman.RNN`` inside ``model`` runs its plain loop (backend
    "loop") and yields {cell key (``cells_of``): [Step per t]}; each call of an RNN starts its
    cells' lists afresh (a model that calls one RNN several times keeps the last call).
    ``end``: every RNN's outputs pass only the gradient of each sequence's last step
    (``at_end``; its final state passes all of its gradient). Everything is restored after."""
    tape: dict[str, list[Step]] = {}
    undo: list[Callable] = []
    try:
        for name, rnn in rnns_of(model):
            cells = cells_of(name, rnn)
            undo.append(lambda rnn=rnn, backend=rnn.backend: setattr(rnn, "backend", backend))
            rnn.backend = "loop"
            undo.append(rnn.register_forward_pre_hook(
                lambda *_, keys=tuple(cells): tape.update({k: [] for k in keys})).remove)
            if end:
                undo.append(rnn.register_forward_hook(_end_hook, with_kwargs=True).remove)
            for key, cell in cells.items():
                tape[key] = []
                cell.step = _taped(cell, tape, key)          # shadows the method
                undo.append(lambda cell=cell: delattr(cell, "step"))
        yield tape
    finally:
        for restore in reversed(undo):
            restore()


def unroll(rnn: RNN, x: torch.Tensor) -> list[list[torch.Tensor]]:
    """x (B, T, I) -> a[l][t] (B, H_l) for every layer l and step t, from a zero state, the
    cell equations one step at a time and no dropout (the model as it predicts)."""
    if rnn.bidirectional:
        raise bad("rnn", "a unidirectional RNN (a reverse direction reads the text from its "
                  "end)", "bidirectional=True")
    training = rnn.training
    try:
        with recording(rnn.eval()) as tape:
            rnn(x)
    finally:
        rnn.train(training)
    return [[step.a for step in steps] for steps in tape.values()]


def norms(loss: torch.Tensor, tape: dict[str, list[Step]]) -> dict[str, list[float]]:
    """{cell key: [||dL/da_t|| per t]} of a recorded forward (``recording``): the norm of the
    whole (B, H) gradient, 0 where L does not depend on a_t."""
    flat = [step.a for steps in tape.values() for step in steps]
    grads = torch.autograd.grad(loss, flat, allow_unused=True, retain_graph=True)
    values, out = iter([0.0 if g is None else float(g.norm()) for g in grads]), {}
    for key, steps in tape.items():
        out[key] = [next(values) for _ in steps]
    return out


def features(tokens: list[str]) -> dict[str, np.ndarray]:
    """Per token (T,): "inside quotes" (1 from an opening '"' to before its closing one),
    "position in line" (tokens since the last newline) and "inside brackets" (1 from an
    opening bracket to before the one closing it)."""
    quoted, column, depth = False, 0, 0
    out = {"inside quotes": [], "position in line": [], "inside brackets": []}
    for token in tokens:
        quoted ^= token.count('"') % 2 == 1
        column = 0 if "\n" in token else column + 1
        depth = max(0, depth + sum(token.count(c) for c in OPEN)
                    - sum(token.count(c) for c in CLOSE))
        out["inside quotes"].append(float(quoted))
        out["position in line"].append(float(column))
        out["inside brackets"].append(float(depth > 0))
    return {name: np.array(values) for name, values in out.items()}


def correlations(a: np.ndarray, feature: np.ndarray) -> np.ndarray | None:
    """a (T, H), feature (T,) -> (H,) Pearson correlation of each unit with the feature (0 for
    a unit that does not change), or None when the feature does not change over the text."""
    f = feature - feature.mean()
    if not np.any(f):
        return None
    centred = a - a.mean(axis=0)
    norms = np.linalg.norm(centred, axis=0) * np.linalg.norm(f)
    r = centred.T @ f                                                # (H,)
    return np.divide(r, norms, out=np.zeros_like(r), where=norms > 0)


def ranking(a: np.ndarray, tokens: list[str]) -> dict[str, dict]:
    """Per feature: its values per token and the units by |correlation|, strongest first,
    as [[unit, correlation], ...] (no units when the feature is constant over the text)."""
    out = {}
    for name, values in features(tokens).items():
        r = correlations(a, values)
        order = [] if r is None else np.argsort(-np.abs(r), kind="stable")
        out[name] = {"values": values.tolist(),
                     "units": [[int(u), float(r[u])] for u in order]}
    return out


def gradient_norms(rnn: RNN, x: torch.Tensor,
                   loss_of: Callable[[torch.Tensor], torch.Tensor]) -> tuple[float, list]:
    """x (1, T, I), ``loss_of(a_T)`` (the top layer's last activation, (1, H_L)) ->
    (L, norms[l][t] = ||dL/da_t|| of layer l at step t)."""
    with torch.enable_grad(), recording(rnn) as tape:
        outputs, _ = rnn(x.detach().requires_grad_())
        loss = loss_of(outputs[:, -1])
        found = norms(loss, tape)
    return float(loss.detach()), list(found.values())
