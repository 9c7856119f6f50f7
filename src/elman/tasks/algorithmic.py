"""The algorithmic tasks: sort, reverse, copy a sequence of integers, or add two numbers
written as digits, generated on the fly from a seed (``elman.data.synthetic``).

Data: a fixed held-out set of ``valid_size`` sources drawn from ``split_seed``; training
batches of new sources every step (none of them held out), or a fixed set of ``train_size``.
Vocabularies: the source tokens (the integers 0..vocab-1, or the digits and '+'), no unknown
token (an input outside them is an error); the target tokens plus <s> and </s>. Model:
``elman.models.EncoderDecoder``. Metrics: loss, teacher-forced accuracy and, from greedy
decoding, exact match and token accuracy.
"""

import hashlib
import json
from typing import TYPE_CHECKING

import torch

from ..data import synthetic
from ..data.pairs import Pair, PairBatches
from ..data.vocab import Vocab
from ..errors import bad
from .seq2seq import Seq2SeqTask, exact_match, token_accuracy, with_specials

if TYPE_CHECKING:
    from ..training.config import TrainConfig


class AlgorithmicTask(Seq2SeqTask):
    """sort, reverse, copy or add (the task name in the config says which)."""

    monitor = "exact_match"

    def __init__(self, train: "TrainConfig", vocab: Vocab | None = None, meta: dict | None = None):
        self.setup(train, vocab, meta)
        kind, lengths, V = self.kind, self.lengths, train.vocab
        valid = synthetic.held_out(kind, lengths, V, train.valid_size, train.split_seed)
        exclude = frozenset(tuple(s) for s in valid)
        self.valid_batches = self.batches([self.pair(s) for s in valid])
        if train.train_size is None:
            self.train_batches = synthetic.FreshBatches(
                kind, lengths, V, train.batch_size, self.pair, self.bos, self.eos, exclude,
                train.seed)
        else:
            g = torch.Generator().manual_seed(train.seed)
            sources = synthetic.draw_many(kind, lengths, V, train.train_size, g, exclude)
            self.train_batches = PairBatches([self.pair(s) for s in sources], train.batch_size,
                                             self.bos, self.eos, train.seed)
        fixed = [kind, train.length, V, train.valid_size, train.train_size, train.split_seed]
        self.fingerprint = hashlib.sha256(json.dumps(fixed).encode()).hexdigest()
        self.source = f"{kind} of {train.length} {'digits' if kind == 'add' else 'numbers'}"

    def setup(self, train: "TrainConfig", vocab: Vocab | None, meta: dict | None):
        """Everything but the data: config, lengths and vocabularies."""
        self.cfg, self.kind, self.name = train, train.task, train.task
        self.lengths = synthetic.parse_lengths("length", train.length)
        self.vocab = vocab if vocab is not None else \
            Vocab(synthetic.source_tokens(self.kind, train.vocab), "word")
        self.set_target(Vocab.from_dict(meta["target"]) if meta else
                        with_specials(synthetic.target_tokens(self.kind, train.vocab), None))

    @classmethod
    def from_checkpoint(cls, ck, train: "TrainConfig") -> "AlgorithmicTask":
        """The task of a trained model, for predict (draws no data)."""
        task = cls.__new__(cls)
        task.setup(train, ck.vocab, ck.meta)
        return task

    def pair(self, source: list[str]) -> Pair:
        answer = synthetic.target(self.kind, source)
        return Pair([self.vocab.index[t] for t in source],
                    [self.target.index[t] for t in answer])

    def meta(self) -> dict:
        return {"target": self.target.to_dict()}

    def describe(self) -> str:
        what = f"{self.lengths[0]}-{self.lengths[1]}"
        unit = "digits per number" if self.kind == "add" else \
            f"integers from 0-{self.cfg.vocab - 1}"
        train = "new sequences every batch" if self.cfg.train_size is None else \
            f"{self.cfg.train_size:,} training sequences"
        return (f"task: {self.kind} {what} {unit}; {train}, {self.cfg.valid_size:,} held out "
                f"(seed {self.cfg.split_seed})")

    def max_output(self, S: int) -> int:
        """Decoding steps for sources of S tokens: the answer's length and eos."""
        return S + 1 if self.kind != "add" else S + 2

    @staticmethod
    def report(valid: dict) -> str:
        return (f"valid exact match: {valid['exact_match']:.2%}, token accuracy: "
                f"{valid['token_accuracy']:.2%} (greedy, {valid['sequences']:,} sequences; loss "
                f"{valid['loss']:.4f} nats per token)")

    def evaluate(self, model, batches: PairBatches | None = None,
                 max_batches: int | None = None, beam: int = 1,
                 length_penalty: float = 1.0) -> dict:
        """{"loss", "accuracy" (teacher forced), "exact_match", "token_accuracy",
        "tokens", "sequences"} on the held-out set (or ``batches``)."""
        stats, found, gold, _ = self.run(model, batches or self.valid_batches, max_batches,
                                         beam, length_penalty)
        return {**stats, "exact_match": exact_match(found, gold),
                "token_accuracy": token_accuracy(found, gold), "sequences": len(gold)}

    def parse(self, line: str, where: str) -> list[str]:
        """A user's source -> tokens, checked against what the model was trained on."""
        tokens = synthetic.split_source(self.kind, line)
        if not tokens:
            raise bad("input", f"a non-empty {self.kind} input", f"an empty one at {where}")
        if self.kind == "add":
            return self.parse_sum(tokens, line, where)
        wrong = next((t for t in tokens if t not in self.vocab.index), None)
        if wrong is not None:
            raise bad("input", f"integers in 0..{len(self.vocab) - 1} separated by spaces",
                      f"{wrong!r} at {where}")
        if len(tokens) > self.lengths[1]:
            raise bad("input", f"at most {self.lengths[1]} integers (the longest the model "
                      "was trained on)", f"{len(tokens)} at {where}")
        return tokens

    def parse_sum(self, tokens: list[str], line: str, where: str) -> list[str]:
        numbers = "".join(tokens).split("+")
        if len(numbers) != 2 or not all(n.isascii() and n.isdigit() for n in numbers):
            raise bad("input", "two numbers joined by '+', such as 12 + 345", f"{line!r} at "
                      f"{where}")
        if max(len(n) for n in numbers) > self.lengths[1]:
            raise bad("input", f"numbers of at most {self.lengths[1]} digits (the longest the "
                      "model was trained on)", f"{line!r} at {where}")
        return list(str(int(numbers[0]))) + ["+"] + list(str(int(numbers[1])))

    def predict_lines(self, model, lines: list[str], name: str, beam: int = 1,
                      length_penalty: float = 1.0) -> list[str]:
        """The model's answer to each input line."""
        self.check_beam(beam, length_penalty)
        sources = [self.parse(line, f"{name}:{i + 1}") for i, line in enumerate(lines)]
        pairs = [Pair([self.vocab.index[t] for t in s], []) for s in sources]
        _, found, _, _ = self.run(model, self.batches(pairs), None, beam, length_penalty)
        sep = "" if self.kind == "add" else " "
        return [sep.join(self.target.tokens[i] for i in ids) for ids in found]
