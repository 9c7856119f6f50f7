"""Translation data and scoring: the held-out split by distinct source, multi-reference BLEU
and chrF against sacrebleu, the loss over real target steps only (with label smoothing), and
pair batches grouped by source and target length."""

from types import SimpleNamespace

import pytest
import sacrebleu
import torch
import torch.nn.functional as F

from elman.bleu import corpus_scores, reference_streams
from elman.data.pairs import (
    Pair,
    PairBatches,
    PairRow,
    group_by_source,
    parse_pairs,
    source_key,
    split_by_source,
)
from elman.models import EncoderDecoder
from elman.training.config import resolve

# Tatoeba-like: several translations of one source, and one source written in two cases
PAIRS = ("I am cold.\tJ'ai froid.\n"
         "I am cold.\tJe suis gelé.\n"
         "i am cold.\tJ'ai très froid.\n"
         "I am tired.\tJe suis fatigué.\n"
         "You are cold.\tTu as froid.\n"
         "You are cold.\tVous avez froid.\n"
         "You are tired.\tTu es fatigué.\n"
         "We are cold.\tNous avons froid.\n"
         "We are tired.\tNous sommes fatigués.\n"
         "We are tired.\tNous sommes fatiguées.\n"
         "They are cold.\tIls ont froid.\n"
         "They are tired.\tIls sont fatigués.\n")


def rows():
    return parse_pairs(PAIRS, "p.tsv")


def test_groups_by_source_words_in_order():
    groups = group_by_source(rows(), lowercase=True)
    assert [len(g) for g in groups] == [3, 1, 2, 1, 1, 2, 1, 1]
    assert [r.target for r in groups[0]] == ["J'ai froid.", "Je suis gelé.", "J'ai très froid."]
    assert len(group_by_source(rows(), lowercase=False)) == 9       # "i am cold." apart


@pytest.mark.parametrize("seed", range(6))
def test_split_by_source_holds_out_whole_sources(seed):
    train, held = split_by_source(rows(), 0.4, seed, lowercase=True)
    assert sorted(train + held, key=lambda r: r.line) == rows()
    train_sources = {source_key(r, True) for r in train}
    held_sources = {source_key(r, True) for r in held}
    assert not train_sources & held_sources
    assert len(held_sources) == round(0.4 * 8)
    assert [r.line for r in train] == sorted(r.line for r in train)
    assert split_by_source(rows(), 0.4, seed, lowercase=True) == (train, held)


def test_split_by_source_edge_cases():
    assert split_by_source(rows(), 0.0, 0, True) == (rows(), [])
    train, held = split_by_source(rows(), 1.0, 0, True)
    assert len(group_by_source(train, True)) == 1 and len(group_by_source(held, True)) == 7
    one = [PairRow("Hi.", "Salut.", 1), PairRow("Hi.", "Bonjour.", 2)]
    assert split_by_source(one, 0.5, 0, True) == (one, [])


def test_the_translate_task_holds_out_whole_sources(tmp_path):
    from elman.tasks.translate import TranslateTask
    data = tmp_path / "p.tsv"
    data.write_text(PAIRS, encoding="utf-8")
    config = resolve(None, {"task": "translate", "data": str(data), "valid_fraction": "0.4",
                            "lowercase": "true", "split_seed": "3"})
    task = TranslateTask(config.options)
    task.setup(config.train)
    train, held = split_by_source(rows(), 0.4, 3, lowercase=True)
    assert task.valid_rows == held and task.n_train == len(train)
    assert task.valid_sources == 3 == len(task.valid_batches.examples)


def test_multi_reference_streams_pad_with_none():
    assert reference_streams([["a", "b"], ["c"], ["d", "e", "f"]]) == [
        ["a", "c", "d"], ["b", None, "e"], [None, None, "f"]]
    with pytest.raises(Exception, match="references: expected at least one reference"):
        reference_streams([["a"], []])


def test_multi_reference_scores_equal_sacrebleu():
    hyps = ["the cat sat on a mat", "a dog barks loudly", "it is raining"]
    refs = [["the cat sat on the mat", "a cat sat on a mat"], ["a dog is barking"],
            ["it rains", "it is raining today", "rain is falling"]]
    streams = [["the cat sat on the mat", "a dog is barking", "it rains"],
               ["a cat sat on a mat", None, "it is raining today"],
               [None, None, "rain is falling"]]
    got = corpus_scores(hyps, refs)
    assert got["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, streams).score)
    assert got["chrf"] == pytest.approx(sacrebleu.corpus_chrf(hyps, streams).score)
    single = sacrebleu.corpus_bleu(hyps, [[r[0] for r in refs]]).score
    assert 0 < single < got["bleu"] < 100


def test_a_hypothesis_equal_to_any_reference_scores_100():
    hyps = ["Nous sommes fatiguées.", "J'ai froid."]
    refs = [["Nous sommes fatigués.", "Nous sommes fatiguées."], ["j'ai froid."]]
    assert corpus_scores(hyps, refs, lowercase=True) == {"bleu": pytest.approx(100.0),
                                                         "chrf": pytest.approx(100.0)}
    assert corpus_scores(hyps, refs)["bleu"] < 100


def model(attention):
    torch.manual_seed(0)
    return EncoderDecoder(7, 6, [5], input_size=3, embed_dim=3, cell="gru",
                          bidirectional=True, attention=attention).double().eval()


@pytest.mark.parametrize("attention", ["none", "additive", "multiplicative"])
def test_real_logits_are_the_unpadded_rows_of_forward(attention):
    m = model(attention)
    src, tgt_in = torch.randint(0, 7, (3, 5)), torch.randint(0, 6, (3, 4))
    src_lengths, tgt_lengths = torch.tensor([5, 2, 3]), torch.tensor([2, 4, 1])
    full = m(src, tgt_in, src_lengths, tgt_lengths)                       # (B, T, V)
    real = torch.arange(4) < tgt_lengths[:, None]
    torch.testing.assert_close(m.real_logits(src, tgt_in, src_lengths, tgt_lengths), full[real])


def test_loss_smooths_labels_in_training_only():
    from elman.tasks.seq2seq import Seq2SeqOptions, Seq2SeqTask
    m, eps = model("additive"), 0.2
    task = Seq2SeqTask(Seq2SeqOptions(label_smoothing=eps))
    x = SimpleNamespace(src=torch.randint(0, 7, (3, 5)), src_lengths=torch.tensor([5, 2, 3]),
                        tgt_in=torch.randint(0, 6, (3, 4)), tgt_lengths=torch.tensor([2, 4, 1]))
    y = torch.randint(0, 6, (3, 4))
    real = torch.arange(4) < x.tgt_lengths[:, None]
    with torch.no_grad():
        logp = torch.log_softmax(m(x.src, x.tgt_in, x.src_lengths, x.tgt_lengths), -1)[real]
    nll = -logp.gather(1, y[real][:, None]).squeeze(1)                     # (N,)
    torch.testing.assert_close(task.loss(m, x, y)[0], nll.mean())       # eval: unsmoothed
    m.train()
    smoothed = ((1 - eps) * nll - eps * logp.mean(1)).mean()
    torch.testing.assert_close(task.loss(m, x, y)[0], smoothed)
    assert float(F.cross_entropy(logp, y[real])) != pytest.approx(float(smoothed))


def test_pair_batches_group_equal_sources_by_target_length():
    pairs = [Pair([1, 2, 3], [4] * (1 if i % 2 else 9)) for i in range(8)]
    batches = PairBatches(pairs, 2, bos=5, eos=6, seed=0)
    for batch in batches.epoch(0):
        assert batch.x.tgt_lengths[0] == batch.x.tgt_lengths[1]


def test_dropout_reaches_both_embeddings_in_training_only():
    torch.manual_seed(0)
    m = EncoderDecoder(7, 6, [5], input_size=4, embed_dim=4, cell="gru", dropout=0.5)
    seen = {}
    m.encoder.register_forward_hook(lambda mod, args, out: seen.update(src=args[0]))
    m.decoder.rnn.register_forward_hook(lambda mod, args, out: seen.update(tgt=args[0]))
    src, tgt_in = torch.randint(0, 7, (3, 5)), torch.randint(0, 6, (3, 4))
    for training, zeros in ((True, True), (False, False)):
        m.train(training)
        m(src, tgt_in)
        assert bool((seen["src"] == 0).any()) == zeros
        assert bool((seen["tgt"] == 0).any()) == zeros
