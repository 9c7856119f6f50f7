"""Optional libraries: importing elman loads none of them, and a missing one is a one-line
error naming the extra that installs it."""

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from elman import ElmanError
from elman.cli import main
from elman.extras import EXTRAS, missing_extra, require

CORE = ["elman", "elman.nn", "elman.models", "elman.reference", "elman.data.text",
        "elman.data.vocab", "elman.losses"]
LOWER = ["elman.data", "elman.data.audio", "elman.data.batching", "elman.data.conllu",
         "elman.data.features", "elman.data.labeled", "elman.data.music", "elman.data.pairs",
         "elman.data.sequences", "elman.data.series", "elman.data.synthetic",
         "elman.data.tokenizers", "elman.data.vectors", "elman.data.words", "elman.bleu",
         "elman.baselines", "elman.music", "elman.runtime", "elman.nn.summary",
         "elman.export", "elman.export.bundle", "elman.data.clips", "elman.data.digit_images",
         "elman.data.dialogue", "elman.retrieval", "elman.tasks.reply"]


def loaded_optional(modules: list[str]) -> list[str]:
    """The optional packages in sys.modules of a fresh interpreter after importing modules."""
    code = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            f"print(sorted(p for p in {sorted(EXTRAS)!r} if p in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return eval(done.stdout)


@pytest.mark.parametrize("modules", [CORE, LOWER], ids=["core", "lower-floors"])
def test_importing_elman_loads_no_optional_package(modules):
    assert loaded_optional(modules) == []


def block(monkeypatch, package: str) -> None:
    """Make ``package`` and its submodules unimportable (None in sys.modules)."""
    for name in [package] + [m for m in sys.modules if m.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)


def expected(package: str, extra: str | None = None) -> str:
    extra = extra or EXTRAS[package]
    return (f"{extra}: expected the optional package {package} "
            f"(pip install 'elman[{extra}]'), got ")


@pytest.mark.parametrize("package", sorted(EXTRAS))
def test_a_missing_optional_package_names_its_extra(monkeypatch, package):
    block(monkeypatch, package)
    with pytest.raises(ElmanError) as e:
        require(package)
    message = str(e.value)
    assert message.startswith(expected(package)) and package in message.split("got ")[1]
    assert len(message.splitlines()) == 1
    with pytest.raises(ModuleNotFoundError) as failed:
        __import__(package)
    assert str(missing_extra(failed.value)) == message


def test_extras_table_and_messages(monkeypatch):
    assert set(EXTRAS.values()) == {"text", "speech", "music", "forecast", "serve", "export",
                                    "frames", "reply"}
    block(monkeypatch, "statsmodels")
    with pytest.raises(ElmanError, match=r"^forecast: .*statsmodels \(pip install "
                                         r"'elman\[forecast\]'\)"):
        require("statsmodels.tsa.arima.model")
    block(monkeypatch, "soundfile")
    with pytest.raises(ElmanError, match=r"^music: .*\(pip install 'elman\[music\]'\)"):
        require("soundfile", "music")
    assert missing_extra(ModuleNotFoundError("No module named 'nope'", name="nope")) is None
    error = missing_extra(ModuleNotFoundError("No module named 'librosa'", name="librosa"))
    assert str(error) == expected("librosa") + "no module named 'librosa'"


def silent_wav(path, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.zeros(rate // 10, np.int16).tobytes())


def read_wav(tmp_path):
    from elman.data.audio import read_wav
    silent_wav(tmp_path / "0_ann_0.wav")
    return read_wav(tmp_path / "0_ann_0.wav", 8000)


def resample(tmp_path):
    from elman.data.audio import read_wav
    silent_wav(tmp_path / "0_ann_0.wav")
    return read_wav(tmp_path / "0_ann_0.wav", 16000)


def scores(tmp_path):
    from elman.bleu import corpus_scores
    return corpus_scores(["a cat"], [["a cat"]])


def conllu(tmp_path):
    from elman.data.conllu import parse_conllu
    return parse_conllu("1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n", "t.conllu")


def series(tmp_path):
    from elman.data.series import load_series
    (tmp_path / "s.csv").write_text("y\n1\n2\n3\n")
    return load_series(str(tmp_path / "s.csv"))


def sunspots(tmp_path):
    from elman.data.series import load_series
    return load_series(None)


def subwords(tmp_path):
    from elman.data.tokenizers import Pieces
    return Pieces.train(["a cat sat"] * 10, 20)


def chatterbot(tmp_path):
    from elman.data.dialogue import corpus_pairs
    return corpus_pairs()


def tfidf(tmp_path):
    from elman.retrieval import tfidf_scores
    return tfidf_scores(["hi"], [0], ["hi"], 1, str.split)


def midi(tmp_path):
    import torch

    from elman.music import write_midi
    return write_midi(tmp_path / "a.mid", torch.zeros(4, 88))


def synth(tmp_path):
    import torch

    from elman.music import write_wav
    return write_wav(tmp_path / "a.wav", torch.zeros(4, 88))


@pytest.mark.parametrize("call,package,extra", [
    (read_wav, "soundfile", None), (resample, "librosa", None), (scores, "sacrebleu", None),
    (conllu, "conllu", None), (series, "pandas", None), (sunspots, "statsmodels", None),
    (subwords, "sentencepiece", None), (midi, "mido", None), (synth, "soundfile", "music"),
    (chatterbot, "chatterbot_corpus", None), (tfidf, "sklearn", None)])
def test_a_call_that_needs_a_missing_extra_says_so(tmp_path, monkeypatch, call, package, extra):
    block(monkeypatch, package)
    with pytest.raises(ElmanError) as e:
        call(tmp_path)
    assert str(e.value).startswith(expected(package, extra))
    assert len(str(e.value).splitlines()) == 1


def test_serve_without_its_extra_says_so(monkeypatch, capsys):
    block(monkeypatch, "fastapi")
    run = Path(__file__).parent / "fixtures" / "v0" / "runs" / "lm"
    assert main(["serve", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("elman: error: " + expected("fastapi")), err
