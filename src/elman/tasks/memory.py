"""The long-range memory tasks: the adding problem, copy memory and the parity of a bit
stream, generated from a seed (``elman.data.long_range``), at any sequence length T
(``--length``).

Data: a fixed held-out set of ``valid_size`` sequences drawn from ``split_seed``; training
batches of new sequences every step, batch k of epoch e drawn from (seed, e, k) (full BPTT:
the state starts from zero in every batch). The test split, which ``elman eval RUN --split
test`` scores and nothing else reads, is ``valid_size`` more sequences drawn from
``synthetic.test_seed(split_seed)``. Inputs are real values (no vocabulary); held-out
sequences of continuous values are never trained on, but short bit streams repeat: the
2**T streams of parity at small T are all seen in training.
``elman eval RUN --data FILE`` scores a file of inputs, one a line as ``elman predict``
reads them (their answers are computed).

================  ========================  ===========================  ===============
task              model                     loss                         metrics
================  ========================  ===========================  ===============
adding            ManyToOne, 2 -> 1         squared error                MSE, within 0.04
copy-memory       ManyToMany, K+2 -> K+1    cross-entropy of every step  recalled symbols
parity            ManyToOne, 1 -> 2         cross-entropy                accuracy
parity, every     ManyToMany, 1 -> 2        cross-entropy of every step  accuracy, steps
================  ========================  ===========================  ===============

Parity's ``--target every`` labels every step with the running parity (the bits so far), so
each step is the XOR of the previous parity and the current bit; its accuracy is still that
of the final parity (comparable with ``--target end``), and ``step_accuracy`` that of every
step.
"""

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, ClassVar

import torch

from ..data import long_range, synthetic
from ..errors import bad
from ..io.inputs import input_lines, read_input, writable, write_output
from ..losses import cross_entropy, mse
from ..models import ManyToMany, ManyToOne
from ..options import opt, parse_choice, parse_integer, parse_positive_int
from .base import TEST, Command, Route, Scored, Task, eval_command, export_command, flag
from .seq2seq import INPUT, OUTPUT

if TYPE_CHECKING:
    from torch import nn

    from ..training.config import ModelConfig, TrainConfig

TOLERANCE = 0.04    # an adding answer this close counts as right (Hochreiter & Schmidhuber)


def parse_length(name, v):
    return parse_integer(name, v, lo=1)


@dataclass
class Options:
    """Settings of the adding task (and the base of the others')."""

    length: int = opt(100, parse_length, "steps per sequence (T)", "T")
    valid_size: int = opt(1000, parse_positive_int, "sequences in the fixed held-out set (and "
                          "in the test split), drawn from split_seed")


@dataclass
class CopyOptions(Options):
    """Settings of the copy-memory task."""

    length: int = opt(100, parse_length, "the delay: steps from the last symbol to the "
                      "delimiter (a sequence has T + 2N steps)", "T")
    symbols: int = opt(8, parse_positive_int, "the symbols 1..K to remember", "K")
    memorize: int = opt(10, parse_positive_int, "symbols per sequence, recalled after the "
                        "delimiter", "N")


@dataclass
class ParityOptions(Options):
    """Settings of the parity task."""

    target: str = opt("end", parse_choice(("end", "every")), "end: one answer after the last "
                      "bit; every: the running parity (of the bits so far) at every step")


DATA = flag("--data", metavar="PATH", help="a file of inputs, one per line as predict reads "
            "them; their answers are computed (default: the run's held-out set)")


class MemoryTask(Task):
    """Base of the three tasks: a subclass sets ``name``, ``example`` (an input line),
    ``output`` (what the model's y is, for the export's usage) and implements
    ``make_problem``, ``build_model``, ``loss``, ``scores``, ``report`` and ``answers``."""

    Options = Options
    example: ClassVar[str]
    output: ClassVar[str]
    commands = (
        eval_command(help="the metrics of the run's model on its held-out sequences "
                     "(--split test: its test sequences) or on the inputs of --data",
                     data=DATA),
        Command("predict", "the model's answer to each input", "cmd_predict", (
            flag("text", nargs="?", help="one input (or give --input)"), INPUT, OUTPUT)),
        export_command(),
    )
    routes = (Route("predict", "the model's answer to each input", "predict",
                    input="an input line, as elman predict reads it"),)

    def __init__(self, options, *, vocab=None, meta: dict | None = None):
        super().__init__(options, vocab=None, meta=meta)     # real values in: no tokens
        self.problem = self.make_problem()

    def make_problem(self):
        raise NotImplementedError

    # --- data ------------------------------------------------------------------------------

    def load(self, path: str) -> list[torch.Tensor]:
        """The inputs x (T_i, F) of a file (or stdin, "-"), one a line as ``predict`` reads
        them."""
        text, name = read_input(path, "data")
        return [self.problem.parse(line, f"{name}:{k}", "data")
                for k, line in enumerate(text.splitlines(), 1) if line.strip()]

    def setup(self, train: "TrainConfig"):
        for name, value in (("data", train.data), ("valid", train.valid)):
            if value is not None:
                raise bad(name, f"none: the {self.name} task generates its data (elman eval "
                          "RUN --data FILE scores a file of inputs)", repr(value))
        o = self.options
        long_range.check_fits(self.problem, max(o.valid_size, train.batch_size),
                              {"valid_size": o.valid_size, "batch_size": train.batch_size,
                               **self.sizes()})
        self.valid_batches = long_range.drawn(self.problem, o.valid_size, train.split_seed,
                                              train.batch_size)
        self.train_batches = long_range.Fresh(self.problem, train.batch_size, train.seed)
        fixed = [self.name, self.fixed_settings(), train.split_seed]
        self.fingerprint = hashlib.sha256(json.dumps(fixed).encode()).hexdigest()
        self.source = f"{self.name} at T={o.length}"
        self.split_seed = train.split_seed

    def sizes(self) -> dict[str, int]:
        """The settings that size a sequence, for errors: {name: value}."""
        return {"length": self.options.length}

    def fixed_settings(self) -> dict:
        """The options the data's fingerprint holds (a resumed run must have the same)."""
        return asdict(self.options)

    def eval_batches(self, inputs: list[torch.Tensor], train: "TrainConfig"):
        return long_range.batched(self.problem, inputs, train.batch_size)

    def test_data(self, run) -> tuple[long_range.Drawn, Scored]:
        """``valid_size`` sequences drawn from the test seed of the run's split_seed."""
        train = run.config.train
        batches = long_range.drawn(self.problem, self.options.valid_size,
                                   synthetic.test_seed(train.split_seed), train.batch_size)
        return batches, Scored(TEST, f"the test split ({batches.sequences:,} sequences drawn "
                               f"from the test seed of split_seed {train.split_seed}, never "
                               "used to choose best/)")

    def describe(self) -> str:
        return (f"task: {self.name}, {self.problem.steps} steps per sequence; "
                f"new sequences every batch, {self.options.valid_size:,} held out "
                f"(seed {self.split_seed})")

    def export_usage(self) -> list[str]:
        return [f"x (B, T, {self.problem.features}): the inputs, encoded as "
                f"elman.data.long_range.{type(self.problem).__name__}.parse encodes an input "
                f"line such as {self.example!r}; lengths (B,): T", self.output]

    # --- model -----------------------------------------------------------------------------

    def outputs(self, model: "nn.Module", batches) -> tuple[list, list]:
        """([the model's outputs], [the targets]) of every batch."""
        found, gold = [], []
        for batch in batches.epoch(0):
            found.append(run_model(model, batch.x))
            gold.append(batch.y)
        return found, gold

    def evaluate(self, model, batches=None, *, max_batches: int | None = None) -> dict:
        """The task's ``scores`` of the model on the held-out set (or ``batches``), over
        every sequence (``max_batches`` is not used: they are drawn in memory)."""
        found, gold = self.outputs(model, self.valid_batches if batches is None else batches)
        return self.scores(found, gold)

    def scores(self, found: list[torch.Tensor], gold: list[torch.Tensor]) -> dict:
        raise NotImplementedError

    def mean_output(self, models: list, x: torch.Tensor) -> torch.Tensor:
        """The models' mean output (probabilities for classes) for x (n, T, F)."""
        return torch.stack([self.vote_space(run_model(m, x)) for m in models]).mean(0)

    def vote_space(self, y: torch.Tensor) -> torch.Tensor:
        """What several models average: probabilities of classes (the default)."""
        return y.softmax(-1)

    def predict(self, models: list, inputs: list[str]) -> list:
        """The answer to each input line (adding: a number; copy-memory: the recalled
        symbols; parity: 0 or 1); several models: their mean."""
        return self.respond(models, inputs, [f"inputs[{i}]" for i in range(len(inputs))])

    def respond(self, models: list, lines: list[str], where: list[str]) -> list:
        """``predict`` of lines, ``where[i]`` naming line i for errors."""
        xs = [self.problem.parse(line, w) for line, w in zip(lines, where)]
        out: list = [None] * len(xs)
        by_length: dict[int, list[int]] = {}
        for i, x in enumerate(xs):
            by_length.setdefault(x.shape[0], []).append(i)
        for rows in by_length.values():
            answers = self.answers(self.mean_output(models, torch.stack([xs[i] for i in rows])))
            for i, a in zip(rows, answers):
                out[i] = a
        return out

    def answers(self, mean: torch.Tensor) -> list:
        raise NotImplementedError

    # --- commands --------------------------------------------------------------------------

    def cmd_predict(self, run, args) -> int:
        lines, name = input_lines(args.text, args.input)
        if args.output:
            writable(args.output, "output")
        where = [f"{name}:{k}" for k in range(1, len(lines) + 1)]
        found = self.respond([run.model], lines, where)
        write_output("".join(f"{answer_text(a)}\n" for a in found), args.output)
        return 0


def run_model(model: "nn.Module", x: torch.Tensor) -> torch.Tensor:
    """The output of ``model`` for x (n, T, F), in eval mode without gradients, on the CPU."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(x.to(next(model.parameters()).device)).float().cpu()
    finally:
        model.train(was_training)


def answer_text(answer) -> str:
    """An answer as predict prints it."""
    if isinstance(answer, list):
        return " ".join(str(a) for a in answer)
    return f"{answer:.6g}" if isinstance(answer, float) else str(answer)


class AddingTask(MemoryTask):
    """The adding problem: the sum of the two marked values of T, read at the end."""

    name = "adding"
    example = "0.3 0.9* 0.1 0.5*"
    output = "y (B, 1): the sum of the two marked values"

    def make_problem(self):
        return long_range.Adding(self.options.length)

    def build_model(self, model: "ModelConfig") -> ManyToOne:
        return ManyToOne(2, model.hidden_sizes, 1, model.cell, model.activation,
                         dropout=model.dropout)

    def loss(self, model, x, y, state=None):
        return mse(model(x), y), None

    def scores(self, found, gold) -> dict:
        """{"loss" = "mse", "accuracy" (within TOLERANCE), "chance" (the MSE of predicting 1
        always), "sequences"}."""
        found, gold = torch.cat(found), torch.cat(gold)
        error = (found - gold).double()
        value = float((error ** 2).mean())
        return {"loss": value, "mse": value,
                "accuracy": float((error.abs() < TOLERANCE).double().mean()),
                "chance": float(((gold - 1.0).double() ** 2).mean()), "sequences": len(gold)}

    def report(self, m: dict) -> str:
        return (f"MSE: {m['mse']:.4g} (predicting 1 always: {m['chance']:.4g}); within "
                f"{TOLERANCE}: {m['accuracy']:.2%} ({m['sequences']:,} sequences)")

    def vote_space(self, y: torch.Tensor) -> torch.Tensor:
        return y

    def answers(self, mean: torch.Tensor) -> list[float]:
        return [float(v) for v in mean[:, 0]]


class CopyMemoryTask(MemoryTask):
    """Copy memory: recall N symbols after a delay of T blank steps and a delimiter."""

    name = "copy-memory"
    Options = CopyOptions
    monitor = "accuracy"
    example = "3 1 4 1 5 2 6 5 3 5"
    output = ("y (B, T + 2N, K + 1) logits of blank (0) and the symbols 1..K: the argmax of "
              "the last N steps are the recalled symbols")

    def make_problem(self):
        o = self.options
        return long_range.CopyMemory(o.length, o.symbols, o.memorize)

    def sizes(self) -> dict[str, int]:
        o = self.options
        return {"length": o.length, "symbols": o.symbols, "memorize": o.memorize}

    def build_model(self, model: "ModelConfig") -> ManyToMany:
        p = self.problem
        return ManyToMany(p.features, model.hidden_sizes, p.classes, model.cell,
                          model.activation, dropout=model.dropout)

    def loss(self, model, x, y, state=None):
        return cross_entropy(model(x), y, reduction="step"), None

    def scores(self, found, gold) -> dict:
        """{"loss" (nats per step, every step), "accuracy" (of the recalled symbols),
        "exact_match" (sequences recalled whole), "chance" (the loss of blanks and then a
        uniform guess), "sequences"}."""
        N, K = self.problem.N, self.problem.K
        logits, gold = torch.cat(found), torch.cat(gold)
        right = logits[:, -N:].argmax(-1) == gold[:, -N:]
        return {"loss": float(cross_entropy(logits, gold, reduction="step")),
                "accuracy": float(right.double().mean()),
                "exact_match": float(right.all(1).double().mean()),
                "chance": N * math.log(K) / gold.shape[1], "sequences": len(gold)}

    def report(self, m: dict) -> str:
        return (f"recalled symbols: {m['accuracy']:.2%} right, {m['exact_match']:.2%} of "
                f"sequences whole (chance {1 / self.problem.K:.2%}); loss {m['loss']:.4g} "
                f"nats per step (blanks then a guess: {m['chance']:.4g}; "
                f"{m['sequences']:,} sequences)")

    def answers(self, mean: torch.Tensor) -> list[list[int]]:
        return mean[:, -self.problem.N:].argmax(-1).tolist()


class ParityTask(MemoryTask):
    """Parity: whether an odd number of T bits are 1, read at the end (``--target end``) or
    at every step as the parity of the bits so far (``--target every``)."""

    name = "parity"
    Options = ParityOptions
    monitor = "accuracy"
    example = "0110 1"

    @property
    def every(self) -> bool:
        return self.options.target == "every"

    @property
    def output(self) -> str:
        if self.every:
            return ("y (B, T, 2) logits: the argmax of step t is the parity of bits 1..t "
                    "(1: an odd number of ones), the last step's that of the input")
        return "y (B, 2) logits: the argmax is the parity (1: an odd number of ones)"

    def fixed_settings(self) -> dict:
        """The options, without ``target`` when it is "end": runs from before ``--target``
        resume."""
        return {k: v for k, v in asdict(self.options).items()
                if (k, v) != ("target", "end")}

    def make_problem(self):
        kind = long_range.RunningParity if self.every else long_range.Parity
        return kind(self.options.length)

    def build_model(self, model: "ModelConfig") -> ManyToOne | ManyToMany:
        kind = ManyToMany if self.every else ManyToOne
        return kind(1, model.hidden_sizes, 2, model.cell, model.activation,
                    dropout=model.dropout)

    def loss(self, model, x, y, state=None):
        return cross_entropy(model(x), y, reduction="step" if self.every else "sequence"), None

    def scores(self, found, gold) -> dict:
        """{"loss" (nats per sequence; every: per step), "accuracy" (of the final parity),
        "sequences"; every: "step_accuracy" (of every step's running parity)}. Batches of
        ``every`` may differ in length."""
        if not self.every:
            logits, gold = torch.cat(found), torch.cat(gold)
            return {"loss": float(cross_entropy(logits, gold)),
                    "accuracy": float((logits.argmax(-1) == gold).double().mean()),
                    "sequences": len(gold)}
        last = torch.cat([f[:, -1] for f in found]).argmax(-1)
        steps = torch.cat([f.reshape(-1, 2) for f in found])
        labels = torch.cat([g.reshape(-1) for g in gold])
        return {"loss": float(cross_entropy(steps, labels)),
                "accuracy": float((last == torch.cat([g[:, -1] for g in gold])).double().mean()),
                "step_accuracy": float((steps.argmax(-1) == labels).double().mean()),
                "sequences": len(last)}

    def report(self, m: dict) -> str:
        steps = (f"every step: {m['step_accuracy']:.2%}; loss {m['loss']:.4g} nats per step"
                 if self.every else f"loss {m['loss']:.4g} nats")
        return (f"accuracy: {m['accuracy']:.2%} (chance 50%; {m['sequences']:,} sequences); "
                f"{steps}")

    def answers(self, mean: torch.Tensor) -> list[int]:
        return (mean[:, -1] if self.every else mean).argmax(-1).tolist()
