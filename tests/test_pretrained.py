"""``elman.load``: each fixture run, loaded in Python, answers as the command line does; a
folder of another format version is refused with a message naming who wrote it."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import elman
from elman.cli import main
from elman.io import checkpoint
from elman.tasks import TASKS

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
RUNS = FIXTURES / "v0" / "runs"           # format 1, written before the config had sections
DATA = FIXTURES / "v0" / "data"
RUNS1 = FIXTURES / "v1" / "runs"          # format 2: the tasks added after v0
DATA1 = FIXTURES / "v1" / "data"
WAV = str(DATA / "wavs" / "3_bob_1.wav")


@pytest.fixture
def cli(monkeypatch, capsys):
    """``cli(argv)``: the stdout lines of ``elman ARGV`` run from the repository root."""
    monkeypatch.chdir(ROOT)

    def run(*argv) -> list[str]:
        capsys.readouterr()
        assert main([str(a) for a in argv]) == 0
        return capsys.readouterr().out.splitlines()
    return run


def test_every_task_module_has_a_fixture_run():
    """Every fixture folder's runs (tests/fixtures/v*/runs) load; together they cover every
    task module (copy and reverse are sort's module with other data)."""
    names = {elman.load(p).task.name for p in FIXTURES.glob("v*/runs/*")}
    module = {name: entry[0].split(":")[0] for name, entry in TASKS.items()}
    assert {"frames", "caption", "reply", "adding", "copy-memory", "parity"} <= names
    assert {module[n] for n in names} == set(module.values())


def test_load_gives_the_task_the_model_and_the_checkpoint():
    m = elman.load(RUNS / "classify")
    assert m.task.name == "classify" and m.path == RUNS / "classify" / "best"
    assert m.config.task == "classify" and m.model.config["hidden_sizes"] == [4]
    assert isinstance(elman.load(RUNS / "classify" / "checkpoint"), elman.Pretrained)


def test_word_lm_next_words_are_the_clis(cli):
    want = [line.split("\t") for line in cli("next", RUNS / "lm-word", "the cat", "-k", "3")]
    got = elman.load(RUNS / "lm-word").predict(["the cat"], k=3)[0]
    assert [t for t, _ in got] == [t for t, _ in want]
    assert [f"{p:.4f}" for _, p in got] == [p for _, p in want]


def test_char_lm_next_characters_are_the_models_softmax():
    m = elman.load(RUNS / "lm")
    ids = torch.tensor([m.task.vocab.encode("The ")])
    with torch.no_grad():
        p = m.model.eval()(ids)[0][0, -1].softmax(-1)                 # (V,)
    top = p.topk(3)
    got = m.predict(["The "], k=3)[0]
    assert [t for t, _ in got] == [m.task.vocab.tokens[i] for i in top.indices]
    assert [q for _, q in got] == pytest.approx(top.values.tolist(), abs=1e-6)


def test_classify_labels_are_the_clis(cli):
    rows = [line.split("\t") for line in cli("predict", RUNS / "classify", "--input",
                                             DATA / "classify.tsv")]
    got = elman.load(RUNS / "classify").predict([text for text, _ in rows])
    assert [g["label"] for g in got] == [label for _, label in rows]
    assert all(sum(g["probabilities"].values()) == pytest.approx(1) for g in got)


def test_tag_tags_are_the_clis(cli):
    conllu = "\n".join(cli("predict", RUNS / "tag", "--input", DATA / "tag.conllu"))
    rows = [[line.split("\t") for line in block.splitlines() if not line.startswith("#")]
            for block in conllu.strip().split("\n\n")]
    sentences = [[cols[1] for cols in sentence] for sentence in rows]
    assert elman.load(RUNS / "tag").predict(sentences) == \
        [[cols[3] for cols in sentence] for sentence in rows]


def test_digits_and_digit_sequences_are_the_clis(cli):
    digit, probability = cli("transcribe", RUNS / "digits", WAV)[0].split("\t")
    got = elman.load(RUNS / "digits").predict([WAV])[0]
    assert (got["digit"], f"{got['probability']:.4f}") == (digit, probability)
    heard = cli("transcribe", RUNS / "digit-sequences", WAV)[0]
    assert elman.load(RUNS / "digit-sequences").predict([WAV]) == [heard]


def test_forecast_is_the_clis(cli):
    lines = cli("forecast", RUNS / "forecast-sunspots", "--steps", "1", "--origin", "end",
                "--plot", "/dev/null")
    m = elman.load(RUNS / "forecast-sunspots")
    history = m.task.load(None).values
    got = m.predict([list(history)])[0]
    assert f"{got[0]:.6g}" == lines[1].split("\t")[1]


@pytest.mark.parametrize("run, text, flags", [("sort", "5 3 9 1", ()), ("add", "12 + 7", ()),
                                               ("translate", "I am cold.", ("--beam", "2"))])
def test_sequence_answers_are_the_clis(run, text, flags, cli):
    verb = "translate" if run == "translate" else "predict"
    want = "\n".join(cli(verb, RUNS / run, text, *flags))
    got = elman.load(RUNS / run).predict([text], **({"beam": 2} if flags else {}))[0]
    assert (got["translation"] if run == "translate" else got) == want


def test_music_samples_a_piece_again_with_its_seed():
    m = elman.load(RUNS / "music")
    piece = m.predict([[60, 64, 67]], length=8, seed=1)[0]
    assert len(piece) == 8 and piece[0] == [60, 64, 67]
    assert all(21 <= p <= 108 for frame in piece for p in frame)
    assert m.predict([[60, 64, 67]], length=8, seed=1)[0] == piece


def test_frames_label_is_the_clis(cli):
    png = DATA1 / "digit.png"
    _, label, probability = cli("predict", RUNS1 / "frames", "--input", png)[0].split("\t")
    m = elman.load(RUNS1 / "frames")
    got = m.predict([str(png)])[0]
    assert (got["label"], f"{got['probability']:.4f}") == (label, probability)
    from PIL import Image
    pixels = (np.asarray(Image.open(png)) / 255).tolist()   # floats, as the label route's
    sent = m.task.predict_arrays([m.model], [pixels])[0]
    assert sent["label"] == got["label"]
    assert sent["probability"] == pytest.approx(got["probability"], abs=1e-6)


def test_caption_is_the_clis_and_reads_bytes_as_paths(cli):
    images = [DATA1 / "row.png", DATA1 / "digit.png"]
    want = [line.split("\t")[1] for line in cli("caption", RUNS1 / "caption", *images,
                                                "--beam", "2")]
    m = elman.load(RUNS1 / "caption")
    assert [g["caption"] for g in m.predict([str(p) for p in images], beam=2)] == want
    assert [g["caption"] for g in m.predict([p.read_bytes() for p in images],
                                            beam=2)] == want


def test_reply_suggestions_are_the_clis(cli):
    lines = cli("reply", RUNS1 / "reply", "thank you", "--k", "2", "--json")
    want = json.loads(lines[0])["replies"]
    got = elman.load(RUNS1 / "reply").predict(["thank you"], k=2)[0]["replies"]
    assert [r["text"] for r in got] == [r["text"] for r in want]
    assert [r["score"] for r in got] == pytest.approx([r["score"] for r in want], rel=1e-6)


@pytest.mark.parametrize("run", ["adding", "copy-memory", "parity"])
def test_memory_answers_are_the_clis(run, cli):
    from elman.tasks.memory import answer_text
    path = DATA1 / f"{run}.txt"
    want = cli("predict", RUNS1 / run, "--input", path)
    got = elman.load(RUNS1 / run).predict(path.read_text(encoding="utf-8").splitlines())
    assert [answer_text(a) for a in got] == want


def test_inputs_must_be_a_list():
    with pytest.raises(elman.ElmanError, match="inputs: expected a list of inputs"):
        elman.load(RUNS / "classify").predict("a cold story")


def copy_with_format(tmp_path, version) -> Path:
    run = tmp_path / "lm"
    shutil.copytree(RUNS / "lm", run)
    config = json.loads((run / "best" / "config.json").read_text())
    config["format"] = version
    (run / "best" / "config.json").write_text(json.dumps(config))
    return run


@pytest.mark.parametrize("version, says", [
    (checkpoint.FORMAT + 1, "written by a newer elman: upgrade elman"),
    (checkpoint.OLDEST - 1, "written by an elman older than any this one reads"),
    ("2", "an integer under 'format'")])
def test_another_format_is_refused_naming_who_wrote_it(tmp_path, version, says):
    run = copy_with_format(tmp_path, version)
    with pytest.raises(elman.ElmanError, match=f"checkpoint: expected .*{says}"):
        elman.load(run)


def test_both_formats_this_elman_writes_and_reads_load(tmp_path):
    """Format 1 (the fixtures) and format 2 (what checkpoint.save writes now) answer
    alike."""
    old = elman.load(RUNS / "lm")
    new = tmp_path / "new"
    checkpoint.save(new, old.model, old.task.vocab, old.config.to_dict())
    saved = json.loads((new / "config.json").read_text())
    assert saved["format"] == checkpoint.FORMAT == 2
    a, b = old.predict(["The "]), elman.load(new).predict(["The "])
    assert np.allclose([p for _, p in a[0]], [p for _, p in b[0]])
