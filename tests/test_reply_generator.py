"""The reply task's generator: the dual encoder's optional encoder-decoder (shapes, config
round trip, configs written before it), its vocabulary and loss against a hand-built
teacher-forced batch, a tiny overfit through the CLI (train, reply --generate, eval's BLEU,
export, serve), run folders written before the option, and the errors."""

import json
import re
import shutil

import pytest
import torch
import torch.nn.functional as F
from test_reply import PAIRS, TINY

from elman.cli import load_run, main
from elman.data.dialogue import ReplyExample, collate_replies
from elman.data.vocab import Vocab
from elman.errors import ElmanError
from elman.models import DualEncoder, EncoderDecoder, build
from elman.tasks.reply_generator import Generator

VOCAB = Vocab(["<unk>", "a", "b", "c", "d"], "word", "<unk>")


def generator() -> Generator:
    return Generator.of(VOCAB, [["a", "b"], ["c", "d", "a"]])


def arguments(**kw) -> dict:
    return generator().arguments(embed_dim=6, hidden_sizes=[10], cell="gru",
                                 activation="tanh", bidirectional=False, dropout=0.0,
                                 attention="none", **kw)


def dual(**kw) -> DualEncoder:
    torch.manual_seed(0)
    return DualEncoder(8, [12], 6, "gru", vocab_size=len(VOCAB), **kw)


# --- model, vocabulary and loss --------------------------------------------------------------

def test_the_target_vocabulary_is_the_tasks_words_then_bos_and_eos():
    g = generator()
    assert g.target.tokens == VOCAB.tokens + ["<s>", "</s>"]
    assert (g.bos, g.eos, g.words, g.longest) == (5, 6, 5, 3)
    args = arguments()
    assert (args["src_vocab"], args["tgt_vocab"]) == (5, 7)


def test_a_dual_encoder_holds_a_generator_that_rebuilds_from_its_config():
    m = dual(generator=arguments()).eval()
    assert isinstance(m.generator, EncoderDecoder)
    src, tgt = torch.randint(0, 5, (3, 4)), torch.randint(0, 7, (3, 5))
    logits = m.generator(src, tgt, torch.tensor([4, 2, 3]), torch.tensor([5, 5, 1]))
    assert logits.shape == (3, 5, 7)
    again = build("dual_encoder", m.config)
    again.load_state_dict(m.state_dict())
    torch.testing.assert_close(again.eval().generator(src, tgt), m.generator(src, tgt))


def test_a_config_written_before_the_generator_builds_a_dual_encoder_without_one():
    m = dual()
    assert "generator" not in m.config             # as a config written before it
    again = build("dual_encoder", {**m.config, "generator": None})
    assert not hasattr(again, "generator")
    assert set(again.state_dict()) == set(m.state_dict())
    assert not any(k.startswith("generator.") for k in m.state_dict())


def test_the_loss_is_cross_entropy_of_each_reply_then_eos_after_bos():
    g = generator()
    m = dual(generator=arguments()).eval()
    examples = [ReplyExample([1, 2], [3], 0, 0), ReplyExample([4], [2, 1, 3], 1, 1)]
    x = collate_replies(examples).x
    logits = m.generator(torch.tensor([[1, 2], [4, 0]]), torch.tensor([[5, 3, 0, 0],
                                                                       [5, 2, 1, 3]]),
                         torch.tensor([2, 1]), torch.tensor([2, 4]))         # (2, 4, 7)
    rows = [logits[0, 0], logits[0, 1], logits[1, 0], logits[1, 1], logits[1, 2],
            logits[1, 3]]
    want = F.cross_entropy(torch.stack(rows), torch.tensor([3, 6, 2, 1, 3, 6]))
    torch.testing.assert_close(g.loss(m.generator, x), want)
    torch.testing.assert_close(g.loss(m.generator, x, reduction="sum"), 6 * want)


def test_max_words_trains_on_the_short_replies_only_and_caps_the_written_ones():
    m = dual(generator=arguments()).eval()
    short = [ReplyExample([1, 2], [3], 0, 0), ReplyExample([4], [2, 1], 1, 1)]
    long = ReplyExample([3, 3], [1, 2, 3, 4], 2, 2)
    capped = Generator.of(VOCAB, [["a", "b"], ["c", "d", "a"]], max_words=2)
    assert capped.longest == 2 and Generator.of(VOCAB, [["a"]], max_words=2).longest == 1
    x = collate_replies([short[0], long, short[1]]).x
    torch.testing.assert_close(capped.loss(m.generator, x),
                               generator().loss(m.generator, collate_replies(short).x))
    assert capped.tokens(x) == 5 and generator().tokens(x) == 10
    assert float(capped.loss(m.generator, collate_replies([long]).x)) == 0.0


# --- the task through the CLI ----------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(a run with a generator trained to memorise PAIRS, one without, the pairs file)."""
    tmp = tmp_path_factory.mktemp("reply-generator")
    data = tmp / "pairs.tsv"
    data.write_text("".join(f"{m}\t{r}\n" for m, r in PAIRS), encoding="utf-8")
    common = ["train", "--task", "reply", "--data", str(data), "--valid", str(data),
              "--batch-size", "8", "--lr", "0.01", "--dropout", "0", "--cell", "gru", *TINY]
    assert main([*common, "--out", str(tmp / "gen"), "--generator", "true", "--max-steps",
                 "100", "--eval-every", "100"]) == 0
    assert main([*common, "--out", str(tmp / "plain"), "--max-steps", "1"]) == 0
    return tmp / "gen", tmp / "plain", data


def words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def test_the_generator_writes_the_trained_replies(runs, capsys):
    gen, _, _ = runs
    capsys.readouterr()
    assert main(["reply", str(gen), "are you coming tonight ?", "--generate"]) == 0
    assert capsys.readouterr().out == "yes, see you at eight\n"
    r, task = load_run(gen)
    found = task.predict([r.model], [m for m, _ in PAIRS], generate=True, beam=3)
    assert [words(f["generated"]) for f in found] == [words(t) for _, t in PAIRS]
    assert all(len(f["replies"]) == 3 for f in found)
    assert task.predict([r.model], [], generate=True) == []


def test_reply_json_gives_the_suggestions_and_the_generated_reply(runs, capsys):
    gen, _, _ = runs
    capsys.readouterr()
    assert main(["reply", str(gen), "thank you", "--generate", "--json", "--k", "2"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["generated"] == "you are welcome"
    assert [t["text"] for t in found["replies"]][0] == "you are welcome"
    assert main(["reply", str(gen), "thank you"]) == 0           # suggestions, as before
    assert capsys.readouterr().out.splitlines()[0] == "you are welcome"


def test_eval_reports_the_bleu_of_the_generated_and_best_suggested_replies(runs, capsys):
    gen, _, data = runs
    capsys.readouterr()
    assert main(["eval", str(gen), "--data", str(data), "--json", "--beam", "2"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["bleu"] == pytest.approx(100) and m["chrf"] == pytest.approx(100)
    assert m["decoding"] == "beam 2, length penalty 1"
    assert m["baselines"]["best_suggestion"]["bleu"] == pytest.approx(100)
    assert m["loss"] == pytest.approx(m["selection_loss"] + m["generator_loss"])
    assert main(["eval", str(gen)]) == 0
    assert "generated replies: BLEU 100.00" in capsys.readouterr().out


def test_the_exported_generator_encodes_as_the_model(runs, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    gen, _, _ = runs
    assert main(["export", str(gen), "--out", str(tmp_path / "e")]) == 0
    r, task = load_run(gen)
    ids = torch.tensor([task.ids("thank you")])
    session = ort.InferenceSession(str(tmp_path / "e" / "generator_encoder.onnx"))
    h = session.run(None, {"src": ids.numpy(), "src_lengths": torch.tensor([2]).numpy()})[0]
    want = r.model.generator.eval().encode(ids, torch.tensor([2]))[0]
    torch.testing.assert_close(torch.from_numpy(h)[0], want.detach(), atol=1e-5, rtol=1e-5)


def test_a_run_folder_written_before_the_generator_loads_and_replies(runs, tmp_path, capsys):
    _, plain, _ = runs
    old = tmp_path / "old"
    shutil.copytree(plain, old)
    for config in old.glob("**/config.json"):
        d = json.loads(config.read_text(encoding="utf-8"))
        d.get("arguments", {}).pop("generator", None)
        for key in ("generator", "generator_attention", "generator_max_words"):
            d["task"].pop(key)
        config.write_text(json.dumps(d), encoding="utf-8")
    r, task = load_run(old)
    assert task.options.generator is False and not hasattr(r.model, "generator")
    capsys.readouterr()
    assert main(["reply", str(old), "thank you", "--k", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_serve_answers_generated_replies_and_refuses_them_without_a_generator(runs):
    pytest.importorskip("fastapi")
    from test_serve import Server  # uvicorn on a free loopback port

    from elman.serve.app import Served, build_app
    (r, task), (p, plain) = load_run(runs[0]), load_run(runs[1])
    with Server(build_app([Served("gen", r, task), Served("plain", p, plain)])) as client:
        got = client.post("/v1/gen/reply", json={"inputs": ["good night"], "generate": True,
                                                 "beam": 2}).json()
        assert got["outputs"][0]["generated"] == "sleep well"
        assert "generated" not in client.post("/v1/gen/reply", json={
            "inputs": ["good night"]}).json()["outputs"][0]
        bad = client.post("/v1/plain/reply", json={"inputs": ["hi"], "generate": True})
        assert bad.status_code == 422 and bad.json() == {
            "error": "generate: expected a run trained with --generator true, got a run "
                     "without a generator", "field": "generate"}
        bad = client.post("/v1/gen/reply", json={"inputs": ["hi"], "generate": True,
                                                 "beam": 17})
        assert bad.status_code == 422 and bad.json()["field"] == "beam"


@pytest.mark.parametrize("which,argv,message", [
    ("plain", ["reply", "hi", "--generate"],
     "generate: expected a run trained with --generator true, got a run without a generator"),
    ("plain", ["reply", "hi", "--generate", "--beam", "2"],
     "beam: expected a run trained with --generator true, got a run without a generator"),
    ("plain", ["eval", "--beam", "2"],
     "beam: expected a run trained with --generator true, got a run without a generator"),
    ("gen", ["reply", "hi", "--beam", "2"],
     "beam: expected --generate with --beam (it sets how the reply is generated), got '2'"),
    ("gen", ["reply", "hi", "--length-penalty", "0.5"], "length_penalty: expected "
     "--generate with --length-penalty (it sets how the reply is generated), got '0.5'"),
    ("gen", ["reply", "hi", "--generate", "--beam", "0"],
     "beam: expected an integer >= 1, got 0"),
    ("gen", ["eval", "--length-penalty", "-1"],
     "length_penalty: expected a number >= 0, got -1.0"),
])
def test_the_cli_refuses_bad_generation_flags(runs, capsys, which, argv, message):
    run = runs[0] if which == "gen" else runs[1]
    capsys.readouterr()
    assert main([argv[0], str(run), *argv[1:]]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"elman: error: {message}\n"


def test_predict_refuses_to_generate_without_a_generator(runs):
    r, task = load_run(runs[1])
    with pytest.raises(ElmanError, match="^generate: expected a run trained with --generator "
                       "true, got a run without a generator$"):
        task.predict([r.model], ["hi"], generate=True)
    assert "generated" not in task.predict([r.model], ["hi"])[0]
