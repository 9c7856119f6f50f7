"""The memory estimates that refuse an absurd run before it allocates (``elman.nn.memory``):
the weights' bytes counted exactly, the activations against what backpropagation really
keeps (torch's saved-tensor hooks), and the limit a user sets."""

import pytest
import torch

import elman
from elman.errors import ElmanError
from elman.nn import memory
from elman.options import parse_bytes


def kept_bytes(model: torch.nn.Module, rnn, x: torch.Tensor) -> int:
    """Bytes of the distinct storages autograd keeps for the backward pass of model on x."""
    storages = {}

    def pack(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y, _ = rnn(x)
        model["head"](y).logsumexp(-1).sum()
    return sum(storages.values())


@pytest.mark.parametrize("backend", ["loop", "fast"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_the_activation_estimate_covers_what_backpropagation_keeps(cell, bidirectional,
                                                                     backend):
    rnn = elman.RNN(16, [32, 48], cell=cell, bidirectional=bidirectional, backend=backend)
    model = torch.nn.ModuleDict({"rnn": rnn, "head": torch.nn.Linear(rnn.output_size, 10)})
    kept = kept_bytes(model, rnn, torch.randn(8, 50, 16))
    estimate = memory.training_bytes(model, 8, 50)["activations"]
    assert kept <= 1.05 * estimate <= 3 * kept, (kept, estimate)


def test_weights_gradients_and_optimizer_state_are_counted_exactly():
    model = elman.RNN(3, [5, 7], cell="lstm")
    n = sum(p.numel() for p in model.parameters())
    adam = memory.training_bytes(model, 2, 3, optimizer="adam", average=True)
    sgd = memory.training_bytes(model, 2, 3, optimizer="sgd")
    assert (adam["weights"], adam["gradients"], adam["moving average"]) == (4 * n,) * 3
    assert (adam["optimizer state"], sgd["optimizer state"], sgd["moving average"]) == \
        (8 * n, 4 * n, 0)
    assert memory.training_bytes(model, 4, 3)["activations"] == \
        2 * memory.training_bytes(model, 2, 3)["activations"]


def test_a_limit_refuses_a_training_step_and_a_layer_and_lifts_again():
    model = elman.RNN(3, 64, cell="gru")
    parts = memory.training_bytes(model, 32, 100)
    try:
        memory.set_limit(sum(parts.values()) - 1)
        with pytest.raises(ElmanError, match=r"^batch_size: expected a batch whose training "
                           r"fits .*, got 32 sequences of 100 steps: .*activations"):
            memory.check_training(model, 32, 100)
        memory.check_training(model, 16, 100)
        memory.set_limit(1000)
        with pytest.raises(ElmanError, match=r"^hidden_sizes: .*\(1,000 B by --max-memory\)"):
            elman.RNN(3, 64)
    finally:
        memory.set_limit(None)
    elman.RNN(3, 64)


@pytest.mark.parametrize("text, n", [("512M", 2 ** 29), ("64G", 64 * 2 ** 30),
                                     ("1.5T", int(1.5 * 2 ** 40)), ("2GiB", 2 ** 31),
                                     ("4096", 4096), ("3 k", 3072)])
def test_sizes_read_with_binary_units(text, n):
    assert parse_bytes("max_memory", text) == n
