"""Checkpoints: round trip, crash safety of every save, and one-line errors for bad folders."""

import json
import os

import pytest
import safetensors.torch
import torch

from elman import ElmanError
from elman.data import Vocab
from elman.io import atomic, checkpoint
from elman.models import LanguageModel


def _model(seed=0, hidden=8, cell="gru"):
    torch.manual_seed(seed)
    return LanguageModel(5, [hidden], embed_dim=4, cell=cell)


VOCAB = Vocab.build("abcd")
RUN_CONFIG = {"model": {"cell": "gru"}, "train": {"lr": 0.1}}


def _same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def _trained_optimizer(model):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    logits, _ = model(torch.randint(0, 5, (2, 3)))
    logits.sum().backward()
    opt.step()
    return opt


def test_round_trip_with_training_state(tmp_path):
    model = _model(cell="lstm")
    opt = _trained_optimizer(model)
    stream = {"0.0": torch.randn(2, 8), "0.1": torch.randn(2, 8)}
    checkpoint.save(tmp_path / "ck", model, VOCAB, RUN_CONFIG, trainer_state={"step": 7},
                    optimizer=opt, stream=stream)
    ck = checkpoint.load(tmp_path / "ck", training=True)
    assert _same(ck.model, model) and ck.vocab == VOCAB
    assert ck.config["architecture"] == "language_model" and ck.config["train"] == {"lr": 0.1}
    assert ck.trainer_state["step"] == 7
    assert torch.equal(ck.stream["0.1"], stream["0.1"])
    fresh = torch.optim.Adam(ck.model.parameters(), lr=0.01)
    checkpoint.load_optimizer(fresh, ck.optimizer, ck.trainer_state["optimizer"])
    for p, q in zip(model.parameters(), ck.model.parameters()):
        a, b = opt.state[p], fresh.state[q]
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_sgd_optimizer_round_trip(tmp_path):
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randint(0, 5, (2, 3)))[0].sum().backward()
    opt.step()
    checkpoint.save(tmp_path / "ck", model, VOCAB, RUN_CONFIG, trainer_state={}, optimizer=opt)
    ck = checkpoint.load(tmp_path / "ck", training=True)
    fresh = torch.optim.SGD(ck.model.parameters(), lr=0.1, momentum=0.9)
    checkpoint.load_optimizer(fresh, ck.optimizer, ck.trainer_state["optimizer"])
    assert fresh.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_a_run_folder_loads_its_best_model(tmp_path):
    checkpoint.save(tmp_path / "checkpoint", _model(0), VOCAB, RUN_CONFIG)
    assert _same(checkpoint.load(tmp_path).model, _model(0))
    checkpoint.save(tmp_path / "best", _model(1), VOCAB, RUN_CONFIG)
    assert _same(checkpoint.load(tmp_path).model, _model(1))


def test_loading_never_unpickles(tmp_path, monkeypatch):
    checkpoint.save(tmp_path / "ck", _model(), VOCAB, RUN_CONFIG)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load called"))
    checkpoint.load(tmp_path / "ck")


# --- crash safety ----------------------------------------------------------------------


def _crash(monkeypatch, module, name, when=lambda *a: True):
    real = getattr(module, name)

    def fake(*args, **kwargs):
        if when(*args):
            raise OSError("simulated crash")
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, fake)


@pytest.mark.parametrize("where", ["tensor bytes", "file rename", "folder swap"])
def test_crash_during_save_keeps_the_old_checkpoint(tmp_path, monkeypatch, where):
    target = tmp_path / "checkpoint"
    checkpoint.save(target, _model(0), VOCAB, RUN_CONFIG)
    if where == "tensor bytes":
        _crash(monkeypatch, safetensors.torch, "save")
    elif where == "file rename":
        _crash(monkeypatch, os, "replace", lambda src, dst: str(dst).endswith(".safetensors"))
    else:   # the new folder is complete; moving it into place fails
        _crash(monkeypatch, os, "replace", lambda src, dst: ".tmp-" in str(src))
    with pytest.raises(OSError, match="simulated crash"):
        checkpoint.save(target, _model(1), VOCAB, RUN_CONFIG)
    monkeypatch.undo()
    assert _same(checkpoint.load(target).model, _model(0))
    assert not list(tmp_path.glob(".checkpoint.tmp-*"))         # no half-written folder left
    checkpoint.save(target, _model(2), VOCAB, RUN_CONFIG)        # and the next save works
    assert _same(checkpoint.load(target).model, _model(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]


def test_interrupt_during_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    target = tmp_path / "checkpoint"
    checkpoint.save(target, _model(0), VOCAB, RUN_CONFIG)

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(atomic, "write_text", interrupted)
    monkeypatch.setattr(checkpoint, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(target, _model(1), VOCAB, RUN_CONFIG)
    monkeypatch.undo()
    assert _same(checkpoint.load(target).model, _model(0))


def test_a_swap_stopped_half_way_is_recovered(tmp_path):
    target = tmp_path / "checkpoint"
    checkpoint.save(target, _model(0), VOCAB, RUN_CONFIG)
    os.replace(target, atomic.backup_of(target))      # as if stopped between the two renames
    assert _same(checkpoint.load(tmp_path).model, _model(0))
    assert _same(checkpoint.load(target).model, _model(0))
    checkpoint.save(target, _model(1), VOCAB, RUN_CONFIG)
    assert _same(checkpoint.load(target).model, _model(1))
    assert not atomic.backup_of(target).exists()


def test_atomic_file_write_keeps_old_content_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "f.json"
    atomic.write_text(p, "old")
    _crash(monkeypatch, os, "replace")
    with pytest.raises(OSError):
        atomic.write_text(p, "new")
    monkeypatch.undo()
    assert p.read_text() == "old" and [q.name for q in tmp_path.iterdir()] == ["f.json"]


# --- bad folders -----------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    d = tmp_path / "ck"
    checkpoint.save(d, _model(), VOCAB, RUN_CONFIG, trainer_state={"step": 1},
                    optimizer=_trained_optimizer(_model()))
    return d


def test_missing_files(saved, tmp_path):
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a run folder or a checkpoint "
                                         r"folder, got '.*nowhere'"):
        checkpoint.load(tmp_path / "nowhere")
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a folder holding "
                                         r"model.safetensors, best/ or checkpoint/"):
        checkpoint.load(tmp_path)
    (saved / "vocab.json").unlink()
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a file vocab.json in .*, got no such file"):
        checkpoint.load(saved)


def test_missing_training_files(saved):
    (saved / "optimizer.safetensors").unlink()
    checkpoint.load(saved)                                     # enough to use the model
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a file optimizer.safetensors"):
        checkpoint.load(saved, training=True)


def test_corrupt_safetensors(saved):
    (saved / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a valid safetensors file at "
                                         r"'.*model.safetensors', got a corrupt file"):
        checkpoint.load(saved)
    data = safetensors.torch.save(_model().state_dict())
    (saved / "model.safetensors").write_bytes(data[: len(data) // 2])    # truncated
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a valid safetensors file"):
        checkpoint.load(saved)


def test_corrupt_json(saved):
    (saved / "config.json").write_text("{oops")
    with pytest.raises(ElmanError, match=r"^checkpoint: expected valid JSON in '.*config.json', "
                                         r"got JSONDecodeError"):
        checkpoint.load(saved)


def test_shapes_not_matching_the_config(saved):
    config = json.loads((saved / "config.json").read_text())
    config["arguments"]["hidden_sizes"] = [9]
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(ElmanError, match=r"^checkpoint: expected rnn.layers.0.W_F of shape "
                                         r"\(27, 4\) \(from config.json\), got shape \(24, 4\)"):
        checkpoint.load(saved)


def test_tensor_names_not_matching_the_config(saved):
    config = json.loads((saved / "config.json").read_text())
    config["arguments"]["hidden_sizes"] = [8, 8]
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(ElmanError, match=r"^checkpoint: expected the tensors of language_model "
                                         r"in .*, got missing \['rnn.layers.1"):
        checkpoint.load(saved)


def test_bad_architecture_and_vocab(saved):
    config = json.loads((saved / "config.json").read_text())
    (saved / "config.json").write_text(json.dumps({**config, "architecture": "transformer"}))
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a config.json that builds a "
                                         r"model, got architecture: expected one of"):
        checkpoint.load(saved)
    (saved / "config.json").write_text(json.dumps(config))
    (saved / "vocab.json").write_text(json.dumps(Vocab.build("abcdefg").to_dict()))
    with pytest.raises(ElmanError, match=r"^checkpoint: expected a vocabulary of 5 tokens in "
                                         r"vocab.json, got 8 tokens"):
        checkpoint.load(saved)
