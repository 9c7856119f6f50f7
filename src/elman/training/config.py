"""Run configuration: what to build (ModelConfig) and how to train it (TrainConfig).

Values come from, in increasing priority: the defaults below (the main job: a character
language model on the built-in corpus in about four minutes on two CPU cores), a YAML or TOML
file (``--config``) and command-line flags. A file may be flat (``lr: 0.001``) or sectioned
(``model: {cell: lstm}``, ``train: {lr: 0.001}``); an unknown key is an error naming it.
Every field is parsed and checked here, at the boundary; the resolved config is saved as JSON
in every run folder and checkpoint.
"""

import json
import math
import tomllib
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

import yaml

from ..data.vectors import SOURCES as VECTORS
from ..errors import bad
from ..models.encoder_decoder import ATTENTIONS
from ..models.many_to_one import POOLINGS
from ..nn.cells import ACTIVATIONS, CELLS
from ..tasks import SEQ2SEQ, TASKS

# --- parsers: value from a file (typed) or a flag (a string) -> checked Python value ----------


def parse_integer(name, v, lo=None):
    if isinstance(v, str):
        try:
            v = int(v.strip())
        except ValueError:
            raise bad(name, "an integer", repr(v)) from None
    if isinstance(v, bool) or not isinstance(v, int):
        raise bad(name, "an integer", repr(v))
    if lo is not None and v < lo:
        raise bad(name, f"an integer >= {lo}", v)
    return v


def parse_number(name, v):
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            raise bad(name, "a number", repr(v)) from None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise bad(name, "a finite number", repr(v))
    return float(v)


def parse_flag(name, v):
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return v.strip().lower() in ("true", "yes", "1")
    raise bad(name, "true or false", repr(v))


def parse_sizes(name, v):
    """An int, a list of ints, or a string '256' / '4,10,20' -> list of positive ints."""
    if isinstance(v, str):
        parts = [p for p in v.replace(" ", "").split(",") if p]
        v = [parse_integer(name, p) for p in parts] if parts else v
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list) or not v or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in v):
        raise bad(name, "positive layer widths such as 256 or 256,256", repr(v))
    return v


def parse_choice(options):
    def parse(name, v):
        if v not in options:
            raise bad(name, f"one of {list(options)}", repr(v))
        return v
    return parse


def parse_text(name, v):
    if not isinstance(v, str) or not v:
        raise bad(name, "a non-empty string", repr(v))
    return v


def parse_optional(parse):
    def parse_optional(name, v):
        if v is None or (isinstance(v, str) and v.strip().lower() in ("none", "null", "")):
            return None
        return parse(name, v)
    return parse_optional


def parse_positive_int(name, v):
    return parse_integer(name, v, lo=1)


def parse_count(name, v):
    return parse_integer(name, v, lo=0)


def parse_positive(name, v):
    v = parse_number(name, v)
    if not v > 0:
        raise bad(name, "a number > 0", v)
    return v


def parse_nonneg(name, v):
    v = parse_number(name, v)
    if v < 0:
        raise bad(name, "a number >= 0", v)
    return v


def parse_fraction(name, v):
    v = parse_number(name, v)
    if not 0.0 <= v < 1.0:
        raise bad(name, "a number in [0, 1)", v)
    return v


def parse_probability(name, v):
    v = parse_number(name, v)
    if not 0.0 <= v <= 1.0:
        raise bad(name, "a number in [0, 1]", v)
    return v


def parse_lengths(name, v):
    """'1-10' or '10' (or an int), checked, kept as text."""
    from ..data.synthetic import parse_lengths as lengths
    lengths(name, v)
    return str(v).replace(" ", "")


def parse_arima_order(name, v):
    """ "auto" or "p,d,q" (three integers >= 0) -> "auto" or "p,d,q" normalised."""
    if isinstance(v, str) and v.strip().lower() == "auto":
        return "auto"
    parts = v.replace(" ", "").split(",") if isinstance(v, str) else v
    if not isinstance(parts, list) or len(parts) != 3:
        raise bad(name, "auto or an ARIMA order p,d,q such as 2,0,1", repr(v))
    return ",".join(str(parse_integer(name, x, lo=0)) for x in parts)


def opt(default, parse, help: str, metavar: str | None = None, tasks: tuple = ()):
    """A config field: its default, parser, the help text of its flag and the tasks it applies
    to (empty: all; named first in the help; ``check_tasks`` refuses a value other than the
    default elsewhere)."""
    help = f"{', '.join(tasks)}: {help}" if tasks else help
    meta = dict(parse=parse, help=help, metavar=metavar, tasks=tasks)
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


# the tasks of the settings that apply to some tasks only
LABELS = ("classify", "tag")
TAG = ("tag",)
POOLED = ("classify", "digits")
EMBEDDED = ("classify", "tag", "digits", "digit-sequences", "music")
LM = ("lm",)
CLASSIFY = ("classify",)
SPEECH = ("digits", "digit-sequences")
SEQUENCES = ("digit-sequences",)
ALGORITHMIC = ("sort", "reverse", "copy", "add")
NUMBERS = ("sort", "reverse", "copy")
TRANSLATE = ("translate",)
FORECAST = ("forecast",)


# --- the two configs -----------------------------------------------------------------------


@dataclass
class ModelConfig:
    """The network: cell, layer widths, embedding width, activation and dropout."""

    cell: str = opt("gru", parse_choice(CELLS), "recurrent cell")
    hidden_sizes: list = opt([384], parse_sizes, "layer widths, e.g. 256 or 256,256", "H[,H...]")
    embed_dim: int = opt(64, parse_positive_int, "token embedding width")
    activation: str = opt("tanh", parse_choice(sorted(ACTIVATIONS)), "f of the Elman cell")
    dropout: float = opt(0.2, parse_fraction, "dropout between layers and before the output")
    embed_dropout: float = opt(0.0, parse_fraction, "dropout on the word embeddings "
                               "(classify, tag) or the input frames (the others)",
                               tasks=EMBEDDED)
    word_dropout: float = opt(0.0, parse_fraction, "read a training word as "
                              "<unk> with this probability, so <unk> (every unseen word) is "
                              "learned", tasks=LABELS)
    bidirectional: bool = opt(False, parse_flag, "add a reverse direction to every layer "
                              "(classify, tag; the encoder of sort, reverse, copy, add, "
                              "translate)")
    char_dim: int = opt(0, parse_count, "character embedding width of a character word "
                        "encoder for unseen words (0: none)", tasks=TAG)
    char_hidden: int = opt(32, parse_positive_int, "width per direction of that encoder",
                           tasks=TAG)
    pooling: str = opt("last", parse_choice(list(POOLINGS)), "the top outputs "
                       "as one vector: last (final state), max or mean over the real steps",
                       tasks=POOLED)
    attention: str = opt("none", parse_choice(ATTENTIONS),
                         "the decoder attends to the encoder outputs with an additive, "
                         "multiplicative or scaled multiplicative score (none: the final "
                         "state only)", tasks=SEQ2SEQ)


@dataclass
class TrainConfig:
    """Data, optimisation, budget, evaluation and output of one training run."""

    task: str = opt("lm", parse_choice(TASKS), "task: lm (language model), classify (TSV/CSV "
                    "text and label), tag (CoNLL-U), digits (spoken digit WAVs), "
                    "digit-sequences (CTC over joined digit WAVs), forecast (CSV time series), "
                    "music (JSON piano rolls), sort, reverse, copy, add (generated sequences), "
                    "translate (TSV of sentence pairs)")
    data: str | None = opt(None, parse_optional(parse_text), "lm: UTF-8 text file (default: "
                           "Python's built-in documentation, 'pydoc'); forecast: CSV (default: "
                           "the yearly sunspots bundled with statsmodels); music: JSON pieces; "
                           "digits, digit-sequences: a folder of WAVs; translate: TSV of "
                           "sentence pairs", "FILE")
    valid: str | None = opt(None, parse_optional(parse_text), "classify, tag: validation file "
                            "(default: a seeded valid_fraction of --data)", "FILE")
    level: str = opt("char", parse_choice(("char", "word")), "character or word tokens",
                     tasks=LM)
    min_count: int = opt(1, parse_positive_int, "keep words seen at least this often in "
                         "training; the rest read as <unk> (word vocabularies)")
    lowercase: bool = opt(False, parse_flag, "lower-case words before the vocabulary")
    vectors: str = opt("none", parse_choice(VECTORS), "frozen pretrained word vectors "
                       "read beside the learned embedding, every word (seen in training or "
                       "not) as the mean of its pieces' vectors: wordllama (WordLlama's 256-dim "
                       "table, from the wordllama package) or none", tasks=CLASSIFY)
    text_column: str = opt("0", parse_text, "text column, an index or header name",
                           tasks=CLASSIFY)
    label_column: str = opt("-1", parse_text, "label column, an index or header name",
                            tasks=CLASSIFY)
    header: str = opt("auto", parse_choice(("auto", "yes", "no")), "the first row "
                      "is a header (auto: when it names the columns)", tasks=CLASSIFY)
    tag_field: str = opt("upos", parse_choice(("upos", "xpos")), "the CoNLL-U column to "
                         "predict", tasks=TAG)
    valid_fraction: float = opt(0.1, parse_fraction, "fraction of the text held out for validation")
    split_seed: int = opt(0, parse_count, "seed of the train/valid split")
    split_blocks: int = opt(50, parse_positive_int, "contiguous blocks the text is cut into; a "
                            "seeded valid_fraction of them is held out (1: hold out the end)",
                            tasks=LM)
    seq_len: int = opt(100, parse_positive_int, "steps per window (BPTT length)")
    batch_size: int = opt(32, parse_positive_int, "sequences per batch")
    bptt: str = opt("truncated", parse_choice(("truncated", "full")),
                    "truncated: stateful streams, state carried across windows; full: "
                    "shuffled independent windows, state reset every batch")
    optimizer: str = opt("adam", parse_choice(("adam", "sgd")), "optimizer")
    lr: float = opt(2e-3, parse_positive, "learning rate")
    momentum: float = opt(0.9, parse_fraction, "SGD momentum")
    weight_decay: float = opt(0.0, parse_nonneg, "L2 weight decay")
    lr_schedule: str = opt("plateau", parse_choice(("constant", "cosine", "step", "plateau")),
                           "after warmup: constant; cosine to 0 at max_steps or at the "
                           "max_minutes budget, whichever comes first; step: times "
                           "lr_gamma every lr_step_size steps; plateau: times lr_gamma after "
                           "each evaluation that does not improve the monitored validation figure")
    warmup: int = opt(0, parse_count, "steps of linear learning-rate warmup")
    lr_step_size: int = opt(1000, parse_positive_int, "steps between decays (lr_schedule=step)")
    lr_gamma: float = opt(0.5, parse_positive, "decay factor (lr_schedule=step or plateau)")
    lr_patience: int = opt(1, parse_positive_int, "plateau: decay after this many evaluations "
                           "in a row without a better monitored figure")
    ema: float | None = opt(None, parse_optional(parse_fraction), "keep an exponential moving "
                            "average of the weights, each step average = ema * average + "
                            "(1 - ema) * weights (e.g. 0.998); validation, best/ and so "
                            "predictions use the average (none: the weights themselves)")
    clip: float | None = opt(1.0, parse_optional(parse_positive), "clip the gradient norm to this "
                             "(none: no clipping)")
    max_steps: int = opt(100_000, parse_positive_int, "stop after this many optimizer steps")
    max_minutes: float | None = opt(4.0, parse_optional(parse_positive), "stop after this many "
                                    "minutes of training (none: no time budget)")
    eval_every: int = opt(100, parse_positive_int, "validate (and checkpoint) every N steps")
    eval_batches: int | None = opt(None, parse_optional(parse_positive_int), "validation "
                                   "batches per periodic evaluation (none: all; the final "
                                   "one uses all)")
    monitor: str = opt("auto", parse_choice(("auto", "loss", "accuracy", "exact_match", "bleu")),
                       "the validation figure that picks best/, early stopping and plateau "
                       "decays: loss (lower is better) or the task's own (higher): accuracy "
                       "for classify, tag and digits, exact_match for sort, reverse, copy and "
                       "add, bleu for translate; auto: the task's own (loss for the others)")
    patience: int | None = opt(None, parse_optional(parse_positive_int), "stop after N evaluations "
                               "without a better monitored figure (none: never)")
    seed: int = opt(0, parse_count, "seed of initialisation, dropout and batch order")
    out: str | None = opt(None, parse_optional(parse_text), "run folder (default: runs/<time>)",
                          "DIR")
    device: str = opt("cpu", parse_text, "torch device: cpu, cuda, cuda:1, mps")
    sample_length: int = opt(400, parse_count, "characters to generate after training")
    temperature: float = opt(0.8, parse_positive, "sampling temperature of that sample")
    top_k: int | None = opt(None, parse_optional(parse_positive_int), "sample only from the k most "
                            "likely tokens")
    features: str = opt("logmel", parse_choice(("logmel", "mfcc")),
                        "log-mel spectrum or MFCCs per frame", tasks=SPEECH)
    sample_rate: int = opt(8000, parse_positive_int, "samples per second the WAVs are read at "
                           "(others are resampled)", tasks=SPEECH)
    n_mels: int = opt(40, parse_positive_int, "mel filters", tasks=SPEECH)
    n_mfcc: int = opt(13, parse_positive_int, "cepstral coefficients (features=mfcc)", tasks=SPEECH)
    hop_ms: float = opt(10.0, parse_positive, "milliseconds between frames", tasks=SPEECH)
    window_ms: float = opt(25.0, parse_positive, "milliseconds per analysis window", tasks=SPEECH)
    max_digits: int = opt(5, parse_positive_int, "digits per utterance, 1..max_digits",
                          tasks=SEQUENCES)
    utterances: int = opt(2000, parse_positive_int, "training utterances drawn per epoch",
                          tasks=SEQUENCES)
    valid_utterances: int = opt(500, parse_positive_int, "validation utterances", tasks=SEQUENCES)
    length: str = opt("1-10", parse_lengths, "numbers per sequence (add: digits per number); "
                      "a length (10) or a range (1-10)", "N[-M]", tasks=ALGORITHMIC)
    vocab: int = opt(10, parse_positive_int, "the integers 0..vocab-1", "N", tasks=NUMBERS)
    valid_size: int = opt(1000, parse_positive_int, "sequences in the fixed held-out set "
                          "(drawn from split_seed)", tasks=ALGORITHMIC)
    train_size: int | None = opt(None, parse_optional(parse_positive_int), "a fixed training "
                                 "set of this many sequences (none: new random sequences "
                                 "every batch)", tasks=ALGORITHMIC)
    max_words: int | None = opt(None, parse_optional(parse_positive_int), "keep the pairs of "
                                "at most this many words per side (none: all)", tasks=TRANSLATE)
    subwords: int | None = opt(None, parse_optional(parse_positive_int),
                               "sentencepiece vocabulary size per side, trained on the training "
                               "pairs (none: word vocabularies)", "N", tasks=TRANSLATE)
    teacher_forcing: float = opt(1.0, parse_probability,
                                 "probability that the decoder reads the true previous token "
                                 "(else its own guess) at the start of training", tasks=SEQ2SEQ)
    teacher_forcing_final: float | None = opt(None, parse_optional(parse_probability),
                                              "the teacher_forcing probability reached "
                                              "linearly after teacher_forcing_steps (none: no "
                                              "decay)", tasks=SEQ2SEQ)
    teacher_forcing_steps: int = opt(10_000, parse_positive_int, "the steps of that decay",
                                     tasks=SEQ2SEQ)
    label_smoothing: float = opt(0.0, parse_probability, "the training loss's target puts "
                                 "this probability uniformly on all tokens (validation loss: "
                                 "unsmoothed)", tasks=SEQ2SEQ)
    column: str | None = opt(None, parse_optional(parse_text), "the CSV column to forecast "
                             "(default: the only numeric one)", "NAME", tasks=FORECAST)
    time_column: str | None = opt(None, parse_optional(parse_text), "a column of times or "
                                  "dates to sort by and plot against (default: row order)",
                                  "NAME", tasks=FORECAST)
    missing: str = opt("error", parse_choice(("error", "interpolate")), "missing values are "
                       "an error, or filled by linear interpolation", tasks=FORECAST)
    window: int = opt(24, parse_positive_int, "past values read per forecast", tasks=FORECAST)
    horizon: int = opt(1, parse_positive_int, "future values predicted per forecast "
                       "(1: one step ahead)", tasks=FORECAST)
    forecast_shape: str = opt("many_to_one", parse_choice(("many_to_one", "many_to_many")),
                              "many_to_one predicts the next horizon values from the "
                              "final state; many_to_many predicts them at every step of the "
                              "window (more training signal; the last step is the forecast)",
                              tasks=FORECAST)
    arima_order: str = opt("auto", parse_arima_order, "the ARIMA baseline's order p,d,q, "
                           "or auto (the lowest AIC on the training part of AR(1..10) "
                           "and ARMA(0..3, 1..2))", "P,D,Q", tasks=FORECAST)
    quiet: bool = opt(False, parse_flag, "no progress bar")


CONFIGS = {"model": ModelConfig, "train": TrainConfig}


def field_names(cls) -> list[str]:
    return [f.name for f in fields(cls)]


def parse_value(cls, name: str, value):
    """Parse and check one field of ModelConfig or TrainConfig."""
    f = next(f for f in fields(cls) if f.name == name)
    return f.metadata["parse"](name, value)


def make(cls, values: dict):
    """Build a config from raw values (strings or typed), checking every field."""
    known = field_names(cls)
    for k in values:
        if k not in known:
            raise bad(cls.__name__, f"fields among {known}", f"unknown key {k!r}")
    return cls(**{k: parse_value(cls, k, v) for k, v in values.items()})


def load_file(path) -> dict:
    """Read a YAML (.yaml, .yml) or TOML (.toml) config into {"model": {...}, "train": {...}}."""
    p = Path(path)
    if not p.is_file():
        raise bad("config", "an existing .yaml, .yml or .toml file", repr(str(p)))
    try:
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".toml":
            raw = tomllib.loads(text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            raw = yaml.safe_load(text)
        else:
            raise bad("config", "a file ending in .yaml, .yml or .toml", repr(str(p)))
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise bad("config", "valid YAML or TOML", f"{str(p)!r}: {first}") from None
    return sort_keys(raw or {}, str(p))


def sort_keys(raw, where: str) -> dict:
    """Put each key of a flat or sectioned mapping into its section; unknown keys -> error."""
    if not isinstance(raw, dict):
        raise bad("config", "a mapping of settings", f"{type(raw).__name__} in {where}")
    out = {"model": {}, "train": {}}
    owner = {n: s for s, cls in CONFIGS.items() for n in field_names(cls)}
    for key, value in raw.items():
        if key in CONFIGS and isinstance(value, dict):
            for k, v in value.items():
                if k not in field_names(CONFIGS[key]):
                    raise bad("config", f"{key} settings among {field_names(CONFIGS[key])}",
                              f"unknown key {key}.{k} in {where}")
                out[key][k] = v
        elif key in owner:
            out[owner[key]][key] = value
        else:
            raise bad("config", "known settings (see elman train --help)",
                      f"unknown key {key!r} in {where}")
    return out


def resolve(file: str | None = None,
            overrides: dict | None = None) -> tuple[ModelConfig, TrainConfig]:
    """Defaults <- config file <- overrides (flat {field: value}, e.g. from flags)."""
    values = load_file(file) if file else {"model": {}, "train": {}}
    for section, vals in sort_keys(overrides or {}, "the flags").items():
        values[section].update(vals)
    model, train = make(ModelConfig, values["model"]), make(TrainConfig, values["train"])
    check_tasks(model, train)
    return model, train


def check_tasks(model: ModelConfig, train: TrainConfig):
    """Refuse a setting of other tasks than ``train.task`` (one left at its default passes),
    rather than ignore it."""
    for config in (model, train):
        for f in fields(config):
            tasks, value = f.metadata["tasks"], getattr(config, f.name)
            if tasks and train.task not in tasks and value != default_of(type(config), f.name):
                raise bad(f.name, f"a setting of the {', '.join(tasks)} task"
                          f"{'s' if len(tasks) > 1 else ''} (left at its default "
                          f"{default_of(type(config), f.name)!r} for {train.task})",
                          f"{value!r}")


def to_dict(model: ModelConfig, train: TrainConfig) -> dict:
    return {"model": asdict(model), "train": asdict(train)}


def from_dict(d: dict) -> tuple[ModelConfig, TrainConfig]:
    """Read back ``to_dict`` output (e.g. from a checkpoint's config.json)."""
    values = sort_keys(d, "config.json")
    return make(ModelConfig, values["model"]), make(TrainConfig, values["train"])


def save_json(model: ModelConfig, train: TrainConfig) -> str:
    return json.dumps(to_dict(model, train), indent=2) + "\n"


def default_of(cls, name: str):
    f = next(f for f in fields(cls) if f.name == name)
    return f.default_factory() if f.default is MISSING else f.default
