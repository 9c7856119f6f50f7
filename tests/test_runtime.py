"""The NumPy streaming runtime against the torch model it was saved from."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from elman import ElmanError
from elman.data.vocab import Vocab
from elman.io import checkpoint
from elman.models import LanguageModel, ManyToOne
from elman.runtime import NumpyLanguageModel


@pytest.mark.parametrize("cell,activation", [("elman", "tanh"), ("elman", "relu"),
                                             ("elman", ["sigmoid", "identity"]),
                                             ("lstm", "tanh"), ("gru", "tanh")])
def test_numpy_runtime_streams_the_same_logits(tmp_path, cell, activation):
    torch.manual_seed(0)
    vocab = Vocab(list("abcdefgh"))
    model = LanguageModel(len(vocab), [16, 12], embed_dim=8, cell=cell, activation=activation)
    checkpoint.save(tmp_path / "ck", model, vocab, {})
    lm = NumpyLanguageModel.load(tmp_path / "ck")
    tokens = [0, 3, 7, 1, 1, 5, 2, 6, 4, 0]
    with torch.no_grad():
        want, _ = model(torch.tensor([tokens]))
    state = lm.initial_state()
    for t, token in enumerate(tokens):
        logits, state = lm.step(token, state)
        np.testing.assert_allclose(logits, want[0, t].numpy(), rtol=1e-5, atol=1e-5)
    assert lm.tokens == vocab.tokens


def test_runtime_imports_no_torch():
    code = "import sys, elman.runtime; assert not any(m.startswith('torch') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_runtime_refuses_other_architectures(tmp_path):
    checkpoint.save(tmp_path / "ck", ManyToOne(4, 5, 2, vocab_size=3), Vocab(list("abc")), {})
    with pytest.raises(ElmanError, match="checkpoint: expected a language_model checkpoint"):
        NumpyLanguageModel.load(tmp_path / "ck")
    with pytest.raises(ElmanError, match="checkpoint: expected a folder holding model.safetensors"):
        NumpyLanguageModel.load(tmp_path / "nothing")
