"""The algorithmic tasks: sort, reverse, copy a sequence of integers, or add two numbers
written as digits, generated on the fly from a seed (``elman.data.synthetic``).

Data: a fixed held-out set of ``valid_size`` sources drawn from ``split_seed``; training
batches of new sources every step (none of them held out), or a fixed set of ``train_size``.
The test split, which ``elman eval RUN --split test`` scores and nothing else reads, is
``valid_size`` more distinct sources drawn from ``synthetic.test_seed(split_seed)``, none of
them held out for validation (nor, with ``train_size``, in the training set).
No files are read for training; ``elman eval RUN --data FILE`` scores a file of sources, one a
line as ``elman predict`` reads them ("5 3 9 1", "12 + 345"; the answers are computed), and
``elman eval RUN --seed N`` a fresh set of ``valid_size`` sources drawn from seed N.
Vocabularies: the source tokens (the integers 0..vocab-1, or the digits and '+'), no unknown
token (an input outside them is an error); the target tokens plus <s> and </s>. Model:
``elman.models.EncoderDecoder``. Metrics: loss, teacher-forced accuracy and, from greedy
decoding, exact match and token accuracy.

One class per task (``SortTask``, ``ReverseTask``, ``CopyTask``, ``AddTask``); its ``name`` is
the ``elman.data.synthetic`` kind it draws.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from ..data import synthetic
from ..data.pairs import Pair, PairBatches
from ..data.vocab import Vocab
from ..errors import bad
from ..io.inputs import input_lines, read_input, writable, write_output
from ..options import opt, parse_count, parse_optional, parse_positive_int
from .base import TEST, Command, Route, Scored, eval_command, export_command, flag, print_metrics
from .seq2seq import (
    BEAM,
    BEAM_PARAMS,
    EVAL_BATCH,
    INPUT,
    LENGTH_PENALTY,
    OUTPUT,
    Seq2SeqOptions,
    Seq2SeqTask,
    beam_flags,
    decoding,
    exact_match,
    one_model,
    token_accuracy,
    with_specials,
)

if TYPE_CHECKING:
    from ..training.config import TrainConfig


def parse_lengths(name, v):
    """'1-10' or '10' (or an int), checked, kept as text."""
    synthetic.parse_lengths(name, v)
    return str(v).replace(" ", "")


@dataclass
class AlgorithmicOptions(Seq2SeqOptions):
    """Settings of the algorithmic tasks."""

    length: str = opt("1-10", parse_lengths, "numbers per sequence (add: digits per number); "
                      "a length (10) or a range (1-10)", "N[-M]")
    valid_size: int = opt(1000, parse_positive_int, "sequences in the fixed held-out set "
                          "(drawn from split_seed)")
    train_size: int | None = opt(None, parse_optional(parse_positive_int), "a fixed training "
                                 "set of this many sequences (none: new random sequences "
                                 "every batch)")


@dataclass
class NumbersOptions(AlgorithmicOptions):
    """Settings of the tasks over sequences of integers."""

    vocab: int = opt(10, parse_positive_int, "the integers 0..vocab-1", "N")


SEED = flag("--seed", default=None, metavar="N", help="score a fresh set of valid_size inputs "
            "drawn from this seed instead (default: the run's held-out set, drawn from its "
            "split_seed)")


class AlgorithmicTask(Seq2SeqTask):
    """Base of sort, reverse, copy and add: a subclass sets ``name`` (the kind of
    ``elman.data.synthetic`` it draws)."""

    Options = NumbersOptions
    monitor = "exact_match"
    separator = " "               # between the tokens of an answer
    unit = "numbers"              # what a sequence holds, for the data's name
    commands = (
        eval_command(BEAM, LENGTH_PENALTY, SEED, help="exact match and token accuracy of the "
                     "decoded answers to the run's held-out inputs (--split test: its test "
                     "inputs), to --seed N's or to those of --data FILE",
                     data=flag("--data", metavar="PATH", help="a file of inputs, one per line "
                               "as predict reads them (e.g. 5 3 9 1, or 12 + 345); their "
                               "answers are computed (default: the run's held-out set)")),
        Command("predict", "the model's answer to each input", "cmd_predict", (
            flag("text", nargs="?", help="one input, e.g. \"5 3 9 1\" or \"12 + 345\" (or "
                 "give --input)"),
            INPUT, OUTPUT, BEAM, LENGTH_PENALTY)),
        export_command(),
    )
    routes = (
        Route("predict", "the model's answer to each input", "predict",
              input='an input line, e.g. "5 3 9 1" or "12 + 345"', params=BEAM_PARAMS),
    )

    def __init__(self, options, *, vocab: Vocab | None = None, meta: dict | None = None):
        super().__init__(options, vocab=vocab, meta=meta)
        self.lengths = synthetic.parse_lengths("length", options.length)
        if self.vocab is None:
            self.vocab = Vocab(synthetic.source_tokens(self.name, self.numbers), "word")
        if self.target is None:
            self.set_target(with_specials(synthetic.target_tokens(self.name, self.numbers),
                                          None))

    @property
    def numbers(self) -> int:
        """The integers of a sequence are 0..numbers-1."""
        return self.options.vocab

    # --- data ------------------------------------------------------------------------------

    def load(self, path: str | None, argument: str = "data") -> list[list[str]]:
        """The sources of a file (or stdin, "-"), one a line as ``predict`` reads them."""
        if path is None:
            raise bad(argument, f"a file of {self.name} inputs, one per line (the task "
                      "generates its own data)", "none")
        text, name = read_input(path, argument)
        return [self.parse(line, f"{name}:{k}", argument)
                for k, line in enumerate(text.splitlines(), 1) if line.strip()]

    def held_out(self, seed: int, exclude: frozenset = frozenset()) -> list[list[str]]:
        """``valid_size`` distinct sources drawn from ``seed``, none in ``exclude`` (the
        held-out set of a run is drawn from its split_seed)."""
        return synthetic.held_out(self.name, self.lengths, self.numbers,
                                  self.options.valid_size, seed, exclude)

    def test_set(self, train: "TrainConfig") -> list[list[str]]:
        """The run's test sources: ``valid_size`` distinct draws from the test seed of its
        split_seed, none of them held out for validation nor in a fixed training set."""
        exclude = frozenset(tuple(s) for s in self.held_out(train.split_seed))
        if self.options.train_size is not None:
            exclude |= {tuple(s) for s in self.fixed_training(train, exclude)}
        return self.held_out(synthetic.test_seed(train.split_seed), exclude)

    def fixed_training(self, train: "TrainConfig", exclude: frozenset) -> list[list[str]]:
        """The ``train_size`` training sources, drawn from ``train.seed`` around the held-out
        ones (``exclude``)."""
        g = torch.Generator().manual_seed(train.seed)
        return synthetic.draw_many(self.name, self.lengths, self.numbers,
                                   self.options.train_size, g, exclude)

    def setup(self, train: "TrainConfig"):
        o, kind, V = self.options, self.name, self.numbers
        for name, value in (("data", train.data), ("valid", train.valid)):
            if value is not None:
                raise bad(name, f"none: the {kind} task generates its data (elman eval RUN "
                          "--data FILE scores a file of inputs)", repr(value))
        valid = self.held_out(train.split_seed)
        exclude = frozenset(tuple(s) for s in valid)
        self.valid_batches = self.eval_batches(valid, train)
        if o.train_size is None:
            self.train_batches = synthetic.FreshBatches(
                kind, self.lengths, V, train.batch_size, self.pair, self.bos, self.eos,
                exclude, train.seed)
        else:
            sources = self.fixed_training(train, exclude)
            self.train_batches = PairBatches([self.pair(s) for s in sources], train.batch_size,
                                             self.bos, self.eos, train.seed)
        fixed = [kind, o.length, V, o.valid_size, o.train_size, train.split_seed]
        self.fingerprint = hashlib.sha256(json.dumps(fixed).encode()).hexdigest()
        self.source = f"{kind} of {o.length} {self.unit}"
        self.split_seed = train.split_seed

    def eval_batches(self, sources: list[list[str]], train: "TrainConfig") -> PairBatches:
        """Decoding batches of sources and their computed answers, in order."""
        return self.batches([self.pair(s) for s in sources], train.batch_size)

    def pair(self, source: list[str]) -> Pair:
        answer = synthetic.target(self.name, source)
        return Pair([self.vocab.index[t] for t in source],
                    [self.target.index[t] for t in answer])

    # --- records ---------------------------------------------------------------------------

    def meta(self) -> dict:
        return {"target": self.target.to_dict()}

    def describe(self) -> str:
        o = self.options
        what = f"{self.lengths[0]}-{self.lengths[1]}"
        train = "new sequences every batch" if o.train_size is None else \
            f"{o.train_size:,} training sequences"
        return (f"task: {self.name} {what} {self.what()}; {train}, {o.valid_size:,} held out "
                f"(seed {self.split_seed})")

    def what(self) -> str:
        """What a sequence holds, for ``describe``."""
        return f"integers from 0-{self.numbers - 1}"

    def source_usage(self) -> str:
        return ("source tokens: the input's numbers or digits and '+' as elman predict reads "
                "them (elman.data.synthetic.split_source); the answer: the output tokens "
                f"joined by {self.separator!r}")

    # --- model -----------------------------------------------------------------------------

    def max_output(self, S: int) -> int:
        """Decoding steps for sources of S tokens: the answer's length and eos."""
        return S + 1

    def report(self, metrics: dict) -> str:
        return (f"valid exact match: {metrics['exact_match']:.2%}, token accuracy: "
                f"{metrics['token_accuracy']:.2%} (greedy, {metrics['sequences']:,} "
                f"sequences; loss {metrics['loss']:.4f} nats per token)")

    def evaluate(self, model, batches: PairBatches | None = None, *,
                 max_batches: int | None = None, beam: int = 1,
                 length_penalty: float = 1.0) -> dict:
        """{"loss", "accuracy" (teacher forced), "exact_match", "token_accuracy",
        "tokens", "sequences"} on the held-out set (or ``batches``)."""
        stats, found, gold, _ = self.decode_batches(
            model, self.valid_batches if batches is None else batches, max_batches, beam,
            length_penalty)
        return {**stats, "exact_match": exact_match(found, gold),
                "token_accuracy": token_accuracy(found, gold), "sequences": len(gold)}

    # --- inputs and answers ----------------------------------------------------------------

    def parse(self, line: str, where: str, argument: str = "input") -> list[str]:
        """A user's source -> tokens, checked against what the model was trained on."""
        if not isinstance(line, str):
            raise bad(argument, "a string", type(line).__name__)
        tokens = synthetic.split_source(self.name, line)
        if not tokens:
            raise bad(argument, f"a non-empty {self.name} input", f"an empty one at {where}")
        return self.check(tokens, line, where, argument)

    def check(self, tokens: list[str], line: str, where: str, argument: str) -> list[str]:
        wrong = next((t for t in tokens if t not in self.vocab.index), None)
        if wrong is not None:
            raise bad(argument, f"integers in 0..{len(self.vocab) - 1} separated by spaces",
                      f"{wrong!r} at {where}")
        if len(tokens) > self.lengths[1]:
            raise bad(argument, f"at most {self.lengths[1]} integers (the longest the model "
                      "was trained on)", f"{len(tokens)} at {where}")
        return tokens

    def answers(self, model, lines: list[str], name: str, beam: int = 1,
                length_penalty: float = 1.0, batch_size: int = EVAL_BATCH) -> list[str]:
        """The model's answer to each input line (``name``: where the lines come from, for
        errors)."""
        self.check_beam(beam, length_penalty)
        sources = [self.parse(line, f"{name}:{i + 1}") for i, line in enumerate(lines)]
        pairs = [Pair([self.vocab.index[t] for t in s], []) for s in sources]
        _, found, _, _ = self.decode_batches(model, self.batches(pairs, batch_size), None, beam,
                                             length_penalty)
        return [self.separator.join(self.target.tokens[i] for i in ids) for ids in found]

    def predict(self, models: list, inputs: list[str], *, beam: int = 1,
                length_penalty: float = 1.0) -> list[str]:
        """The answer to each input ("5 3 9 1" -> "1 3 5 9"; "12 + 345" -> "357")."""
        return self.answers(one_model(models), list(inputs), "input", beam, length_penalty)

    # --- commands --------------------------------------------------------------------------

    def cmd_predict(self, run, args) -> int:
        lines, name = input_lines(args.text, args.input)
        beam, penalty = beam_flags(args)
        if args.output:
            writable(args.output, "output")
        found = self.answers(run.model, lines, name, beam, penalty, run.config.train.batch_size)
        write_output("".join(f"{line}\n" for line in found), args.output)
        return 0

    def test_data(self, run) -> tuple[PairBatches, Scored]:
        """Decoding batches of ``test_set``."""
        train = run.config.train
        sources = self.test_set(train)
        return self.eval_batches(sources, train), Scored(
            TEST, f"the test split ({len(sources):,} inputs drawn from the test seed of "
            f"split_seed {train.split_seed}, never used to choose best/)")

    def scored_data(self, run, args, *, train: "TrainConfig | None" = None
                    ) -> tuple[PairBatches, Scored]:
        """The base's choice (--data, --split), or a fresh set drawn from --seed."""
        seed = parse_optional(parse_count)("seed", args.seed)
        if seed is None:
            return super().scored_data(run, args, train=train)
        if args.data is not None:
            raise bad("seed", "no --seed with --data (the file's inputs are scored)", seed)
        if args.split is not None:
            raise bad("seed", "no --seed with --split (--seed N scores a set of its own)", seed)
        sources = self.held_out(seed)
        return self.eval_batches(sources, train or run.config.train), Scored(
            "seed", f"{len(sources):,} inputs drawn from seed {seed}")

    def cmd_eval(self, run, args) -> int:
        """Exact match, token accuracy and loss on the held-out set, the test set, a set
        drawn from --seed, or the inputs of --data."""
        beam, penalty = beam_flags(args)
        batches, scored = self.scored_data(run, args)
        r = self.evaluate(run.model, batches, beam=beam, length_penalty=penalty)
        print_metrics(r, args, lambda r: (
            f"exact match: {r['exact_match']:.4f} ({r['sequences']:,} sequences, "
            f"{decoding(beam, penalty)})\n"
            f"token accuracy: {r['token_accuracy']:.4f}\n"
            f"loss: {r['loss']:.4f} nats per token (teacher forced accuracy "
            f"{r['accuracy']:.4f})"), scored)
        return 0


class SortTask(AlgorithmicTask):
    """Sort a sequence of integers: 5 3 9 1 -> 1 3 5 9."""

    name = "sort"


class ReverseTask(AlgorithmicTask):
    """Reverse a sequence of integers: 5 3 9 1 -> 1 9 3 5."""

    name = "reverse"


class CopyTask(AlgorithmicTask):
    """Copy a sequence of integers: 5 3 9 1 -> 5 3 9 1."""

    name = "copy"


class AddTask(AlgorithmicTask):
    """Add two numbers written digit by digit: 1 2 + 3 4 5 -> 3 5 7."""

    name = "add"
    Options = AlgorithmicOptions
    separator = ""
    unit = "digits"

    @property
    def numbers(self) -> int:
        """Digits 0-9 (10: the vocab default of the tasks over integers, kept in the
        fingerprint of add runs)."""
        return 10

    def what(self) -> str:
        return "digits per number"

    def max_output(self, S: int) -> int:
        """A sum has at most one digit more than its longer number."""
        return S + 2

    def check(self, tokens: list[str], line: str, where: str, argument: str) -> list[str]:
        numbers = "".join(tokens).split("+")
        if len(numbers) != 2 or not all(n.isascii() and n.isdigit() for n in numbers):
            raise bad(argument, "two numbers joined by '+', such as 12 + 345",
                      f"{line!r} at {where}")
        if max(len(n) for n in numbers) > self.lengths[1]:
            raise bad(argument, f"numbers of at most {self.lengths[1]} digits (the longest the "
                      "model was trained on)", f"{line!r} at {where}")
        return list(str(int(numbers[0]))) + ["+"] + list(str(int(numbers[1])))
