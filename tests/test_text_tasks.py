"""Text tasks end to end on tiny fixtures: the TSV and CoNLL-U parsers, word tokens, a
classifier, a tagger (with the character encoder) and a word language model that each
overfit a few sentences, predict / next / eval through the CLI, and every bad-input error."""

import json
from pathlib import Path

import pytest
import torch

from elman.cli import main
from elman.data.conllu import parse_conllu
from elman.data.labeled import parse_rows
from elman.data.words import words
from elman.errors import ElmanError
from elman.io import checkpoint

EWT = Path(__file__).resolve().parents[2] / "shared/data/ud_english_ewt/en_ewt-ud-dev.conllu"
TINY = ["--embed-dim", "16", "--hidden-sizes", "24", "--dropout", "0", "--max-minutes", "none",
        "--quiet", "--lr", "0.02", "--batch-size", "4"]

REVIEWS = "sentence\tlabel\n" + "".join(
    f"{t}\t{y}\n" for t, y in [("a great and moving film", 1), ("dull , boring and long", 0),
                               ("great fun", 1), ("a boring mess", 0), ("moving and fun", 1),
                               ("long and dull", 0), ("fun , great acting", 1),
                               ("a dull mess", 0)])

CONLLU = """# sent_id = 1
# text = The dog barks.
1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_
2\tdog\tdog\tNOUN\tNN\t_\t3\tnsubj\t_\t_
3\tbarks\tbark\tVERB\tVBZ\t_\t0\troot\t_\tSpaceAfter=No
4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

# sent_id = 2
1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
3\trun\trun\tVERB\tVB\t_\t0\troot\t_\t_

# sent_id = 3
1\tA\ta\tDET\tDT\t_\t2\tdet\t_\t_
2\tcat\tcat\tNOUN\tNN\t_\t3\tnsubj\t_\t_
3\truns\trun\tVERB\tVBZ\t_\t0\troot\t_\t_
"""

STORY = "hey , i will be late to the office . " * 20 + "see you at the office . " * 10


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("text")
    (d / "reviews.tsv").write_text(REVIEWS, encoding="utf-8")
    (d / "train.conllu").write_text(CONLLU, encoding="utf-8")
    (d / "story.txt").write_text(STORY, encoding="utf-8")
    return d


# --- parsers ---------------------------------------------------------------------------


def test_tsv_rows_with_and_without_header():
    rows = parse_rows(REVIEWS, "r.tsv")
    assert len(rows) == 8 and rows[0] == ("a great and moving film", "1", 2)
    rows = parse_rows("good,pos\nbad,neg\n", "r.csv")
    assert rows[1].label == "neg" and rows[1].line == 2
    rows = parse_rows("x\ty\tgood film\n", "r.tsv", text_column="2", label_column="0")
    assert rows[0] == ("good film", "x", 1)


def test_conllu_skips_comments_and_multiword_tokens():
    sents = parse_conllu(CONLLU, "t.conllu")
    assert [s.words for s in sents][1] == ["do", "n't", "run"]
    assert sents[1].tags == ["AUX", "PART", "VERB"]
    assert parse_conllu(CONLLU, "t.conllu", "xpos")[0].tags == ["DT", "NN", "VBZ", "."]


def test_word_tokens():
    assert words("Hey, I'll be late to the") == ["Hey", ",", "I'll", "be", "late", "to", "the"]
    assert words("The END", lowercase=True) == ["the", "end"]


@pytest.mark.skipif(not EWT.is_file(), reason="UD English EWT not in ../shared/data")
def test_reads_real_ud_english_ewt():
    text = EWT.read_text(encoding="utf-8")
    head = text[:text.index("\n\n", 20_000) + 2]             # the first few dozen sentences
    sents = parse_conllu(head, str(EWT))
    assert len(sents) > 10 and all(len(s.words) == len(s.tags) for s in sents)
    assert {"NOUN", "VERB", "PUNCT"} <= {t for s in sents for t in s.tags}


# --- training, predict, next, eval ---------------------------------------------------------


def test_classifier_overfits_predicts_and_evaluates(files, tmp_path, capsys):
    run = tmp_path / "c"
    assert main(["train", "--task", "classify", "--data", str(files / "reviews.tsv"),
                 "--valid", str(files / "reviews.tsv"), "--out", str(run), "--max-steps", "60",
                 "--eval-every", "20", "--cell", "gru", "--bidirectional", "true",
                 "--embed-dropout", "0.1", *TINY]) == 0
    out = capsys.readouterr().out
    assert "valid accuracy: 100.00%" in out
    assert json.loads((run / "best" / "task.json").read_text()) == {"labels": ["0", "1"]}
    (tmp_path / "in.txt").write_text("great fun\ndull mess\n", encoding="utf-8")
    assert main(["predict", str(run), "--input", str(tmp_path / "in.txt")]) == 0
    assert capsys.readouterr().out == "great fun\t1\ndull mess\t0\n"
    assert main(["eval", str(run), "--data", str(files / "reviews.tsv")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"scored: file {files / 'reviews.tsv'}\naccuracy: 1.0000 (8 labels)")
    assert "precision" in out
    assert (run / "confusion.png").stat().st_size > 1000
    (run / "confusion.png").unlink()
    assert main(["eval", str(run)]) == 0                       # the run's --valid file
    out = capsys.readouterr().out
    assert out.startswith(f"scored: the validation file {files / 'reviews.tsv'} (it picked "
                          "best/)\naccuracy: 1.0000 (8 labels)")
    assert "precision" in out
    assert (run / "confusion.png").is_file()
    (run / "confusion.png").unlink()
    assert main(["eval", str(run), "--data", str(files / "reviews.tsv"), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)              # one JSON object, no table
    assert metrics["accuracy"] == 1.0 and metrics["count"] == 8
    assert metrics["confusion"] == [[4, 0], [0, 4]] and metrics["split"] == "file"
    assert [r["label"] for r in metrics["per_class"]] == ["0", "1"]
    assert not (run / "confusion.png").exists()                # --json: a plot only if asked


def test_classify_predict_in_memory_agrees_with_the_cli(files, tmp_path, capsys):
    from elman.cli.run import load_run
    run = tmp_path / "c"
    assert main(["train", "--task", "classify", "--data", str(files / "reviews.tsv"),
                 "--out", str(run), "--max-steps", "5", "--eval-every", "5", *TINY]) == 0
    texts = ["great fun", "dull mess", "a moving film", "long , boring and dull"]
    (tmp_path / "in.txt").write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", str(run), "--input", str(tmp_path / "in.txt")]) == 0
    cli = [line.split("\t")[1] for line in capsys.readouterr().out.splitlines()]
    loaded, task = load_run(run)
    answers = json.loads(json.dumps(task.predict([loaded.model], texts)))
    assert [a["label"] for a in answers] == cli
    for a in answers:
        assert set(a["probabilities"]) == {"0", "1"}
        assert abs(sum(a["probabilities"].values()) - 1) < 1e-6
        assert a["probabilities"][a["label"]] >= 0.5


def test_tagger_with_char_encoder_overfits_and_fills_conllu(files, tmp_path, capsys):
    run = tmp_path / "t"
    data = str(files / "train.conllu")
    assert main(["train", "--task", "tag", "--data", data, "--valid", data, "--out", str(run),
                 "--max-steps", "60", "--eval-every", "30", "--cell", "lstm",
                 "--bidirectional", "true", "--char-dim", "8", "--char-hidden", "8", *TINY]) == 0
    assert "valid accuracy: 100.00%" in capsys.readouterr().out
    blank = CONLLU.replace("\tDET\t", "\t_\t").replace("\tNOUN\t", "\t_\t")
    (tmp_path / "blank.conllu").write_text(blank, encoding="utf-8")
    assert main(["predict", str(run), "--input", str(tmp_path / "blank.conllu"), "--output",
                 str(tmp_path / "out.conllu")]) == 0
    assert (tmp_path / "out.conllu").read_text(encoding="utf-8") == CONLLU
    assert main(["eval", str(run), "--data", data, "--plot", str(tmp_path / "cm.png")]) == 0
    assert "accuracy: 1.0000 (10 labels)" in capsys.readouterr().out
    assert (tmp_path / "cm.png").is_file()
    assert main(["eval", str(run), "--data", data, "--json", "--plot",
                 str(tmp_path / "cm2.png")]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["accuracy"] == 1.0 and metrics["count"] == 10
    assert (tmp_path / "cm2.png").is_file()                    # --json still plots when asked
    from elman.cli.run import load_run
    loaded, task = load_run(run)
    sentences = [s.words for s in parse_conllu(blank, "blank.conllu", require_tags=False)]
    tags = task.predict([loaded.model], sentences)
    assert json.loads(json.dumps(tags)) == [s.tags for s in parse_conllu(CONLLU, "t.conllu")]
    assert task.predict([loaded.model], ["The dog barks ."]) == [tags[0]]


def test_an_ensemble_of_runs_votes_by_mean_probability(files, tmp_path, capsys):
    data = str(files / "reviews.tsv")
    for seed in ("0", "1", "2"):
        assert main(["train", "--task", "classify", "--data", data, "--out",
                     str(tmp_path / seed), "--max-steps", "3", "--eval-every", "3",
                     "--seed", seed, *TINY]) == 0
    rows = [t.split("\t") for t in REVIEWS.splitlines()[1:]]
    words = sorted({w for text, _ in rows for w in text.split()})
    texts = [text for text, _ in rows] + [f"{a} {b}" for a in words for b in words]
    (tmp_path / "in.txt").write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    runs = [str(tmp_path / seed) for seed in ("0", "1", "2")]
    cks = [checkpoint.load(r) for r in runs]
    probs = []
    for ck in cks:                                # by hand: each text alone through each model
        ck.model.eval()
        with torch.no_grad():
            probs.append([ck.model(torch.tensor([ck.vocab.encode(t)]),
                                   torch.tensor([len(t.split())])).softmax(-1)[0]
                          for t in texts])
    votes = [[int(p[i].argmax()) for p in probs] for i in range(len(texts))]
    mean = [int(sum(p[i] for p in probs).argmax()) for i in range(len(texts))]
    assert all(any(v[k] != m for v, m in zip(votes, mean)) for k in range(3))  # not one member's
    want = [cks[0].meta["labels"][m] for m in mean]
    capsys.readouterr()
    assert main(["predict", runs[0], "--ensemble", *runs[1:], "--input",
                 str(tmp_path / "in.txt")]) == 0
    assert capsys.readouterr().out == "".join(f"{t}\t{y}\n" for t, y in zip(texts, want))
    assert main(["eval", runs[0], "--ensemble", *runs[1:], "--data", data]) == 0
    right = sum(y == label for y, (_, label) in zip(want, rows))
    assert capsys.readouterr().out.splitlines()[1] == f"accuracy: {right / 8:.4f} (8 labels)"

    assert main(["train", "--task", "classify", "--data", data, "--out", str(tmp_path / "low"),
                 "--max-steps", "1", "--eval-every", "1", "--lowercase", "true", *TINY]) == 0
    assert main(["train", "--data", str(files / "story.txt"), "--level", "word", "--out",
                 str(tmp_path / "lm"), "--max-steps", "1", "--eval-every", "1", *TINY]) == 0
    capsys.readouterr()
    assert main(["eval", runs[0], "--ensemble", runs[1], str(tmp_path / "low"), "--data",
                 data, "--plot", str(tmp_path / "cm.png")]) == 2
    assert capsys.readouterr().err == (
        "elman: error: ensemble: expected runs with the first run's task, labels, vocabulary "
        f"and lowercase, vectors, tag_field, got {str(tmp_path / 'low')!r}, which differs\n")
    assert not (tmp_path / "cm.png").exists()
    assert main(["eval", str(tmp_path / "lm"), "--ensemble", runs[0]]) == 2
    assert capsys.readouterr().err == ("elman: error: arguments: expected options listed by "
                                       "--help, got unrecognized --ensemble "
                                       f"{runs[0]}\n")       # lm's eval has no --ensemble
    assert main(["eval", runs[0], "--ensemble", str(tmp_path / "lm"), "--data", data]) == 2
    assert capsys.readouterr().err == (
        "elman: error: ensemble: expected runs with the first run's task, labels, vocabulary "
        f"and lowercase, vectors, tag_field, got {str(tmp_path / 'lm')!r}, which differs\n")


@pytest.mark.parametrize("model", ["tagger", "classifier"])
def test_word_dropout_reads_training_words_as_unk_and_trains_its_vector(model):
    from elman.models import ManyToOne, Tagger
    torch.manual_seed(0)
    make = {"tagger": lambda **k: Tagger(10, 6, 8, 3, cell="gru", **k),
            "classifier": lambda **k: ManyToOne(6, 8, 3, "gru", vocab_size=10, **k)}[model]
    net = make(word_dropout=1.0, unk=0)
    a, b = torch.tensor([[1, 2, 3]]), torch.tensor([[4, 5, 6]])
    torch.testing.assert_close(net(a), net(b))                # every word read as <unk>
    net(a).sum().backward()
    grads = net.embedding.weight.grad
    assert grads[0].abs().sum() > 0 and grads[1:].abs().sum() == 0
    net.eval()
    assert not torch.allclose(net(a), net(b))                 # evaluation reads the words
    with pytest.raises(ElmanError, match="unk"):
        make(word_dropout=0.5)


def test_tag_task_passes_word_dropout_and_the_unk_id(files, tmp_path):
    run = tmp_path / "w"
    data = str(files / "train.conllu")
    assert main(["train", "--task", "tag", "--data", data, "--valid", data, "--out", str(run),
                 "--max-steps", "2", "--word-dropout", "0.25", *TINY]) == 0
    config = json.loads((run / "best" / "config.json").read_text())
    vocab = json.loads((run / "best" / "vocab.json").read_text())
    assert config["arguments"]["word_dropout"] == 0.25
    assert vocab["tokens"][config["arguments"]["unk"]] == "<unk>"


def test_word_language_model_suggests_the_next_word(files, tmp_path, capsys):
    run = tmp_path / "w"
    assert main(["train", "--data", str(files / "story.txt"), "--level", "word", "--out",
                 str(run), "--max-steps", "80", "--eval-every", "40", "--seq-len", "10",
                 "--sample-length", "5", "--valid-fraction", "0.1", "--split-blocks", "4",
                 *TINY]) == 0
    capsys.readouterr()
    assert main(["next", str(run), "Hey, I will be late to the", "-k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("office\t")
    assert float(lines[0].split("\t")[1]) > 0.5
    assert main(["eval", str(run), "--data", str(files / "story.txt"), "--seq-len", "10",
                 "--batch-size", "1"]) == 0
    scored, loss, bits, _, count = capsys.readouterr().out.splitlines()
    assert scored == f"scored: file {files / 'story.txt'}"
    assert loss.endswith(" nats/word") and bits.startswith("bits per word: ")
    assert count == f"words: {len(STORY.split()) - 1:,}"


def test_subword_language_model_trains_generates_and_decodes(files, tmp_path, capsys):
    from elman.cli.run import load_run
    run = tmp_path / "s"
    assert main(["train", "--data", str(files / "story.txt"), "--level", "subword",
                 "--subwords", "60", "--out", str(run), "--max-steps", "40", "--eval-every",
                 "40", "--seq-len", "10", "--sample-length", "20", "--split-blocks", "4",
                 *TINY]) == 0
    sample = capsys.readouterr().out.split("sample (temperature 0.8):\n")[1]
    assert sample.strip() and "\u2581" not in sample          # pieces decoded to text
    model, task = load_run(run)
    ids = task.pieces.ids(STORY)
    assert task.vocab.level == "subword" and task.pieces.text(
        [task.vocab.tokens[i] for i in ids]) == STORY                   # exact decoding
    assert len(task.vocab) <= 60                    # fewer where the text has fewer
    assert main(["eval", str(run), "--data", str(files / "story.txt"), "--seq-len", "10",
                 "--batch-size", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].endswith(" nats/subword") and lines[-1] == f"subwords: {len(ids) - 1:,}"
    assert main(["generate", str(run), "--prompt", "Hey, I", "--length", "30", "--seed",
                 "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Hey, I") and "\u2581" not in out
    (top, _), *_ = task.predict([model.model], ["Hey, I will be"], k=3)[0]
    assert isinstance(top, str) and "\u2581" not in top


# --- bad input -------------------------------------------------------------------------


def test_parser_errors_name_file_and_line():
    with pytest.raises(ElmanError, match=r"^data: expected a row with a text and a non-empty "
                                         r"label, got 1 field\(s\) at r.tsv:3$"):
        parse_rows("sentence\tlabel\ngood\t1\nno label here\n", "r.tsv")
    with pytest.raises(ElmanError, match=r"^data: expected a CoNLL-U line of 10 tab-separated "
                                         r"columns, got 3 at t.conllu:5$"):
        parse_conllu(CONLLU.replace("3\tbarks\tbark\tVERB\tVBZ\t_\t0\troot\t_\t",
                                    "3\tbarks\tbark"), "t.conllu")
    with pytest.raises(ElmanError, match=r"^data: expected a valid CoNLL-U line, got Failed "
                                         r"parsing field 'id'.* at t.conllu:3$"):
        parse_conllu(CONLLU.replace("1\tThe", "x\tThe"), "t.conllu")
    with pytest.raises(ElmanError, match=r"^data: expected a file with some rows, got 'e.tsv', "
                                         r"which is empty$"):
        parse_rows("\n\n", "e.tsv")
    with pytest.raises(ElmanError, match=r"^data: expected a CoNLL-U file with some sentences"):
        parse_conllu("# only a comment\n", "e.conllu")


def test_cli_errors_are_one_line_and_write_nothing(files, tmp_path, capsys):
    empty, latin = tmp_path / "empty.tsv", tmp_path / "latin.tsv"
    empty.write_text("", encoding="utf-8")
    latin.write_bytes("caf\xe9 cr\xe8me\t1\n".encode("latin-1"))
    cases = [
        (["train", "--task", "classify", "--data", str(empty), "--out", str(tmp_path / "a")],
         "data: expected a file with some text, got '.*empty.tsv', which is empty"),
        (["train", "--task", "classify", "--data", str(latin), "--out", str(tmp_path / "b")],
         "data: expected a UTF-8 text file, got '.*latin.tsv' with byte 0xe9 at offset 3"),
        (["train", "--task", "tag", "--out", str(tmp_path / "c")],
         "data: expected a file \\(--data FILE\\) for the tag task, got none"),
    ]
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert __import__("re").match(f"elman: error: {message}", err), err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_unseen_label_at_evaluation(files, tmp_path, capsys):
    run = tmp_path / "c"
    assert main(["train", "--task", "classify", "--data", str(files / "reviews.tsv"),
                 "--out", str(run), "--max-steps", "2", "--eval-every", "2", *TINY]) == 0
    (tmp_path / "new.tsv").write_text("good film\t1\nso so\tneutral\n", encoding="utf-8")
    assert main(["eval", str(run), "--data", str(tmp_path / "new.tsv"),
                 "--plot", str(tmp_path / "cm.png")]) == 2
    assert capsys.readouterr().err == ("elman: error: data: expected labels the model knows "
                                       f"(0, 1), got 'neutral' at {tmp_path / 'new.tsv'}:2\n")
    assert not (tmp_path / "cm.png").exists()
    assert main(["eval", str(run), "--json"]) == 0            # the held-out split: 1 of 8 rows
    assert json.loads(capsys.readouterr().out)["count"] == 1
    assert main(["next", str(run), "good"]) == 2
    assert "expected a run of a task with the next command (lm), got a classify run" in \
        capsys.readouterr().err                               # the CLI finds no next command


@pytest.mark.parametrize("monitor", ["accuracy", "loss"])
def test_best_model_is_picked_by_the_monitored_figure(files, tmp_path, monitor):
    run = tmp_path / monitor
    assert main(["train", "--task", "classify", "--data", str(files / "reviews.tsv"), *TINY,
                 "--valid-fraction", "0.5", "--lr", "0.05", "--max-steps", "12",
                 "--eval-every", "1", "--monitor", monitor, "--out", str(run)]) == 0
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    key, sign = ("accuracy", -1) if monitor == "accuracy" else ("valid_loss", 1)
    best = min(rows, key=lambda r: sign * r[key])        # the first of equals, as the trainer
    picked = json.loads((run / "best/trainer_state.json").read_text())
    assert picked["step"] == best["step"]


def test_monitor_must_be_a_figure_of_the_task(files, tmp_path, capsys):
    assert main(["train", "--task", "lm", "--data", str(files / "story.txt"), "--level", "word",
                 *TINY, "--max-steps", "2", "--monitor", "accuracy",
                 "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err == "elman: error: monitor: expected a figure the lm task reports (loss), got " \
        "'accuracy'\n"
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("task,name,extra", [
    ("classify", "reviews.tsv", []), ("tag", "train.conllu", ["--char-dim", "8"])])
def test_resume_continues_a_labelled_task_exactly(files, tmp_path, task, name, extra):
    from elman.io.checkpoint import read_tensors
    args = ["train", "--task", task, "--data", str(files / name), *TINY, *extra,
            "--dropout", "0.3", "--batch-size", "2", "--valid-fraction", "0.3",
            "--eval-every", "3"]
    assert main([*args, "--max-steps", "10", "--out", str(tmp_path / "whole")]) == 0
    assert main([*args, "--max-steps", "6", "--out", str(tmp_path / "part")]) == 0
    assert main(["train", "--resume", str(tmp_path / "part"), "--max-steps", "10"]) == 0
    whole = read_tensors(tmp_path / "whole/checkpoint/model.safetensors")
    resumed = read_tensors(tmp_path / "part/checkpoint/model.safetensors")
    assert whole.keys() == resumed.keys()
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)
