"""The lecture notes' quiz as a test: which shuffle of the training data changes what an RNN
learns?

Two shuffles of the same training set of sequences:

(a) the ORDER OF THE SEQUENCES in the set. With full-batch gradient descent every step uses
    the gradient of the loss over the whole set, and that loss is a sum of one term per
    sequence (or that sum divided by the number of sequences, which a permutation does not
    change either: the same terms, the same count). A sum does not depend on the order of
    its terms, so every step, and hence the trained weights, are the same; the only trace of
    the shuffle is floating-point rounding, because the computer adds the terms in another
    order. In float64 that is ~1e-16 per step, far inside the tolerance used below.

(b) the ORDER OF THE STEPS (entities) INSIDE EACH SEQUENCE. An RNN reads a sequence one step
    at a time, each state built from the previous state and the current input, so its final
    state is a function of the sequence, not of the set of its entries: "dog bites man" is not
    "man bites dog". The shuffled sequences are other inputs, the losses and gradients differ
    from the first step on, and the trained weights differ by far more than rounding.

Order-freedom in (a) is a property of the full-batch gradient, not of training in general:
with one sequence per step (batch size 1) each step starts from the weights the previous one
left, so visiting the sequences in another order gives other weights. The last test checks
that, which also shows that the comparison in (a) can fail.

Setup for all: a small ManyToOne (last-step output) on real-valued inputs (B, T, I) with class
labels, cross-entropy from elman.losses, plain torch.optim.SGD (no momentum, no weight decay),
dropout 0, float64, and torch.manual_seed before building each model so both start from the
same weights (asserted).
"""

import pytest
import torch

from elman.losses import cross_entropy
from elman.models import ManyToOne

CELLS = ["elman", "lstm", "gru"]
B, T, I, H, K = 6, 5, 3, 6, 3
STEPS, LR = 30, 0.5
SAME = dict(rtol=1e-5, atol=1e-6)   # "equal to rounding" (float64 rounding is ~1e-16)
MARGIN = 1e-3                       # "clearly different"


pytestmark = pytest.mark.usefixtures("one_thread")


def _data(lengths=None):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, T, I, generator=g, dtype=torch.float64)
    y = torch.arange(B) % K
    if lengths is not None:
        x = x.masked_fill(torch.arange(T)[None, :, None] >= lengths[:, None, None], 0.0)
    return x, y


def _model(cell):
    torch.manual_seed(0)
    return ManyToOne(I, H, K, cell=cell, dropout=0.0).double()


def _weights(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _max_diff(a, b):
    return max((a[n] - b[n]).abs().max().item() for n in a)


def _train_full_batch(cell, x, y, lengths=None, reduction="sequence", lr=LR):
    """STEPS steps of plain gradient descent on the whole set; returns start and end weights."""
    model = _model(cell)
    start = _weights(model)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
    for _ in range(STEPS):
        opt.zero_grad()
        cross_entropy(model(x, lengths), y, reduction=reduction).backward()
        opt.step()
    return start, _weights(model)


def _shuffle_within(x, lengths=None, seed=2):
    """Each sequence's real steps in a random order other than the original one (padding,
    if any, stays where it is)."""
    g = torch.Generator().manual_seed(seed)
    out = x.clone()
    for b in range(x.shape[0]):
        n = T if lengths is None else int(lengths[b])
        assert n >= 2, "a sequence of one step has no order to shuffle"
        perm = torch.arange(n)
        while torch.equal(perm, torch.arange(n)):
            perm = torch.randperm(n, generator=g)
        out[b, :n] = x[b, perm]
    return out


def _batch_order(seed=3):
    g = torch.Generator().manual_seed(seed)
    perm = torch.arange(B)
    while torch.equal(perm, torch.arange(B)):
        perm = torch.randperm(B, generator=g)
    return perm


@pytest.mark.parametrize("cell", CELLS)
def test_shuffling_the_order_of_the_sequences_leaves_full_batch_training_unchanged(cell):
    x, y = _data()
    perm = _batch_order()
    start, end = _train_full_batch(cell, x, y)
    start_p, end_p = _train_full_batch(cell, x[perm], y[perm])
    torch.testing.assert_close(start_p, start, rtol=0, atol=0)     # same initial weights
    assert _max_diff(end, start) > 100 * MARGIN                     # training moved them
    torch.testing.assert_close(end_p, end, **SAME)


@pytest.mark.parametrize("cell", CELLS)
def test_shuffling_the_steps_inside_each_sequence_changes_training(cell):
    x, y = _data()
    start, end = _train_full_batch(cell, x, y)
    start_s, end_s = _train_full_batch(cell, _shuffle_within(x), y)
    torch.testing.assert_close(start_s, start, rtol=0, atol=0)
    assert _max_diff(end_s, end) > MARGIN


@pytest.mark.parametrize("cell", CELLS)
def test_variable_lengths_sequence_order_is_free_step_order_is_not(cell):
    lengths = torch.tensor([5, 2, 4, 3, 5, 2])
    x, y = _data(lengths)
    # summed loss this time (lr scaled by 1/B to take the same steps as the mean)
    train = lambda x, y, lengths: _train_full_batch(   # noqa: E731
        cell, x, y, lengths, reduction="sum", lr=LR / B)
    start, end = train(x, y, lengths)
    perm = _batch_order()
    _, end_p = train(x[perm], y[perm], lengths[perm])
    torch.testing.assert_close(end_p, end, **SAME)
    x_s = _shuffle_within(x, lengths)
    assert torch.equal(x_s[torch.arange(T) >= lengths[:, None]],   # padding untouched
                       x[torch.arange(T) >= lengths[:, None]])
    start_s, end_s = train(x_s, y, lengths)
    torch.testing.assert_close(start_s, start, rtol=0, atol=0)
    assert _max_diff(end_s, end) > MARGIN


@pytest.mark.parametrize("cell", CELLS)
def test_one_sequence_per_step_does_depend_on_the_visiting_order(cell):
    """The counter-example: per-example SGD is not a sum of gradients at the same weights."""
    x, y = _data()
    perm = _batch_order()

    def train(order):
        model = _model(cell)
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.0)
        for _ in range(STEPS // B):
            for b in order.tolist():
                opt.zero_grad()
                cross_entropy(model(x[b:b + 1]), y[b:b + 1]).backward()
                opt.step()
        return _weights(model)

    assert _max_diff(train(perm), train(torch.arange(B))) > MARGIN
