"""The NumPy streaming runtime against the torch model it was saved from."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from elman import ElmanError
from elman.data.vocab import Vocab
from elman.io import checkpoint
from elman.models import EncoderDecoder, LanguageModel, ManyToMany, ManyToOne
from elman.runtime import NumpyLanguageModel, NumpySequenceModel, load


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


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_numpy_sequence_models_give_the_engine_outputs(tmp_path, cell):
    torch.manual_seed(0)
    activation = ["relu", "identity"] if cell == "elman" else "tanh"
    models = [ManyToOne(3, [5, 4], 2, cell, activation, bidirectional=b, pooling=p,
                        vocab_size=v)
              for b in (False, True) for p in ("last", "max", "mean") for v in (None, 9)]
    models += [ManyToMany(3, [5, 4], 2, cell, activation, bidirectional=b, vocab_size=v)
               for b in (False, True) for v in (None, 9)]
    for k, model in enumerate(models):
        checkpoint.save(tmp_path / str(k), model.eval(), Vocab(list("abcdefghi")), {})
        numpy_model = load(tmp_path / str(k))
        assert isinstance(numpy_model, NumpySequenceModel)
        x = torch.randint(0, 9, (1, 7)) if model.config["vocab_size"] else torch.randn(1, 7, 3)
        with torch.no_grad():
            want = model(x)[0].numpy()
        np.testing.assert_allclose(numpy_model(x[0].numpy()), want, rtol=1e-5, atol=1e-5)


def test_numpy_sequence_model_errors(tmp_path):
    checkpoint.save(tmp_path / "ids", ManyToOne(4, 5, 2, vocab_size=3), Vocab(list("abc")), {})
    checkpoint.save(tmp_path / "x", ManyToMany(4, 5, 2), None, {})
    with pytest.raises(ElmanError, match=r"^x: expected a non-empty 1-D array of token ids in "
                       r"0\.\.2, got ids in 0\.\.3$"):
        load(tmp_path / "ids")(np.array([0, 3]))
    with pytest.raises(ElmanError, match=r"^x: expected a non-empty 1-D .*, got shape \(0,\)"):
        load(tmp_path / "ids")(np.array([], np.int64))
    with pytest.raises(ElmanError, match=r"^x: expected a \(T, 4\) array of features, T >= 1, "
                       r"got shape \(3, 2\)$"):
        load(tmp_path / "x")(np.zeros((3, 2)))
    vectors = ManyToOne(4, 5, 2, vocab_size=3, vectors=[6, 2])
    checkpoint.save(tmp_path / "v", vectors, Vocab(list("abc")), {})
    with pytest.raises(ElmanError, match="^checkpoint: expected a model without pretrained"):
        load(tmp_path / "v")


def test_runtime_imports_no_torch():
    code = "import sys, elman.runtime; assert not any(m.startswith('torch') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_runtime_refuses_other_architectures(tmp_path):
    checkpoint.save(tmp_path / "ck", ManyToOne(4, 5, 2, vocab_size=3), Vocab(list("abc")), {})
    with pytest.raises(ElmanError, match="checkpoint: expected a language_model checkpoint"):
        NumpyLanguageModel.load(tmp_path / "ck")
    with pytest.raises(ElmanError, match="checkpoint: expected a folder holding model.safetensors"):
        NumpyLanguageModel.load(tmp_path / "nothing")
    checkpoint.save(tmp_path / "ed", EncoderDecoder(3, 4, 5), Vocab(list("abc")), {})
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a model of one of "
                       r"\['language_model', 'many_to_one', 'many_to_many'\], got encoder_decoder"):
        load(tmp_path / "ed")
