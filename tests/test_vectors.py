"""Pretrained word vectors (elman.data.vectors) in the classify task: the wordllama package's
piece table and tokenizer, a word's vector as the mean of its pieces', a run through the CLI
and back from its checkpoint, and the errors."""

import numpy as np
import pytest
import torch

from elman.cli import main
from elman.data import vectors
from elman.errors import ElmanError
from elman.io import checkpoint
from elman.models import ManyToOne

REVIEWS = "".join(f"{t}\t{y}\n" for t, y in [
    ("a great and moving film", 1), ("dull , boring and long", 0), ("great fun", 1),
    ("a boring mess", 0), ("moving and fun", 1), ("long and dull", 0)])
TINY = ["--embed-dim", "8", "--hidden-sizes", "12", "--dropout", "0", "--max-minutes", "none",
        "--quiet", "--lr", "0.02", "--batch-size", "3", "--cell", "gru"]


@pytest.fixture(scope="module")
def pieces():
    return vectors.load("wordllama")


def test_wordllama_table_and_pieces(pieces):
    assert pieces.table.shape == (32000, 256) and pieces.table.dtype == torch.float16
    assert abs(pieces.table.float().std().item() - 1) < 1e-2
    assert [pieces.tokenizer.id_to_token(i) for i in pieces.ids("unwatchable")] == \
        ["\u2581un", "watch", "able"]
    assert len(pieces.ids("x" * 200)) == vectors.MAX_PIECES


def test_a_word_vector_is_the_mean_of_its_pieces_vectors():
    model = ManyToOne(4, 6, 2, vocab_size=5, vectors=[10, 3])
    table = torch.randn(10, 3).half()
    model.piece_vectors.copy_(table)
    got = model.word_vectors(torch.tensor([[[1, 2, 3], [4, 0, 0]]]), torch.tensor([[3, 1]]))
    t = table.float().numpy()
    np.testing.assert_allclose(got[0].numpy(), np.stack([t[[1, 2, 3]].mean(0), t[4]]),
                               rtol=1e-6)
    assert model.rnn.input_size == 4 + 3


def test_classifier_with_vectors_trains_saves_and_reads_unseen_words(pieces, tmp_path, capsys):
    data, run = tmp_path / "r.tsv", tmp_path / "run"
    data.write_text(REVIEWS, encoding="utf-8")
    assert main(["train", "--task", "classify", "--data", str(data), "--valid", str(data),
                 "--vectors", "wordllama", "--out", str(run), "--max-steps", "40",
                 "--eval-every", "20", *TINY]) == 0
    assert "valid accuracy: 100.00%" in capsys.readouterr().out
    ck = checkpoint.load(run)
    assert torch.equal(ck.model.piece_vectors, pieces.table)   # the table travels in the weights
    assert main(["predict", str(run), "--input", str(data)]) == 0
    assert capsys.readouterr().out == REVIEWS
    # two words never seen in training read the same <unk> id but different vectors
    unk = ck.vocab.index["<unk>"]
    found = []
    for word in ("terrible", "wonderful"):
        ids = pieces.ids(word)
        found.append(ck.model.eval()(torch.tensor([[unk]]), torch.tensor([1]),
                                     pieces=torch.tensor([[ids]]),
                                     piece_counts=torch.tensor([[len(ids)]])))
    assert not torch.allclose(*found)


def test_vector_errors(tmp_path, capsys, monkeypatch):
    data = tmp_path / "r.tsv"
    data.write_text(REVIEWS, encoding="utf-8")
    assert main(["train", "--task", "classify", "--data", str(data), "--vectors", "glove",
                 "--out", str(tmp_path / "run"), *TINY]) != 0
    err = capsys.readouterr().err
    assert "vectors" in err and "wordllama" in err and "glove" in err and len(
        err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
    monkeypatch.setattr(vectors.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ElmanError, match="pip install wordllama"):
        vectors.load("wordllama")
    with pytest.raises(ElmanError, match="vectors"):
        ManyToOne(4, 6, 2, vocab_size=5, vectors=[0, 3])
    with pytest.raises(ElmanError, match="pieces"):
        ManyToOne(4, 6, 2, vocab_size=5, vectors=[10, 3])(torch.tensor([[1]]))
