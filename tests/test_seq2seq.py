"""Encoder-decoders end to end: attention, teacher forcing against step-by-step decoding,
scheduled sampling, greedy and beam search (against an exhaustive search), the algorithmic
data, a sort model that overfits, translation on a tiny corpus (words and subwords), the CLI
(predict, translate, eval) and every bad-input error."""

import itertools
import json
import re
from pathlib import Path

import pytest
import torch

from elman.cli import main
from elman.data import synthetic
from elman.data.pairs import parse_pairs, short_pairs
from elman.data.tokenizers import Words
from elman.errors import ElmanError
from elman.models import EncoderDecoder, architecture_of, build
from elman.models.attention import Attention
from elman.training.config import resolve

ENG_FRA = Path(__file__).resolve().parents[2] / "shared/data/eng_fra/eng-fra.txt"
TINY = ["--embed-dim", "16", "--hidden-sizes", "32", "--dropout", "0", "--max-minutes", "none",
        "--quiet", "--lr", "0.01"]
PAIRS = ("I am cold.\tJ'ai froid.\n"
         "I am tired.\tJe suis fatigué.\n"
         "You are cold.\tTu as froid.\tCC-BY 2.0 (France) Attribution: tatoeba.org\n"
         "\n"
         "You are tired.\tTu es fatigué.\n"
         "We are cold.\tNous avons froid.\n"
         "We are tired.\tNous sommes fatigués.\n")


def model(attention="multiplicative", cell="lstm", bidirectional=True, seed=0):
    torch.manual_seed(seed)
    return EncoderDecoder(7, 6, [5, 4], input_size=3, embed_dim=3, cell=cell,
                          bidirectional=bidirectional, attention=attention).double().eval()


# --- the model ---------------------------------------------------------------------------


@pytest.mark.parametrize("attention", ["additive", "multiplicative", "scaled", "none"])
def test_teacher_forcing_equals_step_by_step_decoding(attention):
    m = model(attention)
    src, lengths = torch.randint(0, 7, (3, 5)), torch.tensor([5, 2, 3])
    tgt_in = torch.randint(0, 6, (3, 4))
    full = m(src, tgt_in, lengths)                                    # (B, T, V)
    context = m.start(src, lengths)
    for t in range(4):
        logits, context, weights = m.step(tgt_in[:, t], context)
        torch.testing.assert_close(logits, full[:, t])
        assert (weights is None) == (attention == "none")


@pytest.mark.parametrize("score", ["additive", "multiplicative", "scaled"])
def test_attention_weights_sum_to_one_and_ignore_padding(score):
    torch.manual_seed(0)
    att = Attention(score, 4, 6).double()
    query, memory = torch.randn(2, 3, 4).double(), torch.randn(2, 5, 6).double()
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    out, w = att(query, memory, mask)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3).double())
    assert (w[1, :, 2:] == 0).all() and (w[1, :, :2] > 0).all()
    garbage = memory.clone()
    garbage[1, 2:] = 100.0                 # padded memory never reaches the output
    torch.testing.assert_close(att(query, garbage, mask)[0], out)
    alone, _ = att(query[1:], memory[1:, :2], mask[1:, :2])
    torch.testing.assert_close(out[1:], alone)


def test_scaled_score_is_the_multiplicative_one_over_sqrt_of_the_query_width():
    torch.manual_seed(0)
    mult, scaled = Attention("multiplicative", 4, 6).double(), Attention("scaled", 4, 6).double()
    scaled.load_state_dict(mult.state_dict())
    query, memory = torch.randn(2, 3, 4).double(), torch.randn(2, 5, 6).double()
    by_hand = torch.einsum("btq,qm,bsm->bts", query, mult.W_a.weight, memory)
    torch.testing.assert_close(mult.scores(query, memory), by_hand)
    torch.testing.assert_close(scaled.scores(query, memory), by_hand / 2.0)


def test_padding_a_source_changes_nothing():
    m = model("additive")
    src, tgt_in = torch.randint(0, 7, (2, 6)), torch.randint(0, 6, (2, 3))
    both = m(src, tgt_in, torch.tensor([6, 3]))
    alone = m(src[1:, :3], tgt_in[1:])
    torch.testing.assert_close(both[1:], alone)


def test_no_teacher_forcing_feeds_back_the_greedy_outputs():
    m = model("multiplicative", cell="gru")
    src = torch.randint(0, 7, (4, 5))
    ids = m.greedy(src, bos=0, eos=None, max_len=6)
    tgt_in = torch.cat([torch.zeros(4, 1, dtype=torch.long), torch.randint(0, 6, (4, 5))], 1)
    own = m(src, tgt_in, teacher_forcing=0.0)
    assert torch.equal(own.argmax(-1), ids)
    fed = torch.cat([torch.zeros(4, 1, dtype=torch.long), ids[:, :-1]], 1)
    torch.testing.assert_close(own, m(src, fed))
    assert not torch.allclose(own, m(src, tgt_in))


def test_teacher_forcing_schedule():
    from elman.tasks.seq2seq import ratio_at
    options = resolve(None, {"task": "sort", "teacher_forcing": "1",
                             "teacher_forcing_final": "0.5",
                             "teacher_forcing_steps": "100"}).options
    assert [ratio_at(options, s) for s in (0, 50, 100, 400)] == [1.0, 0.75, 0.5, 0.5]
    options = resolve(None, {"task": "sort", "teacher_forcing": "0.9"}).options
    assert ratio_at(options, 10**6) == 0.9


@pytest.mark.parametrize("attention", ["none", "additive"])
def test_beam_of_width_one_is_greedy(attention):
    m = model(attention, cell="gru", bidirectional=False, seed=1)
    src, lengths = torch.randint(0, 7, (5, 4)), torch.tensor([4, 1, 3, 4, 2])
    ids, weights = m.greedy(src, 1, 2, 8, lengths, with_weights=True)
    found, beam_weights = m.beam(src, 1, 2, 8, width=1, length_penalty=0.0, src_lengths=lengths)
    for row, hyp, w, bw in zip(ids.tolist(), found, weights if weights is not None else
                               [None] * 5, beam_weights):
        assert hyp == (row[:row.index(2)] if 2 in row else row)
        if w is not None:
            torch.testing.assert_close(bw, w[:len(bw)])


@torch.no_grad()
def log_prob(m, src, ids, bos):
    """Total log-probability of output ids (B=1) under teacher forcing."""
    tgt_in = torch.tensor([[bos] + ids[:-1]])
    logp = torch.log_softmax(m(src, tgt_in), -1)[0]
    return float(sum(logp[t, i] for t, i in enumerate(ids)))


def test_wide_beam_finds_the_exhaustive_best():
    m = model("additive", cell="gru", seed=2)
    src, bos, eos, T = torch.randint(0, 7, (1, 3)), 0, 1, 3
    words = [t for t in range(6) if t != eos]
    words = [t for t in words if t != bos]
    candidates = [list(p) + [eos] for n in range(T) for p in itertools.product(words, repeat=n)]
    candidates += [list(p) for p in itertools.product(words, repeat=T)]   # cut at max_len
    scores = {tuple(c[:-1] if c[-1] == eos else c): log_prob(m, src, c, bos) for c in candidates}
    found, _ = m.beam(src, bos, eos, T, width=len(candidates), length_penalty=0.0)
    assert found[0] == list(max(scores, key=scores.get))
    narrow, _ = m.beam(src, bos, eos, T, width=2, length_penalty=0.0)
    assert scores[tuple(narrow[0])] <= scores[tuple(found[0])]


def test_registry_rebuilds_attention_models():
    m = model("additive")
    again = build(architecture_of(m), m.config)
    assert [n for n, _ in again.named_parameters()] == [n for n, _ in m.named_parameters()]
    with pytest.raises(ElmanError, match="attention: expected one of"):
        EncoderDecoder(3, 3, 4, attention="dot")


# --- data ---------------------------------------------------------------------------------


def test_algorithmic_targets():
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        s = synthetic.draw("add", (1, 3), 10, g)
        plus = s.index("+")
        a, b = int("".join(s[:plus])), int("".join(s[plus + 1:]))
        assert int("".join(synthetic.target("add", s))) == a + b
        s = synthetic.draw("sort", (1, 6), 100, g)
        assert [int(t) for t in synthetic.target("sort", s)] == sorted(int(t) for t in s)
        assert synthetic.target("reverse", s) == list(reversed(s))
        assert 1 <= len(s) <= 6 and all(0 <= int(t) < 100 for t in s)
    assert synthetic.parse_lengths("length", "3-7") == (3, 7)
    assert synthetic.space_size("sort", (1, 2), 10) == 110
    assert synthetic.space_size("add", (1, 2), 10) == 100 ** 2


def test_held_out_inputs_are_never_trained_on():
    config = resolve(None, {"task": "copy", "length": "1-2", "vocab": "5", "valid_size": "10",
                            "batch_size": "16"})
    from elman.tasks import get_task
    task = get_task("copy")(config.options)
    task.setup(config.train)
    held = {tuple(p.ids) for p in task.valid_batches.examples}
    assert len(held) == 10
    for batch in itertools.islice(task.train_batches.epoch(0), 20):
        for row, n in zip(batch.x.src.tolist(), batch.x.src_lengths.tolist()):
            assert tuple(row[:n]) not in held
    again = [b.x.src for b in itertools.islice(task.train_batches.epoch(0), 3)]
    assert all(torch.equal(a, b.x.src) for a, b in
               zip(again, itertools.islice(task.train_batches.epoch(0), 3)))


def test_pairs_and_word_tokens():
    rows = parse_pairs(PAIRS, "p.tsv")
    assert len(rows) == 6 and rows[2] == ("You are cold.", "Tu as froid.", 3)
    assert rows[3].line == 5
    longer = rows + [rows[0]._replace(source="One two three four.", line=9)]
    assert [r.line for r in short_pairs(longer, 3)] == [1, 2, 3, 5, 6, 7]
    w = Words(lowercase=True)
    assert w.tokens("J'ai froid !") == ["j'ai", "froid", "!"]
    assert Words.text(["i", "am", "cold", ",", "(", "ok", ")", "."]) == "i am cold, (ok)."


@pytest.mark.skipif(not ENG_FRA.is_file(), reason="eng_fra not in ../shared/data")
def test_reads_real_eng_fra_pairs():
    with ENG_FRA.open(encoding="utf-8") as f:
        head = "".join(itertools.islice(f, 2000))
    rows = parse_pairs(head, str(ENG_FRA))
    assert len(rows) == 2000 and all(r.source and r.target for r in rows)
    assert all(len(r.source.split()) <= 10 for r in short_pairs(rows, 10))
    assert any("\u202f" in r.target for r in rows)          # French spacing before ! and ?
    assert all("\u202f" not in t for r in rows[:200] for t in Words().tokens(r.target))


# --- training and the CLI -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sort_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "sort"
    assert main(["train", "--task", "sort", "--length", "1-4", "--vocab", "6", "--train-size",
                 "24", "--valid-size", "50", "--batch-size", "8", "--max-steps", "240",
                 "--eval-every", "120", "--out", str(run), "--attention", "multiplicative",
                 "--cell", "gru", *TINY]) == 0
    return run


def test_sort_model_overfits_its_training_set(sort_run):
    from elman.cli import load_run
    run, task = load_run(sort_run)
    task.setup(run.config.train)
    train = task.batches(task.train_batches.examples)
    result = task.evaluate(run.model, train)
    assert result["exact_match"] == 1.0 and result["token_accuracy"] == 1.0
    assert json.loads((sort_run / "best" / "task.json").read_text())["target"]["tokens"][:2] \
        == ["<s>", "</s>"]


def test_resumed_add_run_with_scheduled_sampling_continues_exactly(tmp_path, capsys):
    import safetensors.torch

    from elman.training.trainer import resume_config, train
    values = {"task": "add", "length": "1-2", "valid_size": "20", "batch_size": "4",
              "teacher_forcing": "1", "teacher_forcing_final": "0.2",
              "teacher_forcing_steps": "8", "hidden_sizes": "8", "embed_dim": "4",
              "dropout": "0.1", "eval_every": "3", "max_minutes": "none", "quiet": "true"}
    whole = train(resolve(None, {**values, "out": str(tmp_path / "w"), "max_steps": "8"}),
                  log=lambda *a: None)
    part = train(resolve(None, {**values, "out": str(tmp_path / "p"), "max_steps": "6"}),
                 log=lambda *a: None)
    train(resume_config(part.run, {"max_steps": 8}), resume=part.run, log=lambda *a: None)
    a, b = (safetensors.torch.load_file(r / "checkpoint" / "model.safetensors")
            for r in (whole.run, part.run))
    assert all(torch.equal(a[k], b[k]) for k in a)
    capsys.readouterr()
    assert main(["predict", str(part.run), "12 + 9"]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"[0-9]*\n", out)   # untrained: some digits
    from elman.cli import load_run
    run, task = load_run(part.run)
    assert json.loads(json.dumps(task.predict([run.model], ["12 + 9"]))) == [out[:-1]]
    with pytest.raises(ElmanError, match=r"input: expected two numbers joined by '\+', such as "
                       r"12 \+ 345, got '1\+2\+3' at <text>:1"):
        main_raising(["predict", str(part.run), "1+2+3"])
    with pytest.raises(ElmanError, match="input: expected numbers of at most 2 digits"):
        main_raising(["predict", str(part.run), "123 + 4"])


def test_predict_and_eval_a_sort_run(sort_run, tmp_path, capsys):
    from elman.cli import load_run
    run, task = load_run(sort_run)
    task.setup(run.config.train)
    seen = [" ".join(task.vocab.tokens[i] for i in p.ids) for p in task.train_batches.examples]
    capsys.readouterr()
    assert main(["predict", str(sort_run), seen[0]]) == 0
    assert capsys.readouterr().out.split() == sorted(seen[0].split(), key=int)
    (tmp_path / "in.txt").write_text("\n".join(seen[:5]) + "\n", encoding="utf-8")
    assert main(["predict", str(sort_run), "--input", str(tmp_path / "in.txt"), "--beam",
                 "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines] == [sorted(s.split(), key=int) for s in seen[:5]]
    assert main(["eval", str(sort_run), "--beam", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("scored: the validation split (it picked best/)\nexact match: ")
    assert "(50 sequences, beam 2" in out


def test_eval_a_sort_run_on_a_file_a_seed_and_as_json(sort_run, tmp_path, capsys):
    from elman.cli import load_run
    run, task = load_run(sort_run)
    task.setup(run.config.train)
    held = [" ".join(task.vocab.tokens[i] for i in p.ids) for p in task.valid_batches.examples]
    data = tmp_path / "held.txt"
    data.write_text("\n".join(held[:20]) + "\n\n" + "\n".join(held[20:]) + "\n",
                    encoding="utf-8")
    capsys.readouterr()
    assert main(["eval", str(sort_run)]) == 0
    first, rest = capsys.readouterr().out.split("\n", 1)
    assert first == "scored: the validation split (it picked best/)"
    assert main(["eval", str(sort_run), "--data", str(data)]) == 0   # the held-out set again
    assert capsys.readouterr().out == f"scored: file {data}\n{rest}"
    assert main(["eval", str(sort_run), "--seed", "0"]) == 0         # the run's split_seed
    assert capsys.readouterr().out == f"scored: 50 inputs drawn from seed 0\n{rest}"
    assert main(["eval", str(sort_run), "--data", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {**task.evaluate(run.model), "split": "file"}
    assert main(["eval", str(sort_run), "--seed", "7", "--json"]) == 0
    fresh = json.loads(capsys.readouterr().out)
    assert set(fresh) == {"loss", "accuracy", "tokens", "exact_match", "token_accuracy",
                          "sequences", "split"} and fresh["sequences"] == 50
    assert task.held_out(7) != task.held_out(0)
    assert fresh == {**task.evaluate(run.model, task.eval_batches(task.held_out(7),
                                                                  run.config.train)),
                     "split": "seed"}
    with pytest.raises(ElmanError, match="seed: expected no --seed with --data"):
        main_raising(["eval", str(sort_run), "--data", str(data), "--seed", "1"])
    with pytest.raises(ElmanError, match="seed: expected no --seed with --split"):
        main_raising(["eval", str(sort_run), "--split", "test", "--seed", "1"])
    data.write_text("1 2\n\n1 x\n", encoding="utf-8")
    with pytest.raises(ElmanError, match=r"data: expected integers in 0..5 separated by "
                       rf"spaces, got 'x' at {re.escape(str(data))}:3"):
        main_raising(["eval", str(sort_run), "--data", str(data)])


def test_eval_split_test_scores_the_test_set(sort_run, capsys):
    from elman.cli import load_run
    run, task = load_run(sort_run)
    train = run.config.train
    assert main(["eval", str(sort_run), "--split", "test", "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    test = task.test_set(train)
    assert scored == {**task.evaluate(run.model, task.eval_batches(test, train)),
                      "split": "test"}
    assert scored["sequences"] == 50
    assert main(["eval", str(sort_run), "--split", "test"]) == 0
    assert capsys.readouterr().out.startswith(
        "scored: the test split (50 inputs drawn from the test seed of split_seed 0, never "
        "used to choose best/)\nexact match: ")
    assert main(["eval", str(sort_run), "--split", "valid", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {**task.evaluate(run.model, task.eval_batches(
        task.held_out(train.split_seed), train)), "split": "valid"}


def test_the_test_set_is_fresh_distinct_deterministic_and_never_held_out():
    from elman.tasks import get_task
    settings = {"task": "copy", "length": "1-3", "vocab": "5", "valid_size": "40",
                "train_size": "30"}
    config = resolve(None, settings)
    task = get_task("copy")(config.options)
    valid = {tuple(s) for s in task.held_out(config.train.split_seed)}
    trained = {tuple(s) for s in task.fixed_training(config.train, frozenset(valid))}
    test = task.test_set(config.train)
    assert len(test) == len({tuple(s) for s in test}) == 40       # 40 of 155 possible
    assert not {tuple(s) for s in test} & (valid | trained)
    assert task.test_set(config.train) == test
    other = resolve(None, {**settings, "split_seed": "1"})
    assert task.test_set(other.train) != test
    assert synthetic.test_seed(0) == synthetic.test_seed(0) != synthetic.test_seed(1)
    assert 0 <= synthetic.test_seed(0) < 2 ** 63
    small = resolve(None, {"task": "copy", "length": "1-2", "vocab": "5", "valid_size": "10",
                           "train_size": "40"})
    with pytest.raises(ElmanError, match=r"valid_size: expected at most the \d+ copy inputs "
                                         "that are neither held out nor trained on"):
        get_task("copy")(small.options).test_set(small.train)


def test_predict_in_memory_agrees_with_the_cli(sort_run, capsys):
    from elman.cli import load_run
    run, task = load_run(sort_run)
    inputs = ["5 3 1", "0 4 2 2", "3"]
    answers = task.predict([run.model], inputs, beam=2)
    assert json.loads(json.dumps(answers)) == answers
    capsys.readouterr()
    for text, answer in zip(inputs, answers):
        assert main(["predict", str(sort_run), text, "--beam", "2"]) == 0
        assert capsys.readouterr().out == answer + "\n"
    with pytest.raises(ElmanError, match="models: expected one model"):
        task.predict([run.model, run.model], inputs)


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("pairs") / "pairs.tsv"
    p.write_text(PAIRS, encoding="utf-8")
    return p


def test_translation_overfits_translates_and_scores(pairs_file, tmp_path, capsys):
    run = tmp_path / "t"
    assert main(["train", "--task", "translate", "--data", str(pairs_file), "--valid",
                 str(pairs_file), "--out", str(run), "--attention", "additive",
                 "--batch-size", "6", "--max-steps", "150", "--eval-every", "75",
                 "--cell", "gru", *TINY]) == 0
    assert "valid BLEU: 100.00" in capsys.readouterr().out
    plot = tmp_path / "a.png"
    assert main(["translate", str(run), "We are tired.", "--beam", "3",
                 "--attention-plot", str(plot)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "Nous sommes fatigués.\n" and plot.stat().st_size > 1000
    assert main(["translate", str(run), "We are zzz."]) == 0
    assert "read as <unk>: zzz" in capsys.readouterr().err
    from elman.cli import load_run
    loaded, task = load_run(run)
    found = task.predict([loaded.model], ["We are tired.", "We are zzz."], beam=3)
    assert json.loads(json.dumps(found)) == found
    assert found[0]["translation"] == "Nous sommes fatigués."
    assert found[0]["tokens"] == ["Nous", "sommes", "fatigués", "."]
    assert found[0]["source"] == ["We", "are", "tired", "."]
    weights = torch.tensor(found[0]["attention"])           # a row per token and </s>
    assert weights.shape == (len(found[0]["tokens"]) + 1, 4)
    torch.testing.assert_close(weights.sum(1), torch.ones(len(weights)))
    assert main(["translate", str(run), "--input", str(write(tmp_path / "in.txt",
                 "We are tired.\nWe are zzz.\n")), "--beam", "3"]) == 0
    assert capsys.readouterr().out == "".join(t["translation"] + "\n" for t in found)
    assert main(["eval", str(run), "--data", str(pairs_file)]) == 0
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first == f"scored: file {pairs_file}"
    assert second.startswith("BLEU: 100.00 (6 sentences against 6 ")
    more = tmp_path / "more.tsv"                 # a second translation of one source
    more.write_text(PAIRS + "We are tired.\tNous sommes fatiguées.\n", encoding="utf-8")
    assert main(["eval", str(run), "--data", str(more)]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("BLEU: 100.00 (6 sentences "
                                                              "against 7 ")
    assert main(["eval", str(run), "--data", str(more), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["bleu"] == pytest.approx(100.0) and scores["references"] == 7
    assert scores == {**task.evaluate(loaded.model, task.eval_batches(
        task.load(str(more)), loaded.config.train)), "split": "file"}
    assert main(["eval", str(run), "--json"]) == 0             # the held-out pairs
    held = json.loads(capsys.readouterr().out)
    assert held["sentences"] == 6 and held["split"] == "valid"
    assert main(["eval", str(run)]) == 0
    assert capsys.readouterr().out.startswith(f"scored: the validation file {pairs_file} (it "
                                              "picked best/)\nBLEU: ")


def test_subword_translation_keeps_its_sentencepiece_models(pairs_file, tmp_path, capsys):
    run = tmp_path / "s"
    assert main(["train", "--task", "translate", "--data", str(pairs_file), "--out", str(run),
                 "--subwords", "40", "--valid-fraction", "0.2", "--batch-size", "6",
                 "--max-steps", "3", "--eval-every", "3", *TINY]) == 0
    meta = json.loads((run / "best" / "task.json").read_text())
    assert set(meta["spm"]) == {"source", "target"}
    assert any(t.startswith("\u2581") for t in json.loads(
        (run / "best" / "vocab.json").read_text())["tokens"])
    capsys.readouterr()
    assert main(["translate", str(run), "I am cold."]) == 0
    assert capsys.readouterr().out.endswith("\n")
    assert main(["eval", str(run)]) == 0
    assert "held-out pairs" in capsys.readouterr().out


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("I am cold.\tJ'ai froid.\nno tab here\n", r"data: expected source<TAB>target .*p.tsv:2"),
    ("\tJ'ai froid.\n", r"an empty source at p.tsv:1"),
    ("I am cold.\t \n", r"an empty target at p.tsv:1"),
    ("\n\n", r"data: expected some source<TAB>target lines"),
])
def test_bad_pair_files(text, message):
    with pytest.raises(ElmanError, match=message):
        parse_pairs(text, "p.tsv")


@pytest.mark.parametrize("args, message", [
    (["5 3 x"], r"input: expected integers in 0..5 separated by spaces, got 'x' at <text>:1"),
    (["5 3 9"], r"got '9' at <text>:1"),
    (["  "], r"input: expected a non-empty sort input, got an empty one at <text>:1"),
    (["1 2 3 4 5"], r"input: expected at most 4 integers \(the longest the model was trained"),
    ([], r"input: expected either a text argument or --input FILE, got neither"),
    (["1 2", "--beam", "0"], r"beam: expected an integer >= 1, got 0"),
])
def test_bad_predict_inputs(sort_run, args, message):
    with pytest.raises(ElmanError, match=message):
        main_raising(["predict", str(sort_run), *args])


def test_bad_translate_inputs(pairs_file, tmp_path):
    run = tmp_path / "t"
    assert main(["train", "--task", "translate", "--data", str(pairs_file), "--out", str(run),
                 "--batch-size", "6", "--max-steps", "1", "--eval-every", "1", *TINY]) == 0
    with pytest.raises(ElmanError, match="text: expected a sentence to translate, got an "
                       "empty one at <text>:1"):
        main_raising(["translate", str(run), " "])
    with pytest.raises(ElmanError, match=r"text: expected at most 8 tokens \(2 times the "
                       r"longest training source\), got 12 at <text>:1"):
        main_raising(["translate", str(run), "I am cold " * 4])
    with pytest.raises(ElmanError, match="attention_plot: expected a model trained with "
                       "--attention"):
        main_raising(["translate", str(run), "I am", "--attention-plot", str(tmp_path / "a.png")])
    with pytest.raises(ElmanError, match="max_words: expected a limit that keeps some pairs"):
        main_raising(["train", "--task", "translate", "--data", str(pairs_file), "--out",
                      str(tmp_path / "u"), "--max-words", "1"])


@pytest.mark.parametrize("flags, message", [
    (["--length", "5-2"], r"length: expected lengths >= 1 with the lower bound first"),
    (["--length", "ten"], r"length: expected a length such as 10 or a range"),
    (["--vocab", "3", "--length", "1-2", "--valid-size", "7"],
     r"valid_size: expected at most half of the 12 possible sort inputs"),
    (["--teacher-forcing", "1.5"], r"teacher_forcing: expected a number in \[0, 1\], got 1.5"),
    (["--data", "x.txt"], r"data: expected none: the sort task generates its data"),
])
def test_bad_algorithmic_settings(flags, message, tmp_path):
    with pytest.raises(ElmanError, match=message):
        main_raising(["train", "--task", "sort", "--out", str(tmp_path / "r"), *flags])


def test_a_run_of_the_wrong_task(sort_run):
    with pytest.raises(ElmanError, match=r"run: expected a run of a task with the translate "
                       r"command \(translate\), got a sort run \(its commands: eval, predict, "
                       r"export\)"):
        main_raising(["translate", str(sort_run), "I am cold."])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def main_raising(argv):
    """Run a command's function directly, so its ElmanError propagates."""
    from elman.cli.parser import dispatch
    func, args = dispatch(argv)
    return func(args)
