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
    return kept_by(lambda: model["head"](rnn(x)[0]).logsumexp(-1).sum())


def kept_by(forward, model: torch.nn.Module | None = None) -> int:
    """Bytes of the distinct storages autograd keeps for the backward pass of forward(), the
    weights of ``model`` (counted apart from the activations) left out."""
    storages = {}
    weights = {p.untyped_storage().data_ptr() for p in (model or torch.nn.Module()).parameters()}

    def pack(t):
        if t.untyped_storage().data_ptr() not in weights:
            storages[t.untyped_storage().data_ptr()] = (t.untyped_storage().nbytes(), t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        forward()
    return sum(n for n, _ in storages.values())


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


@pytest.mark.parametrize("per_frame", [False, True])
def test_the_estimate_covers_the_convolutions_of_a_frames_model(per_frame):
    from elman.models.frames import FramesModel
    model = FramesModel([1, 28, 28], [32], 10, "gru", per_frame=per_frame)
    B, T = 4, 6
    x = torch.randn(B, T, 1, 28, 28)
    kept = kept_by(lambda: model(x, torch.full((B,), T)).logsumexp(-1).sum(), model)
    estimate = memory.training_bytes(model, B, T)["activations"]
    assert kept <= estimate <= 2.5 * kept, (kept, estimate)


@pytest.mark.parametrize("channels, conv_channels", [(1, [16, 32, 64, 64, 64]), (3, [8, 16])])
def test_the_estimate_covers_the_convolutions_of_a_captioner(channels, conv_channels):
    from elman.models.captioner import Captioner
    model = Captioner(channels, 64, 128, 40, [64], conv_channels=conv_channels)
    B, T = 8, 10
    images, tgt_in = torch.randn(B, channels, 64, 128), torch.randint(0, 40, (B, T))
    kept = kept_by(lambda: model(images, tgt_in, torch.full((B,), T)).logsumexp(-1).sum(),
                   model)
    estimate = memory.training_bytes(model, B, T)["activations"]
    assert kept <= estimate <= 2.5 * kept, (kept, estimate)


def test_a_convolutional_encoder_is_measured_without_touching_its_weights():
    from elman.models.captioner import Captioner
    model = Captioner(1, 16, 16, 10, [8], conv_channels=[4])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    conv = memory.saved_bytes(model.encoder.convs, (3, 1, 16, 16))
    # floats: the convolution's input (3 images, 1 x 16 x 16), the normalisation's input and
    # the ReLU's output (3 x 4 x 8 x 8 each), the batch's mean and inverse deviation (4 each)
    assert conv == 4 * (3 * 16 * 16 + 3 * 4 * 8 * 8 * 2 + 2 * 4)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


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
