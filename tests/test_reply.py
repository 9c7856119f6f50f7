"""The reply task: the chatterbot-corpus reader, the dual encoder, the in-batch loss against a
hand computation, recall@k and the random baseline against enumeration, the diversity rule,
the TF-IDF baseline, a tiny overfit through the CLI (train, eval, reply, export) and the
errors."""

import itertools
import json
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from elman import retrieval
from elman.cli import load_run, main
from elman.data import dialogue
from elman.data.dialogue import ReplyExample, collate_replies, corpus_pairs
from elman.errors import ElmanError
from elman.models import DualEncoder, build
from elman.tasks.reply import batch_loss, one_line

TINY = ["--hidden-sizes", "32", "--embed-dim", "16", "--space-dim", "16", "--quiet"]
PAIRS = [("hello there", "hi , how are you ?"), ("what is your name ?", "my name is elman"),
         ("are you coming tonight ?", "yes , see you at eight"),
         ("do you like music ?", "i love jazz"), ("where do you live ?", "in a computer"),
         ("thank you", "you are welcome"), ("good night", "sleep well"),
         ("how old are you ?", "i was made this year")]


def model(**kw) -> DualEncoder:
    torch.manual_seed(0)
    return DualEncoder(8, [12], 6, "gru", vocab_size=20, **kw)


# --- data ------------------------------------------------------------------------------------

def test_consecutive_turns_of_every_file_are_pairs_in_file_order(tmp_path, monkeypatch):
    english = tmp_path / "data" / "english"
    english.mkdir(parents=True)
    (english / "b.yml").write_text("conversations:\n- - Hi\n  - Hello\n  - How are you?\n"
                                   "- - ''\n  - skipped\n", encoding="utf-8")
    (english / "a.yml").write_text("categories: [x]\nconversations:\n- - 42\n  - a number\n",
                                   encoding="utf-8")
    (english / "notes.txt").write_text("not yaml: [", encoding="utf-8")
    monkeypatch.setattr(dialogue, "resources", SimpleNamespace(files=lambda name: tmp_path))
    rows, digest = corpus_pairs()
    assert [(r.source, r.target, r.line) for r in rows] == [
        ("42", "a number", 1), ("Hi", "Hello", 2), ("Hello", "How are you?", 3)]
    assert len(digest) == 64


def test_the_real_corpus_has_its_greetings():
    rows, _ = corpus_pairs()
    pairs = {(r.source, r.target) for r in rows}
    assert len(rows) > 2000 and ("Hi, How is it going?", "Good") in pairs


def test_a_batch_marks_the_replies_that_are_not_negatives():
    examples = [ReplyExample([1, 2], [3], 0, 0), ReplyExample([4], [5, 6], 1, 0),
                ReplyExample([7], [3], 0, 1), ReplyExample([8, 9, 9], [1], 2, 2)]
    batch = collate_replies(examples)
    x = batch.x
    assert x.message.ids.tolist() == [[1, 2, 0], [4, 0, 0], [7, 0, 0], [8, 9, 9]]
    assert x.reply.lengths.tolist() == [1, 2, 1, 1] and batch.y.tolist() == [0, 1, 0, 2]
    assert x.same.tolist() == [[False, True, True, False], [True, False, False, False],
                               [True, False, False, False], [False, False, False, False]]


# --- model and loss --------------------------------------------------------------------------

def test_scores_are_dot_products_of_the_two_encoders_vectors():
    m = model().eval()
    ids, lengths = torch.randint(1, 20, (3, 5)), torch.tensor([5, 2, 4])
    rids, rlengths = torch.randint(1, 20, (4, 6)), torch.tensor([1, 6, 3, 2])
    scores = m(ids, lengths, rids, rlengths)
    assert scores.shape == (3, 4)
    u, v = m.message(ids, lengths), m.reply(rids, rlengths)
    torch.testing.assert_close(scores, u @ v.T)
    assert not torch.allclose(m.encode_messages(rids, rlengths), v)   # two encoders


def test_a_shared_encoder_reads_both_sides_and_rebuilds_from_its_config():
    m = model(shared=True).eval()
    assert all(k.startswith("message.") for k in m.state_dict())
    ids, lengths = torch.randint(1, 20, (2, 4)), torch.tensor([4, 3])
    torch.testing.assert_close(m.encode_replies(ids, lengths), m.encode_messages(ids, lengths))
    again = build("dual_encoder", m.config)
    again.load_state_dict(m.state_dict())
    torch.testing.assert_close(again.eval()(ids, lengths, ids, lengths), m(ids, lengths, ids,
                                                                            lengths))


def test_the_loss_is_the_softmax_over_the_batch_without_the_marked_replies():
    m = model().eval()
    examples = [ReplyExample([1, 2], [3], 0, 0), ReplyExample([4], [5, 6], 1, 0),
                ReplyExample([7], [3], 0, 1), ReplyExample([8, 9, 9], [1], 2, 2)]
    x = collate_replies(examples).x
    s = m(x.message.ids, x.message.lengths, x.reply.ids, x.reply.lengths).detach().numpy()
    keep = [sorted({i, *[j for j in range(4) if not x.same[i, j]]}) for i in range(4)]
    want = np.mean([-s[i, i] + math.log(sum(math.exp(s[i, j]) for j in keep[i]))
                    for i in range(4)])
    assert float(batch_loss(m, x, "mean").detach()) == pytest.approx(want, rel=1e-5)
    assert keep[0] == [0, 3] and keep[3] == [0, 1, 2, 3]   # 1 shares 0's message, 2 its reply


# --- ranking ---------------------------------------------------------------------------------

def test_recall_at_k_by_hand():
    scores = np.array([[0.1, 0.9, 0.5, 0.2], [0.3, 0.3, 0.0, 0.1], [0.0, 0.1, 0.2, 0.3]])
    gold = [{2}, {1}, {0, 3}]
    assert retrieval.recall_at(scores, gold, (1, 2, 3)) == {1: 1 / 3, 2: 1.0, 3: 1.0}
    assert retrieval.top(scores, 2).tolist() == [[1, 2], [0, 1], [3, 2]]     # ties by index


@pytest.mark.parametrize("n,golds,k", [(5, 1, 1), (5, 2, 2), (6, 3, 3), (4, 1, 4), (2, 1, 3)])
def test_random_recall_equals_the_average_over_every_ranking(n, golds, k):
    gold = set(range(golds))
    hits = [bool(gold & set(p[:k])) for p in itertools.permutations(range(n))]
    assert retrieval.random_recall(n, [gold], (k,))[k] == pytest.approx(np.mean(hits))


def test_the_diversity_rule_skips_a_paraphrase_of_a_chosen_reply():
    vectors = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.7, 0.7]])
    scores = np.array([4.0, 3.0, 1.0, 2.0])
    assert retrieval.diverse(scores, vectors, 3, 1.0) == [0, 1, 3]
    assert retrieval.diverse(scores, vectors, 3, 0.9) == [0, 3, 2]   # cos(0, 1) = 0.995
    assert retrieval.diverse(scores, vectors, 3, 0.5) == [0, 2]      # no third is far enough


def test_the_tfidf_baseline_answers_with_the_nearest_messages_reply():
    messages = ["what is ai", "hello there", "hello friend", "what is a computer"]
    replies = [0, 1, 1, 2]
    scores = retrieval.tfidf_scores(messages, replies, ["what is ai ?", "hi friend", "zzz"], 4,
                                    str.split)
    assert retrieval.top(scores, 2).tolist() == [[0, 2], [1, 0], [1, 0]]
    assert scores[0, 3] == 0                 # no training message has reply 3


# --- the task through the CLI ----------------------------------------------------------------

@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reply")
    data = tmp / "pairs.tsv"
    data.write_text("".join(f"{m}\t{r}\n" for m, r in PAIRS), encoding="utf-8")
    out = tmp / "run"
    assert main(["train", "--task", "reply", "--data", str(data), "--valid", str(data),
                 "--out", str(out), "--batch-size", "8", "--max-steps", "120", "--eval-every",
                 "40", "--lr", "0.01", "--dropout", "0", "--cell", "gru", *TINY]) == 0
    return out, data


def test_a_tiny_run_overfits_and_eval_reports_recall_and_baselines(run, capsys):
    out, data = run
    capsys.readouterr()
    assert main(["eval", str(out), "--data", str(data), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["recall@1"] == 1.0 and m["messages"] == 8 and m["candidates"] == 8
    assert m["baselines"]["random"] == {"recall@1": 1 / 8, "recall@3": 3 / 8}
    assert m["baselines"]["tfidf"]["recall@1"] == 1.0      # the held-out messages are trained
    assert main(["eval", str(out)]) == 0
    assert "recall@1 100.00%" in capsys.readouterr().out


def test_elman_reply_suggests_the_trained_reply_first(run, capsys):
    out, _ = run
    capsys.readouterr()
    assert main(["reply", str(out), "are you coming tonight ?"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "yes , see you at eight" and len(lines) == 3 == len(set(lines))
    assert main(["reply", str(out), "thank you", "--k", "2", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["message"] == "thank you" and len(found["replies"]) == 2
    assert found["replies"][0]["text"] == "you are welcome"
    assert found["replies"][0]["score"] > found["replies"][1]["score"]


def test_a_reply_of_several_lines_prints_as_one():
    assert one_line("Here's one:\r\n\ndef f():\n    return 1") == \
        "Here's one:\\n\\ndef f():\\n    return 1"


def test_predict_answers_each_message_as_alone_and_the_rule_can_cut_the_list(run):
    out, _ = run
    r, task = load_run(out)
    both = task.predict([r.model], ["good night", "hello there"])
    alone = task.predict([r.model], ["hello there"])
    assert [t["text"] for t in both[1]["replies"]] == [t["text"] for t in alone[0]["replies"]]
    assert [t["score"] for t in both[1]["replies"]] == \
        pytest.approx([t["score"] for t in alone[0]["replies"]], rel=1e-5)
    assert both[0]["replies"][0]["text"] == "sleep well"
    free = task.predict([r.model], ["good night"], k=8, diversity=1.0)[0]["replies"]
    strict = task.predict([r.model], ["good night"], k=8, diversity=0.0)[0]["replies"]
    assert len(free) == 8 and len(strict) < 8 and strict[0] == free[0]


def test_the_onnx_export_encodes_as_the_model_does(run, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    out, _ = run
    assert main(["export", str(out), "--out", str(tmp_path / "e")]) == 0
    r, task = load_run(out)
    ids = torch.tensor([task.ids("thank you") + [0], task.ids("what is your name ?")[:3]])
    lengths = torch.tensor([2, 3])
    for side, encode in (("message", r.model.encode_messages), ("reply", r.model.encode_replies)):
        session = ort.InferenceSession(str(tmp_path / "e" / f"{side}.onnx"))
        got = session.run(None, {"ids": ids.numpy(), "lengths": lengths.numpy()})[0]
        np.testing.assert_allclose(got, encode(ids, lengths).detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("argv,message", [
    (["''"], "text: expected a message with some words, got an empty one at <text>:1"),
    (["hi", "--k", "0"], "k: expected an integer >= 1, got 0"),
    (["hi", "--diversity", "2"], "diversity: expected a number in [0, 1], got 2"),
    ([], "input: expected either a text argument or --input FILE, got neither"),
])
def test_reply_refuses_bad_input(run, argv, message):
    r, task = load_run(run[0])
    args = SimpleNamespace(text=None, input=None, k=None, diversity=None, json=False,
                           output=None, generate=False, beam=None, length_penalty=None)
    if argv:
        args.text = "" if argv[0] == "''" else argv[0]
        for flag, value in zip(argv[1::2], argv[2::2]):
            setattr(args, flag.lstrip("-"), value)
    with pytest.raises(ElmanError, match="^" + re.escape(message)):
        task.cmd_reply(r, args)


def test_predict_refuses_what_a_program_may_pass(run):
    r, task = load_run(run[0])
    with pytest.raises(ElmanError, match="^inputs: expected a list of messages, got one str"):
        task.predict([r.model], "hi")
    with pytest.raises(ElmanError, match="^models: expected one model"):
        task.predict([r.model, r.model], ["hi"])
    with pytest.raises(ElmanError, match="^input: expected a message .a string., got int"):
        task.predict([r.model], [3])


def test_elman_serve_answers_the_reply_route(run):
    pytest.importorskip("fastapi")
    from test_serve import Server  # uvicorn on a free loopback port

    from elman.serve.app import Served, build_app
    r, task = load_run(run[0])
    with Server(build_app([Served("bot", r, task)])) as client:
        got = client.post("/v1/bot/reply", json={"inputs": ["good night", "thank you"],
                                                 "k": 2}).json()
        assert [o["replies"][0]["text"] for o in got["outputs"]] == ["sleep well",
                                                                      "you are welcome"]
        assert all(len(o["replies"]) == 2 for o in got["outputs"])
        bad = client.post("/v1/bot/reply", json={"inputs": ["hi"], "diversity": 3})
        assert bad.status_code == 422 and bad.json()["field"] == "diversity"
