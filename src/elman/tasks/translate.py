"""The translation task: sentence pairs ``source<TAB>target`` in, a translation out.

Data: ``elman.data.pairs`` rows (pairs longer than ``max_words`` words on either side
dropped). Held out: a ``--valid`` file, or a seeded ``valid_fraction`` of the distinct
sources with all their pairs (``split_by_source``: sources compared by their words, lower-cased
when ``lowercase``), so no held-out source sentence occurs in training. Tokens: words, or with
``subwords`` a sentencepiece model per side trained on the training pairs
(``elman.data.tokenizers``). Vocabularies: the training tokens seen ``min_count`` times and
<unk> (target: also <s> and </s>); a source token outside the vocabulary is read as <unk>,
and an output <unk> is printed as ``<unk>``. Model: ``elman.models.EncoderDecoder``.
Metrics: corpus BLEU and chrF (sacrebleu, default 13a tokenisation; case-insensitive when
``lowercase``) of each distinct held-out source, decoded once, against all its targets as
written in the file (``elman.bleu``: multi-reference); loss and teacher-forced
accuracy of the first pair of each source.

A source longer than ``LONGEST`` times the longest training source (in tokens) is refused:
the model has never seen anything near it.
"""

import base64
from typing import TYPE_CHECKING

from ..bleu import corpus_scores
from ..data.pairs import (Pair, PairBatches, PairRow, group_by_source, parse_pairs, short_pairs,
                          split_by_source)
from ..data.tokenizers import Pieces, Words
from ..data.vocab import Vocab
from ..errors import bad
from . import labeled
from .seq2seq import Seq2SeqTask, with_specials

if TYPE_CHECKING:
    from ..training.config import TrainConfig

LONGEST = 2


class TranslateTask(Seq2SeqTask):
    """Sentence-pair translation with an encoder-decoder."""

    name = "translate"
    monitor = "bleu"

    def __init__(self, train: "TrainConfig", vocab: Vocab | None = None, meta: dict | None = None):
        self.cfg = train
        rows, valid, self.fingerprint = labeled.read_split(train, self.parse, self.split)
        self.source = train.data
        self.tokenizers(meta, rows)
        sources = [self.src_tok.tokens(r.source) for r in rows]
        targets = [self.tgt_tok.tokens(r.target) for r in rows]
        self.vocab = vocab if vocab is not None else labeled.word_vocab(sources, train.min_count)
        self.set_target(Vocab.from_dict(meta["target"]) if meta else with_specials(
            labeled.word_vocab(targets, train.min_count).tokens, "<unk>"))
        self.max_source = meta["max_source"] if meta else max(len(s) for s in sources)
        self.n_train, self.n_valid = len(rows), len(valid)
        self.valid_sources = len(group_by_source(valid, train.lowercase))
        pairs = [self.pair(s, t) for s, t in zip(sources, targets)]
        self.train_batches = PairBatches(pairs, train.batch_size, self.bos, self.eos, train.seed)
        self.valid_rows = valid
        self.valid_batches = self.batches(self.pairs(self.firsts(valid))) if valid else None

    def split(self, rows: list[PairRow], fraction: float, seed: int):
        """(train, held-out) pairs: whole sources held out (``split_by_source``)."""
        return split_by_source(rows, fraction, seed, self.cfg.lowercase)

    def firsts(self, rows: list[PairRow]) -> list[PairRow]:
        """The first pair of each distinct source, the one that is decoded and scored."""
        return [group[0] for group in group_by_source(rows, self.cfg.lowercase)]

    def parse(self, text: str, name: str) -> list[PairRow]:
        rows = short_pairs(parse_pairs(text, name), self.cfg.max_words)
        if not rows:
            raise bad("max_words", f"a limit that keeps some pairs of {name!r}",
                      f"{self.cfg.max_words}, which keeps none")
        return rows

    def tokenizers(self, meta: dict | None, rows: list[PairRow] | None = None):
        """Words, or sentencepiece models: trained on ``rows`` or read from ``meta``."""
        lower = self.cfg.lowercase
        if self.cfg.subwords is None:
            self.src_tok, self.tgt_tok = Words(lower), Words(lower)
        elif meta:
            self.src_tok, self.tgt_tok = (Pieces(base64.b64decode(meta["spm"][side]), lower)
                                          for side in ("source", "target"))
        else:
            n = self.cfg.subwords
            self.src_tok = Pieces.train([r.source for r in rows], n, lower)
            self.tgt_tok = Pieces.train([r.target for r in rows], n, lower)

    @classmethod
    def from_checkpoint(cls, ck, train: "TrainConfig") -> "TranslateTask":
        """The task of a trained model, for translate and eval (reads no training data)."""
        task = cls.__new__(cls)
        task.cfg, task.vocab, task.source = train, ck.vocab, train.data
        task.tokenizers(ck.meta)
        task.set_target(Vocab.from_dict(ck.meta["target"]))
        task.max_source = ck.meta["max_source"]
        return task

    def pair(self, source: list[str], target: list[str]) -> Pair:
        unk = self.target.index[self.target.unk]
        return Pair(self.vocab.encode(" ".join(source)),
                    [self.target.index.get(t, unk) for t in target])

    def pairs(self, rows: list[PairRow]) -> list[Pair]:
        return [self.pair(self.src_tok.tokens(r.source), self.tgt_tok.tokens(r.target))
                for r in rows]

    def meta(self) -> dict:
        spm = None
        if self.cfg.subwords is not None:
            spm = {side: base64.b64encode(tok.model).decode("ascii")
                   for side, tok in (("source", self.src_tok), ("target", self.tgt_tok))}
        return {"target": self.target.to_dict(), "max_source": self.max_source, "spm": spm}

    def describe(self) -> str:
        unit = "words" if self.cfg.subwords is None else "subwords"
        return (f"data: {self.source!r}, {self.n_train:,} train and {self.n_valid:,} valid "
                f"pairs ({self.valid_sources:,} valid sources), vocabularies of "
                f"{len(self.vocab):,} source and {len(self.target):,} target {unit}")

    def max_output(self, S: int) -> int:
        return 2 * S + 10

    @staticmethod
    def report(valid: dict) -> str:
        return (f"valid BLEU: {valid['bleu']:.2f}, chrF: {valid['chrf']:.2f} (greedy, "
                f"{valid['sentences']:,} sentences; loss {valid['loss']:.4f} nats per token)")

    def evaluate(self, model, batches: PairBatches | None = None,
                 max_batches: int | None = None) -> dict:
        """Loss, accuracy, BLEU and chrF of greedy decoding on the held-out pairs."""
        return self.score(model, self.valid_rows, batches or self.valid_batches, max_batches)

    def score(self, model, rows: list[PairRow], batches: PairBatches | None = None,
              max_batches: int | None = None, beam: int = 1,
              length_penalty: float = 1.0) -> dict:
        """{"loss", "accuracy", "bleu", "chrf", "tokens", "sentences", "references"} of
        ``rows``: each distinct source decoded once (``batches``: those of ``firsts(rows)``)
        and scored against all its targets; loss and accuracy of its first pair."""
        self.check_beam(beam, length_penalty)
        groups = group_by_source(rows, self.cfg.lowercase)
        stats, found, _, _ = self.run(
            model, batches or self.batches(self.pairs([g[0] for g in groups])), max_batches,
            beam, length_penalty)
        hyps = [self.text(ids) for ids in found]
        refs = [[r.target for r in g] for g in groups[:len(hyps)]]
        return {**stats, **corpus_scores(hyps, refs, self.cfg.lowercase),
                "sentences": len(hyps), "references": sum(map(len, refs))}

    def text(self, ids: list[int]) -> str:
        return self.tgt_tok.text([self.target.tokens[i] for i in ids])

    def read(self, text: str, name: str) -> list[PairRow]:
        """Pairs to score from a file (no length filter)."""
        return parse_pairs(text, name)

    def source_ids(self, line: str, where: str) -> tuple[list[int], list[str], list[str]]:
        """(ids, tokens, tokens outside the vocabulary) of a sentence to translate."""
        tokens = self.src_tok.tokens(line)
        if not tokens:
            raise bad("text", "a sentence to translate", f"an empty one at {where}")
        if len(tokens) > LONGEST * self.max_source:
            raise bad("text", f"at most {LONGEST * self.max_source} tokens ({LONGEST} times "
                      "the longest training source)", f"{len(tokens)} at {where}")
        unknown = [t for t in tokens if t not in self.vocab.index]
        return self.vocab.encode(" ".join(tokens)), tokens, unknown

    def translate(self, model, lines: list[str], name: str, beam: int = 1,
                  length_penalty: float = 1.0):
        """Translations of ``lines`` -> (texts, source tokens, output tokens, attention
        weights (len, S) or None, unknown source tokens), one entry per line."""
        self.check_beam(beam, length_penalty)
        parsed = [self.source_ids(line, f"{name}:{i + 1}") for i, line in enumerate(lines)]
        pairs = [Pair(ids, []) for ids, _, _ in parsed]
        _, found, _, weights = self.run(model, self.batches(pairs), None, beam, length_penalty)
        outputs = [[self.target.tokens[i] for i in ids] for ids in found]
        return ([self.tgt_tok.text(o) for o in outputs], [p[1] for p in parsed], outputs,
                weights, sorted({t for p in parsed for t in p[2]}))
