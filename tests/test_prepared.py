"""Prepared corpora (``elman prepare``, ``elman.data.prepared``): the ids and vocabulary are
those of the text read whole, in chunks of any size; a Stream answers as the tensor of ids
would; training on a prepared folder is training on its text file, step for step."""

import json

import numpy as np
import pytest
import torch

from elman.cli import main
from elman.data import prepared
from elman.data.batching import StreamBatches
from elman.data.prepared import Stream, open_prepared, split_stream
from elman.data.text import split_blocks
from elman.data.tokenizers import Pieces
from elman.data.vocab import Vocab
from elman.errors import ElmanError
from elman.io.prepare import prepare
from elman.tasks.lm import token_text
from elman.training import resolve
from elman.training.trainer import resume_config, train

TEXT = "\ufeff" + ("The cat sat on the mat.\nCafé au lait, s'il vous plaît — ΣΊΣΥΦΟΣ.\n"
                   "Don't stop\tthe 42 dogs!  \n") * 30


def quiet(*args):
    pass


@pytest.fixture
def corpus(tmp_path):
    p = tmp_path / "text.txt"
    p.write_text(TEXT, encoding="utf-8")
    return p


def ids_of(folder) -> list[int]:
    return open_prepared(folder).tokens.tolist()


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("lowercase", [False, True])
def test_chunks_of_any_size_are_the_text(corpus, size, lowercase):
    text = TEXT.removeprefix("\ufeff")
    assert "".join(prepared.chunks([corpus], lowercase, size)) == \
        (text.lower() if lowercase else text)


@pytest.mark.parametrize("lowercase", [False, True])
def test_characters_are_the_vocabulary_and_ids_of_the_whole_text(corpus, tmp_path,
                                                                 monkeypatch, lowercase):
    monkeypatch.setattr(prepared, "CHUNK", 13)               # many chunks
    header = prepare(str(corpus), tmp_path / "p", lowercase=lowercase, log=quiet)
    text = token_text(TEXT.removeprefix("\ufeff"), "char", lowercase)
    vocab = Vocab.build(text, "char")
    assert open_prepared(tmp_path / "p").vocab == vocab
    assert ids_of(tmp_path / "p") == vocab.encode(text)
    assert header["count"] == len(text) and header["dtype"] == "uint8"


@pytest.mark.parametrize("lowercase, min_count", [(False, 1), (True, 2)])
def test_words_are_the_vocabulary_and_ids_of_the_whole_text(corpus, tmp_path, monkeypatch,
                                                            lowercase, min_count):
    monkeypatch.setattr(prepared, "CHUNK", 17)
    prepare(str(corpus), tmp_path / "p", level="word", lowercase=lowercase,
            min_count=min_count, log=quiet)
    text = token_text(TEXT.removeprefix("\ufeff"), "word", lowercase)
    vocab = Vocab.build(text, "word", min_count=min_count)
    assert open_prepared(tmp_path / "p").vocab == vocab
    assert ids_of(tmp_path / "p") == vocab.encode(text)


@pytest.mark.parametrize("lowercase", [False, True])
def test_subwords_are_the_pieces_and_ids_of_the_whole_text(corpus, tmp_path, monkeypatch,
                                                           lowercase):
    monkeypatch.setattr(prepared, "CHUNK", 11)              # chunks cut inside lines
    header = prepare(str(corpus), tmp_path / "p", level="subword", lowercase=lowercase,
                     subwords=60, log=quiet)
    folder = open_prepared(tmp_path / "p")
    pieces = Pieces(folder.spm, lowercase)
    text = TEXT.removeprefix("\ufeff")
    assert folder.vocab == Vocab.of_pieces(pieces) and header["subwords"] == 60
    assert ids_of(tmp_path / "p") == pieces.ids(text)
    assert pieces.text([folder.vocab.tokens[i] for i in ids_of(tmp_path / "p")]) == \
        (text.lower() if lowercase else text)


def test_the_dtype_is_the_smallest_that_holds_the_vocabulary(tmp_path):
    assert [prepared.dtype_for(n) for n in (1, 256, 257, 65536, 65537)] == \
        ["uint8", "uint8", "uint16", "uint16", "uint32"]
    p = tmp_path / "many.txt"
    p.write_text(" ".join(f"w{i}" for i in range(300)), encoding="utf-8")
    header = prepare(str(p), tmp_path / "p", level="word", log=quiet)
    assert header["dtype"] == "uint16"
    assert open_prepared(tmp_path / "p").vocab.decode(ids_of(tmp_path / "p")) == \
        " ".join(f"w{i}" for i in range(300))


def test_a_glob_reads_its_files_in_order_a_newline_between(tmp_path):
    for name, text in (("b.txt", "bb"), ("a.txt", "aa\n"), ("c.md", "not me")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    header = prepare(str(tmp_path / "*.txt"), tmp_path / "p", log=quiet)
    vocab = open_prepared(tmp_path / "p").vocab
    assert vocab.decode(ids_of(tmp_path / "p")) == "aa\n\nbb"
    assert [p.rsplit("/", 1)[1] for p in header["sources"]] == ["a.txt", "b.txt"]


@pytest.fixture
def stream(corpus, tmp_path) -> tuple[Stream, torch.Tensor]:
    prepare(str(corpus), tmp_path / "p", log=quiet)
    s = open_prepared(tmp_path / "p").stream()
    return s, torch.tensor(ids_of(tmp_path / "p"))


def test_a_stream_answers_as_its_tensor(stream):
    s, ids = stream
    assert len(s) == len(ids) and torch.equal(s[5:40][3:9][np.arange(6)], ids[8:14])
    span = torch.tensor([[0, 1, 2], [100, 101, 102]])
    assert torch.equal(s[span], ids[span])
    B = 4
    rows, want = s[:len(s) // B * B].view(B, -1), ids[:len(ids) // B * B].view(B, -1)
    assert rows.shape == tuple(want.shape) and torch.equal(rows[:, 10:30], want[:, 10:30])
    with pytest.raises(ElmanError, match="positions: expected rows of consecutive"):
        s[torch.tensor([[0, 2]])]


@pytest.mark.parametrize("fraction, blocks", [(0.0, 50), (0.1, 50), (0.2, 7), (0.1, 1)])
def test_a_stream_splits_as_split_blocks(stream, fraction, blocks):
    s, ids = stream
    train, valid = split_stream(s, fraction, 3, blocks)
    want_train, want_valid = split_blocks(ids, fraction, 3, blocks)
    assert torch.equal(train[np.arange(len(train))], want_train)
    assert len(valid) == len(want_valid)
    if len(valid):
        assert torch.equal(valid[np.arange(len(valid))], want_valid)


@pytest.mark.parametrize("bptt, shuffle", [("truncated", True), ("truncated", False),
                                           ("full", True)])
def test_stream_batches_are_the_tensors(stream, bptt, shuffle):
    s, ids = stream
    train, _ = split_stream(s, 0.1, 0, 50)
    want, _ = split_blocks(ids, 0.1, 0, 50)
    a = StreamBatches(train, 4, 16, bptt, seed=2, shuffle=shuffle)
    b = StreamBatches(want, 4, 16, bptt, seed=2, shuffle=shuffle)
    assert len(a) == len(b)
    for epoch in (0, 1):
        for x, y in zip(a.epoch(epoch), b.epoch(epoch), strict=True):
            assert torch.equal(x.x, y.x) and torch.equal(x.y, y.y) and x.carry == y.carry


def config(data, out, **kw):
    return resolve(None, {**dict(task="lm", data=str(data), out=str(out), hidden_sizes=8,
                                 embed_dim=4, batch_size=4, seq_len=16, dropout=0.0,
                                 max_steps=6, eval_every=2, max_minutes=None, sample_length=0,
                                 quiet=True, tensorboard=False), **kw})


def metrics(run) -> list[dict]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if k not in ("tokens_per_s", "elapsed")} for r in rows]


@pytest.mark.parametrize("level", ["char", "word", "subword"])
def test_training_on_the_folder_is_training_on_the_file(corpus, tmp_path, level):
    prepare(str(corpus), tmp_path / "p", level=level, subwords=60, log=quiet)
    a = train(config(corpus, tmp_path / "a", level=level, subwords=60), log=quiet)
    b = train(config(tmp_path / "p", tmp_path / "b", level=level, subwords=60), log=quiet)
    assert metrics(a.run) == metrics(b.run) and b.task.vocab == a.task.vocab
    assert b.valid == pytest.approx(a.valid)


def test_a_prepared_run_resumes_as_one_run(corpus, tmp_path):
    prepare(str(corpus), tmp_path / "p", log=quiet)
    whole = train(config(tmp_path / "p", tmp_path / "whole"), log=quiet).run
    run = train(config(tmp_path / "p", tmp_path / "r", max_steps=4), log=quiet).run
    train(resume_config(run, {"max_steps": 6}), resume=run, log=quiet)
    assert metrics(run) == metrics(whole)


def test_the_command_line_prepares_trains_and_evaluates(corpus, tmp_path, capsys):
    folder, run = tmp_path / "p", tmp_path / "run"
    assert main(["prepare", "--data", str(corpus), "--out", str(folder), "--level", "word",
                 "--lowercase", "true"]) == 0
    assert f"elman train --data {folder} --level word" in capsys.readouterr().out
    argv = ["--data", str(folder), "--level", "word", "--lowercase", "true", "--max-steps",
            "2", "--eval-every", "2", "--hidden-sizes", "4", "--sample-length", "0",
            "--tensorboard", "false", "--quiet", "--batch-size", "4", "--seq-len", "8"]
    assert main(["train", "--task", "lm", "--out", str(run), *argv]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--data", str(folder), "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["split"] == "file" and scored["tokens"] > 0


def test_the_command_line_prepares_subwords_trains_evaluates_and_generates(corpus, tmp_path,
                                                                          capsys):
    folder, run = tmp_path / "p", tmp_path / "run"
    assert main(["prepare", "--data", str(corpus), "--out", str(folder), "--level",
                 "subword", "--subwords", "50"]) == 0
    assert f"--data {folder} --level subword --subwords 50" in capsys.readouterr().out
    argv = ["--data", str(folder), "--level", "subword", "--subwords", "50", "--max-steps",
            "30", "--eval-every", "30", "--hidden-sizes", "16", "--sample-length", "0",
            "--tensorboard", "false", "--quiet", "--batch-size", "4", "--seq-len", "8"]
    assert main(["train", "--task", "lm", "--out", str(run), *argv]) == 0
    capsys.readouterr()
    scored = []
    for data in (corpus, folder):                    # the file is read as it was prepared
        assert main(["eval", str(run), "--data", str(data), "--json"]) == 0
        scored.append(json.loads(capsys.readouterr().out))
    assert scored[0]["loss"] == pytest.approx(scored[1]["loss"]) and scored[0]["tokens"] > 0
    assert main(["generate", str(run), "--prompt", "The cat", "--length", "40",
                 "--seed", "1"]) == 0
    out = capsys.readouterr().out
    pieces = Pieces(open_prepared(folder).spm)       # the text is its pieces decoded
    assert out.startswith("The cat") and out.endswith("\n")
    assert "▁" not in out and pieces.text(pieces.tokens(out[:-1])) == out[:-1]


def test_a_folder_of_other_options_or_format_is_refused(corpus, tmp_path):
    prepare(str(corpus), tmp_path / "p", log=quiet)
    with pytest.raises(ElmanError, match=r"^data: expected a folder prepared with the run's "
                       r"level 'word'.*got level 'char'"):
        train(config(tmp_path / "p", tmp_path / "r", level="word"), log=quiet)
    prepare(str(corpus), tmp_path / "s", level="subword", subwords=60, log=quiet)
    with pytest.raises(ElmanError, match=r"^data: expected a folder prepared with the run's "
                       r"subwords 70 \(elman prepare --subwords 70.*got subwords 60"):
        train(config(tmp_path / "s", tmp_path / "r", level="subword", subwords=70), log=quiet)
    (tmp_path / "s" / "spm.model").unlink()
    with pytest.raises(ElmanError, match=r"^data: expected a prepared folder of subwords "
                       r"holding spm.model \(elman prepare\), got .* without it$"):
        open_prepared(tmp_path / "s")
    header = json.loads((tmp_path / "p" / "prepared.json").read_text())
    (tmp_path / "p" / "prepared.json").write_text(json.dumps({**header, "format": 2}))
    with pytest.raises(ElmanError, match="data: expected a prepared folder of format 1 .*, "
                       "got format 2 .*written by a newer elman"):
        open_prepared(tmp_path / "p")
