"""Looking inside a trained RNN: what its units do on one text, and how far its gradients reach.

- ``unroll``: the plain loop of a unidirectional ``elman.RNN``, keeping every layer's
  activation a_t at every step as its own tensor (B, H_l), so that each can be read and
  differentiated;
- ``features`` of a text's tokens: inside quotes, position in line, inside brackets (the
  features Karpathy et al. 2015 found single units of character models tracking);
- ``ranking``: per feature, the units by the absolute Pearson correlation of their
  activation with it over the text;
- ``gradient_norms``: ||dL/da_t|| for every layer and step, L a loss of the last step, the
  total derivative through every later step (the quantity that vanishes or explodes as t moves
  away from the loss; Bengio et al. 1994, Pascanu et al. 2013).
"""

from collections.abc import Callable

import numpy as np
import torch

from .errors import bad
from .nn import RNN

OPEN, CLOSE = "([{", ")]}"


def unroll(rnn: RNN, x: torch.Tensor) -> list[list[torch.Tensor]]:
    """x (B, T, I) -> a[l][t] (B, H_l) for every layer l and step t, from a zero state, the
    cell equations one step at a time and no dropout (the model as it predicts)."""
    if rnn.bidirectional:
        raise bad("rnn", "a unidirectional RNN (a reverse direction reads the text from its "
                  "end)", "bidirectional=True")
    layers, below = [], x.transpose(0, 1)                            # (T, B, I)
    for cell in rnn.layers:
        state, steps = cell.zero_state(x.shape[0], x), []
        for xz_t in cell.project(below):                             # (B, G*H) per step
            state = cell.step(xz_t, state)
            steps.append(cell.output(state))                         # (B, H)
        layers.append(steps)
        below = torch.stack(steps)                                   # (T, B, H)
    return layers


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
    with torch.enable_grad():
        steps = unroll(rnn, x.detach().requires_grad_())
        loss = loss_of(steps[-1][-1])
        flat = [a for layer in steps for a in layer]
        grads = torch.autograd.grad(loss, flat, allow_unused=True)
    norms = [0.0 if g is None else float(g.norm()) for g in grads]
    T = len(steps[0])
    return float(loss.detach()), [norms[l * T:(l + 1) * T] for l in range(len(steps))]
