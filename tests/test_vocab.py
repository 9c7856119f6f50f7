"""Vocabulary, text reading, the train/valid split and stream batching."""

import json

import pytest
import torch

from elman import ElmanError
from elman.data import StreamBatches, Vocab, default_corpus, read_text, split_blocks
from elman.data.batching import fit

# --- vocabulary ------------------------------------------------------------------------


def test_char_vocab_round_trip_and_sorted_ids():
    v = Vocab.build("hello, world")
    assert v.tokens[0] == "\ufffd" and v.unk == "\ufffd"
    assert v.tokens[1:] == sorted(set("hello, world"))
    assert v.decode(v.encode("hello, world")) == "hello, world"
    assert Vocab.build("hello, world") == v          # same text, same ids


def test_unknown_characters_map_to_unk():
    v = Vocab.build("abc")
    assert v.encode("abz") == [1, 2, 0]
    assert v.decode(v.encode("abz")) == "ab\ufffd"
    assert v.unknown("abzyz") == ["y", "z"]


def test_vocab_without_unk_rejects_unknown_tokens():
    v = Vocab.build("abc", unk=False)
    assert len(v) == 3 and v.unk is None
    with pytest.raises(ElmanError, match=r"^text: expected tokens of the vocabulary, got 'z' at token 2"):
        v.encode("abz")


def test_word_vocab_min_count_and_max_size():
    v = Vocab.build("the cat the dog the cat a", level="word", min_count=2)
    assert v.tokens == ["<unk>", "cat", "the"]
    assert v.decode(v.encode("the dog")) == "the <unk>"
    assert Vocab.build("a a a b b c", level="word", max_size=2).tokens == ["<unk>", "a", "b"]


def test_vocab_json_round_trip():
    v = Vocab.build("héllo ☃ wörld\n\t")
    d = json.loads(json.dumps(v.to_dict(), ensure_ascii=False))
    assert Vocab.from_dict(d) == v
    assert Vocab.from_dict(d).decode(v.encode("wörld☃")) == "wörld☃"


@pytest.mark.parametrize("d, match", [
    ([1, 2], r"^vocab: expected a mapping with 'level', 'tokens' and 'unk', got list"),
    ({"level": "char"}, r"^vocab: expected a mapping"),
    ({"level": "byte", "tokens": ["a"], "unk": None}, r"^vocab.level: expected one of"),
    ({"level": "char", "tokens": ["a", "a"], "unk": None}, r"^vocab.tokens: expected distinct tokens, got 'a' twice"),
    ({"level": "char", "tokens": [], "unk": None}, r"^vocab.tokens: expected a non-empty list"),
    ({"level": "char", "tokens": ["a"], "unk": "?"}, r"^vocab.unk: expected one of the tokens or None, got '\?'"),
    ({"level": "char", "tokens": "ab", "unk": None}, r"^vocab.tokens: expected a list of strings, got str"),
    ({"level": "char", "tokens": ["a"], "unk": None, "x": 1}, r"^vocab: expected only the keys"),
])
def test_vocab_from_bad_dict(d, match):
    with pytest.raises(ElmanError, match=match):
        Vocab.from_dict(d)


def test_decode_bad_id():
    with pytest.raises(ElmanError, match=r"^ids: expected ids in 0..3, got 7"):
        Vocab.build("abc").decode([7])


# --- reading text ----------------------------------------------------------------------


def test_read_text(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes("\ufeffhé\n".encode("utf-8"))
    assert read_text(p) == "hé\n"


def test_read_text_errors(tmp_path):
    with pytest.raises(ElmanError, match=r"^data: expected an existing file, got '.*nope.txt'$"):
        read_text(tmp_path / "nope.txt")
    (tmp_path / "latin1.txt").write_bytes(b"abc caf\xe9 ok")
    with pytest.raises(ElmanError, match=r"^data: expected a UTF-8 text file, got '.*latin1.txt' "
                                         r"with byte 0xe9 at offset 7"):
        read_text(tmp_path / "latin1.txt")
    (tmp_path / "empty.txt").write_bytes(b" \n")
    with pytest.raises(ElmanError, match=r"^data: expected a file with some text, got .*empty"):
        read_text(tmp_path / "empty.txt")
    with pytest.raises(ElmanError, match=r"^data: expected an existing file"):
        read_text(tmp_path)                          # a folder


def test_default_corpus_is_deterministic_and_large():
    text = default_corpus()
    assert text == default_corpus()
    assert len(text) > 200_000 and "lambda" in text


# --- split and batching ----------------------------------------------------------------


def test_split_blocks_is_contiguous_seeded_and_complete():
    ids = torch.arange(1000)
    train, valid = split_blocks(ids, 0.1, seed=3)
    assert len(valid) == 100 and len(train) == 900
    assert sorted(torch.cat([train, valid]).tolist()) == list(range(1000))
    assert (valid.diff() > 0).all() and (train.diff() > 0).all()     # stream order kept
    again = split_blocks(ids, 0.1, seed=3)[1]
    assert torch.equal(valid, again)
    assert not torch.equal(valid, split_blocks(ids, 0.1, seed=4)[1])
    assert len(split_blocks(ids, 0.0)[1]) == 0
    train, valid = split_blocks(ids, 0.1, blocks=1)                  # hold out the end
    assert torch.equal(valid, torch.arange(900, 1000)) and torch.equal(train, torch.arange(900))
    with pytest.raises(ElmanError, match=r"^valid_fraction: expected a fraction in \[0, 1\), got 1.5"):
        split_blocks(ids, 1.5)


def test_truncated_batches_continue_each_row():
    ids = torch.arange(1000)
    sb = StreamBatches(ids, 4, 10, "truncated", seed=0)
    batches = list(sb.epoch(0))
    assert len(batches) == len(sb)
    assert not batches[0].carry and all(b.carry for b in batches[1:])
    for a, b in zip(batches, batches[1:]):
        assert torch.equal(a.x[:, -1] + 1, b.x[:, 0])                # row r continues row r
    for b in batches:
        assert torch.equal(b.y, b.x + 1) and b.x.shape == (4, 10)
    assert [b.x.tolist() for b in sb.epoch(0, start=5)] == [b.x.tolist() for b in batches[5:]]


def test_full_batches_are_shuffled_windows():
    ids = torch.arange(1000)
    sb = StreamBatches(ids, 4, 10, "full", seed=0)
    e0, e1 = list(sb.epoch(0)), list(sb.epoch(1))
    assert all(not b.carry for b in e0)
    starts = torch.cat([b.x[:, 0] for b in e0])
    assert len(set(starts.tolist())) == len(starts) == sb.windows    # each window once
    assert not torch.equal(starts, torch.cat([b.x[:, 0] for b in e1]))
    for b in e0:
        assert torch.equal(b.x[:, 1:], b.x[:, :-1] + 1) and torch.equal(b.y, b.x + 1)


def test_eval_batches_cover_every_token():
    ids = torch.arange(1003)
    sb = StreamBatches(ids, 4, 10, "truncated", shuffle=False)
    ys = torch.cat([b.y for b in sb.epoch(0)], dim=1)                 # (4, C - 1)
    assert ys.numel() == 4 * (1003 // 4 - 1) == sb.tokens


def test_short_streams_shrink_batch_and_window():
    assert fit(30, 32, 64) == (1, 29)
    assert fit(1000, 32, 64) == (15, 64)
    with pytest.raises(ElmanError, match=r"^data: expected at least 2 tokens"):
        fit(1, 32, 64)
    with pytest.raises(ElmanError, match=r"^bptt: expected one of \['truncated', 'full'\]"):
        StreamBatches(torch.arange(100), 2, 5, "half")
