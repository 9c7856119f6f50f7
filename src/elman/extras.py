"""Optional libraries: which extra of ``pip install 'elman[EXTRA]'`` brings each one.

``pip install elman`` brings what the engine, the reference, the models, the trainer and the
language-model task need; the other tasks' libraries come with an extra (``all``: every one).
Modules that use one import it on first use through ``require``, so a missing library is one
line naming the command that installs it:

    speech: expected the optional package librosa (pip install 'elman[speech]'), got no module
    named 'librosa'
"""

import importlib

from .errors import ElmanError, bad

EXTRAS = {
    "conllu": "text",
    "sacrebleu": "text",
    "sentencepiece": "text",
    "tokenizers": "text",
    "wordllama": "text",
    "librosa": "speech",
    "soundfile": "speech",      # also in "music"
    "mido": "music",
    "pandas": "forecast",
    "statsmodels": "forecast",
    "fastapi": "serve",
    "uvicorn": "serve",
    "onnx": "export",
    "onnxruntime": "export",
    "PIL": "frames",
    "chatterbot_corpus": "reply",
    "sklearn": "reply",
}


def missing(package: str, got: str, extra: str | None = None) -> ElmanError:
    """The error for an optional ``package`` (a key of EXTRAS) that cannot be imported."""
    extra = extra or EXTRAS[package]
    return bad(extra, f"the optional package {package} (pip install 'elman[{extra}]')", got)


def _reason(exc: ImportError) -> str:
    """"no module named 'librosa'": the first line of the error, lower-cased first letter."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text[:1].lower() + text[1:]


def require(module: str, extra: str | None = None):
    """The imported ``module`` (an optional package or one of its submodules, e.g.
    "statsmodels.tsa.arima.model"), or the one-line ElmanError naming its extra (``extra``
    overrides EXTRAS' choice, for a package in several extras)."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise missing(module.split(".")[0], _reason(e), extra) from None


def missing_extra(exc: ModuleNotFoundError) -> ElmanError | None:
    """The ElmanError for an import that failed on an optional package, else None."""
    package = (getattr(exc, "name", None) or "").split(".")[0]
    return missing(package, _reason(exc)) if package in EXTRAS else None
