"""Gradient-flow diagnostics: how far back in time a model's loss still reaches, for one batch
of any task (``elman diagnose RUN``; ``elman train --diagnose-every N`` records it during
training).

Per recurrent layer of every ``elman.RNN`` inside the model (keys ``NAME.layers.l`` and
``NAME.layers_reverse.l``, as its parameters are named):

- ``norms``: ||dL/da_t|| for every step t, the total derivative through every later step and
  every layer above (``elman.inside.recording``), the norm of the whole (B, H) gradient of
  the batch; 0 where L does not depend on a_t (padding);
- ``rate``: the factor per step back fitted to that curve, exp of minus the least-squares
  slope of log ||dL/da_t|| against t over its nonzero steps: below 1 the gradient vanishes
  going back in time, above 1 it explodes;
- ``W_R``: the spectral norm ||W_R||_2 (``torch.linalg.matrix_norm(ord=2)``) of the whole
  recurrent matrix (G*H, H), and ``gates``: of each gate's block (i, f, g, o for the LSTM;
  r, z, n for the GRU; one block "a" for Elman). For an Elman cell with |f'| <= 1 (tanh,
  identity, relu) ||da_t/da_{t-1}|| = ||diag(f'(z_t)) W_R||_2 <= ||W_R||_2, so the curve
  of a one-layer Elman RNN falls by at least that factor per step back;
- ``jacobians``: at a few steps t, the largest singular values of the exact step Jacobian
  ds_t/ds_{t-1} of the batch's first sequence (``torch.func.jacrev``), s the state: a_t, or
  [h_t; c_t] for the LSTM (2H: the cell state carries gradient too).

The loss L. ``end=True`` (the default): the task's training loss of the batch
(``Task.loss``, mean per target, from a zero state, eval mode) with the gradient reaching
each RNN only through its output at each sequence's last step (and its final state): "the
loss at the end". For a many-to-one model that reads the last step this is its whole loss;
for a many-to-many task (lm, tag, music, ...) it is the loss of the last step's targets,
divided by the number of targets in the mean. With ``end=False`` L is the task's loss as
trained: there every a_t also gets the direct gradient of its own step's target, and the
curve shows what training sees rather than how far one loss reaches back.
"""

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .inside import Step, cells_of, norms, recording, rnns_of


def fit_rate(values: list[float]) -> float | None:
    """The factor per step back of a curve ||dL/da_t|| against t: exp(-slope) of the least
    squares line through (t, log value) over its nonzero values (None with fewer than 2)."""
    t = np.array([i for i, v in enumerate(values) if v > 0], dtype=float)
    if len(t) < 2:
        return None
    slope = np.polyfit(t, np.log([values[int(i)] for i in t]), 1)[0]
    return float(np.exp(-slope))


def spectral_norms(cell) -> dict:
    """{"W_R": ||W_R||_2, "gates": {gate: ||its block of W_R||_2}} of one cell."""
    W = cell.W_R.detach()
    blocks = W.chunk(cell.gates, dim=0)
    return {"W_R": float(torch.linalg.matrix_norm(W, ord=2)),
            "gates": {g: float(torch.linalg.matrix_norm(w, ord=2))
                      for g, w in zip(cell.gate_names, blocks)}}


def _flat(state) -> torch.Tensor:
    return torch.cat(state, dim=-1) if isinstance(state, tuple) else state


def _split(s: torch.Tensor, like):
    return tuple(s.chunk(len(like), dim=-1)) if isinstance(like, tuple) else s


def step_jacobian(cell, step: Step, *, index: int = 0) -> torch.Tensor:
    """The exact Jacobian ds_t/ds_{t-1} (S, S) of sequence ``index`` at a recorded step, s
    the flat state (S = H, or 2H for the LSTM's [h; c])."""
    xz = step.xz[index:index + 1].detach()
    before = _flat(step.before)[index:index + 1].detach()               # (1, S)

    def state_map(s):
        return _flat(cell.step(xz, _split(s, step.before)))[0]          # (S,)
    with torch.enable_grad():
        return torch.func.jacrev(state_map)(before)[:, 0]               # (S, S)


def jacobian_steps(T: int, count: int) -> list[int]:
    """``count`` steps spread evenly over 0..T-1, the first and last included."""
    return sorted({int(round(t)) for t in np.linspace(0, T - 1, min(count, T))}) \
        if count > 0 else []


def gradient_flow(model: nn.Module, loss_of: Callable[[nn.Module], torch.Tensor], *,
                  end: bool = True, jacobians: int = 4, singular: int = 3) -> dict:
    """The diagnostics of ``model`` (see the module doc) for ``loss_of(model)``, a scalar
    loss computed by the model's own forward, in eval mode: {"loss", "end", "layers": {cell
    key: {"norms", "rate", "W_R", "gates", "jacobians": [{"t", "singular_values"}]}},
    "sequences": B}."""
    cells = {k: c for name, rnn in rnns_of(model) for k, c in cells_of(name, rnn).items()}
    training = model.training
    try:
        with torch.enable_grad(), recording(model.eval(), end=end) as tape:
            loss = loss_of(model)
            found = norms(loss, tape)
    finally:
        model.train(training)
    layers = {}
    for key, steps in tape.items():
        jac = [{"t": t, "singular_values": torch.linalg.svdvals(
                   step_jacobian(cells[key], steps[t]))[:singular].tolist()}
               for t in jacobian_steps(len(steps), jacobians)]
        layers[key] = {"norms": found[key], "rate": fit_rate(found[key]),
                       **spectral_norms(cells[key]), "jacobians": jac}
    B = next((steps[0].a.shape[0] for steps in tape.values() if steps), 0)
    return {"loss": float(loss.detach()), "end": end, "sequences": B, "layers": layers}


def task_loss(task, batch, device: torch.device) -> Callable[[nn.Module], torch.Tensor]:
    """``loss_of(model)``: the task's training loss of ``batch`` from a zero state."""
    x, y = batch.x.to(device), batch.y.to(device)
    return lambda model: task.loss(model, x, y, None)[0]


def first_batch(batches):
    """The first batch of a task's batches (their epoch 0), or None when there is none."""
    return next(iter(batches.epoch(0)), None)


def diagnose(task, model: nn.Module, batch, **kwargs) -> dict:
    """``gradient_flow`` of ``model`` on one batch with the task's loss (``kwargs``: its
    keywords)."""
    device = next(model.parameters()).device
    return gradient_flow(model, task_loss(task, batch, device), **kwargs)
