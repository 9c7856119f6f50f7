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
accuracy of the first pair of each source. ``elman eval RUN --data FILE`` scores the pairs of
a file the same way (no ``max_words`` filter).

A source longer than ``LONGEST`` times the longest training source (in tokens) is refused:
the model has never seen anything near it.
"""

import base64
import hashlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import torch

from ..bleu import corpus_scores
from ..data.pairs import (
    Pair,
    PairBatches,
    PairRow,
    group_by_source,
    parse_pairs,
    short_pairs,
    split_by_source,
)
from ..data.tokenizers import Pieces, Words
from ..data.vocab import Vocab
from ..errors import bad
from ..io.inputs import input_lines, read_input, writable, write_output
from ..options import opt, parse_flag, parse_optional, parse_positive_int
from .base import Command, Route, data_name, eval_command, export_command, flag, print_metrics
from .labeled import word_vocab
from .seq2seq import (
    BEAM,
    BEAM_PARAMS,
    EVAL_BATCH,
    LENGTH_PENALTY,
    OUTPUT,
    Seq2SeqOptions,
    Seq2SeqTask,
    beam_flags,
    decoding,
    one_model,
    with_specials,
)

if TYPE_CHECKING:
    from ..training.config import TrainConfig

LONGEST = 2


@dataclass
class Options(Seq2SeqOptions):
    """Settings of the translation task."""

    max_words: int | None = opt(None, parse_optional(parse_positive_int), "keep the pairs of "
                                "at most this many words per side (none: all)")
    subwords: int | None = opt(None, parse_optional(parse_positive_int),
                               "sentencepiece vocabulary size per side, trained on the training "
                               "pairs (none: word vocabularies)", "N")
    min_count: int = opt(1, parse_positive_int, "keep words seen at least this often in "
                         "training; the rest read as <unk> (word vocabularies)")
    lowercase: bool = opt(False, parse_flag, "lower-case words before the vocabulary")


class PairFile(list):
    """The pairs of one file (a list of ``PairRow``), with its name and text."""

    def __init__(self, rows: list[PairRow], name: str, text: str):
        super().__init__(rows)
        self.name, self.text = name, text


class SourceBatches(PairBatches):
    """Decoding batches of the first pair of each distinct source of some pairs, in order;
    ``groups``: all the pairs of each source (its references)."""

    def __init__(self, groups: list[list[PairRow]], pairs: list[Pair], batch_size: int,
                 bos: int, eos: int):
        super().__init__(pairs, batch_size, bos, eos, shuffle=False)
        self.groups = groups


class Translation(NamedTuple):
    """One translated sentence."""

    text: str
    source: list[str]                  # its source tokens
    tokens: list[str]                  # the output tokens (no </s>)
    attention: torch.Tensor | None     # (len, S): a row per output token (and </s> if reached)
    unknown: list[str]                 # source tokens outside the vocabulary


class TranslateTask(Seq2SeqTask):
    """Sentence-pair translation with an encoder-decoder. ``--data``: a TSV of
    ``source<TAB>target`` pairs (eng_fra's format)."""

    name = "translate"
    Options = Options
    monitor = "bleu"
    valid_rows = None
    commands = (
        eval_command(BEAM, LENGTH_PENALTY, help="BLEU and chrF of the translations of the run's "
                     "held-out pairs or of --data FILE",
                     data=flag("--data", metavar="PATH", help="a TSV of source<TAB>target "
                               "pairs, all scored (no max_words filter; default: the run's "
                               "held-out pairs)")),
        Command("translate", "translate sentences with a translate run's model",
                "cmd_translate", (
                    flag("text", nargs="?", help="a sentence (or give --input)"),
                    flag("--input", metavar="FILE", help="UTF-8 file of one sentence per line, "
                         "or - for stdin"),
                    OUTPUT,
                    flag("--attention-plot", metavar="FILE", help="PNG heatmap of the "
                         "attention weights of the (first) sentence (a model with attention)"),
                    BEAM, LENGTH_PENALTY)),
        export_command(),
    )
    routes = (
        Route("translate", "the translation of each sentence, with its tokens and attention "
              "weights [output step][source token]", "predict", input="a sentence",
              params=BEAM_PARAMS),
    )

    def __init__(self, options, *, vocab: Vocab | None = None, meta: dict | None = None):
        super().__init__(options, vocab=vocab, meta=meta)
        self.src_tok = self.tgt_tok = self.max_source = None
        if meta:
            self.max_source = meta["max_source"]
        if meta or options.subwords is None:
            self.tokenizers(meta)

    # --- data ------------------------------------------------------------------------------

    def load(self, path: str | None, argument: str = "data") -> PairFile:
        """The pairs of a TSV file (or stdin, "-"), all of them (no ``max_words`` filter)."""
        if path is None:
            raise bad(argument, f"a file (--{argument} FILE) for the {self.name} task", "none")
        text, name = read_input(path, argument)
        return PairFile(parse_pairs(text, name), name, text)

    def short(self, pairs: PairFile) -> list[PairRow]:
        """The pairs of at most ``max_words`` words per side (some must be left)."""
        rows = short_pairs(pairs, self.options.max_words)
        if not rows:
            raise bad("max_words", f"a limit that keeps some pairs of {pairs.name!r}",
                      f"{self.options.max_words}, which keeps none")
        return rows

    def setup(self, train: "TrainConfig"):
        o = self.options
        data = self.load(train.data)
        rows = self.short(data)
        digest = hashlib.sha256(data.text.encode("utf-8"))
        if train.valid is not None:
            held = self.load(train.valid, "valid")
            valid = self.short(held)
            digest.update(held.text.encode("utf-8"))
        else:
            rows, valid = split_by_source(rows, train.valid_fraction, train.split_seed,
                                          o.lowercase)
        self.source, self.fingerprint = train.data, digest.hexdigest()
        if self.src_tok is None:
            self.tokenizers(None, rows)
        sources = [self.src_tok.tokens(r.source) for r in rows]
        targets = [self.tgt_tok.tokens(r.target) for r in rows]
        if self.vocab is None:
            self.vocab = word_vocab(sources, o.min_count)
        if self.target is None:
            self.set_target(with_specials(word_vocab(targets, o.min_count).tokens, "<unk>"))
        if self.max_source is None:
            self.max_source = max(len(s) for s in sources)
        self.n_train, self.n_valid = len(rows), len(valid)
        pairs = [self.pair(s, t) for s, t in zip(sources, targets)]
        self.train_batches = PairBatches(pairs, train.batch_size, self.bos, self.eos, train.seed)
        self.valid_rows = valid
        self.valid_batches = self.eval_batches(valid, train) if valid else None
        self.valid_sources = len(self.valid_batches.groups) if valid else 0

    def eval_batches(self, rows: list[PairRow], train: "TrainConfig") -> SourceBatches:
        """Decoding batches of the first pair of each distinct source of ``rows``."""
        groups = group_by_source(rows, self.options.lowercase)
        return SourceBatches(groups, self.pairs([g[0] for g in groups]),
                             max(EVAL_BATCH, train.batch_size), self.bos, self.eos)

    def tokenizers(self, meta: dict | None, rows: list[PairRow] | None = None):
        """Words, or sentencepiece models: read from ``meta`` or trained on ``rows``."""
        o = self.options
        lower = o.lowercase
        if o.subwords is None:
            self.src_tok, self.tgt_tok = Words(lower), Words(lower)
        elif meta:
            self.src_tok, self.tgt_tok = (Pieces(base64.b64decode(meta["spm"][side]), lower)
                                          for side in ("source", "target"))
        else:
            self.src_tok = Pieces.train([r.source for r in rows], o.subwords, lower)
            self.tgt_tok = Pieces.train([r.target for r in rows], o.subwords, lower)

    def pair(self, source: list[str], target: list[str]) -> Pair:
        unk = self.target.index[self.target.unk]
        return Pair(self.vocab.encode(" ".join(source)),
                    [self.target.index.get(t, unk) for t in target])

    def pairs(self, rows: list[PairRow]) -> list[Pair]:
        return [self.pair(self.src_tok.tokens(r.source), self.tgt_tok.tokens(r.target))
                for r in rows]

    # --- records ---------------------------------------------------------------------------

    def meta(self) -> dict:
        spm = None
        if self.options.subwords is not None:
            spm = {side: base64.b64encode(tok.model).decode("ascii")
                   for side, tok in (("source", self.src_tok), ("target", self.tgt_tok))}
        return {"target": self.target.to_dict(), "max_source": self.max_source, "spm": spm}

    def describe(self) -> str:
        unit = "words" if self.options.subwords is None else "subwords"
        return (f"data: {self.source!r}, {self.n_train:,} train and {self.n_valid:,} valid "
                f"pairs ({self.valid_sources:,} valid sources), vocabularies of "
                f"{len(self.vocab):,} source and {len(self.target):,} target {unit}")

    def source_usage(self) -> str:
        how = "words (elman.data.tokenizers.Words)" if self.options.subwords is None else \
            "pieces of task.json's spm source model (sentencepiece, base64)"
        return (f"source tokens: the sentence split into {how}, lower-cased when "
                "options.lowercase; the translation: the output tokens joined back the same "
                "way (the spm target model)")

    # --- model -----------------------------------------------------------------------------

    def max_output(self, S: int) -> int:
        return 2 * S + 10

    def report(self, metrics: dict) -> str:
        return (f"valid BLEU: {metrics['bleu']:.2f}, chrF: {metrics['chrf']:.2f} (greedy, "
                f"{metrics['sentences']:,} sentences; loss {metrics['loss']:.4f} nats per "
                "token)")

    def evaluate(self, model, batches: SourceBatches | None = None, *,
                 max_batches: int | None = None, beam: int = 1,
                 length_penalty: float = 1.0) -> dict:
        """{"loss", "accuracy", "bleu", "chrf", "tokens", "sentences", "references"} of the
        held-out pairs (or of ``batches``, from ``eval_batches``): each distinct source
        decoded once and scored against all its targets; loss and accuracy of its first
        pair."""
        self.check_beam(beam, length_penalty)
        batches = self.valid_batches if batches is None else batches
        stats, found, _, _ = self.decode_batches(model, batches, max_batches, beam,
                                                 length_penalty)
        hyps = [self.text(ids) for ids in found]
        refs = [[r.target for r in g] for g in batches.groups[:len(hyps)]]
        return {**stats, **corpus_scores(hyps, refs, self.options.lowercase),
                "sentences": len(hyps), "references": sum(map(len, refs))}

    def text(self, ids: list[int]) -> str:
        return self.tgt_tok.text([self.target.tokens[i] for i in ids])

    # --- translating -----------------------------------------------------------------------

    def source_ids(self, line: str, where: str) -> tuple[list[int], list[str], list[str]]:
        """(ids, tokens, tokens outside the vocabulary) of a sentence to translate."""
        if not isinstance(line, str):
            raise bad("input", "a string", type(line).__name__)
        tokens = self.src_tok.tokens(line)
        if not tokens:
            raise bad("text", "a sentence to translate", f"an empty one at {where}")
        if len(tokens) > LONGEST * self.max_source:
            raise bad("text", f"at most {LONGEST * self.max_source} tokens ({LONGEST} times "
                      "the longest training source)", f"{len(tokens)} at {where}")
        unknown = [t for t in tokens if t not in self.vocab.index]
        return self.vocab.encode(" ".join(tokens)), tokens, unknown

    def translate(self, model, lines: list[str], name: str, beam: int = 1,
                  length_penalty: float = 1.0,
                  batch_size: int = EVAL_BATCH) -> list[Translation]:
        """The translation of each line (``name``: where the lines come from, for errors)."""
        self.check_beam(beam, length_penalty)
        parsed = [self.source_ids(line, f"{name}:{i + 1}") for i, line in enumerate(lines)]
        pairs = [Pair(ids, []) for ids, _, _ in parsed]
        _, found, _, weights = self.decode_batches(model, self.batches(pairs, batch_size), None,
                                                   beam, length_penalty)
        out = []
        for (_, source, unknown), ids, w in zip(parsed, found, weights):
            tokens = [self.target.tokens[i] for i in ids]
            out.append(Translation(self.tgt_tok.text(tokens), source, tokens, w, unknown))
        return out

    def predict(self, models: list, inputs: list[str], *, beam: int = 1,
                length_penalty: float = 1.0) -> list[dict]:
        """Per sentence {"translation": text, "tokens": the output tokens, "source": the
        source tokens, "attention": weights [output step][source token] (a row per output
        token, and one for </s> where it was reached) or None without attention}."""
        return [{"translation": t.text, "tokens": t.tokens, "source": t.source,
                 "attention": None if t.attention is None else t.attention.tolist()}
                for t in self.translate(one_model(models), list(inputs), "input", beam,
                                        length_penalty)]

    # --- commands --------------------------------------------------------------------------

    def cmd_translate(self, run, args) -> int:
        from ..io.plots import plot_attention
        lines, name = input_lines(args.text, args.input)
        beam, penalty = beam_flags(args)
        for path, argument in ((args.output, "output"), (args.attention_plot, "attention_plot")):
            if path:
                writable(path, argument)
        found = self.translate(run.model, lines, name, beam, penalty,
                               run.config.train.batch_size)
        unknown = sorted({t for f in found for t in f.unknown})
        if unknown:
            print(f"note: {len(unknown):,} source token(s) not in the vocabulary, read as "
                  f"<unk>: {' '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}",
                  file=sys.stderr)
        if args.attention_plot:
            first = found[0]
            if first.attention is None:
                raise bad("attention_plot", "a model trained with --attention additive, "
                          "multiplicative or scaled", "a model without attention")
            plot_attention(first.attention, first.source, first.tokens + ["</s>"],
                           args.attention_plot, title=lines[0])
        write_output("".join(f"{f.text}\n" for f in found), args.output)
        if args.attention_plot:
            print(f"attention: {args.attention_plot}", file=sys.stderr)
        return 0

    def cmd_eval(self, run, args) -> int:
        """BLEU, chrF and loss on the run's held-out pairs or on --data pairs."""
        beam, penalty = beam_flags(args)
        batches, scored = self.scored_data(run, args)
        data = f"the held-out pairs of {run.config.train.data}" if args.data is None else \
            data_name(args.data)
        r = self.evaluate(run.model, batches, beam=beam, length_penalty=penalty)
        print_metrics(r, args, lambda r: (
            f"BLEU: {r['bleu']:.2f} ({r['sentences']:,} sentences against "
            f"{r['references']:,} references of {data}, {decoding(beam, penalty)})\n"
            f"chrF: {r['chrf']:.2f}\n"
            f"loss: {r['loss']:.4f} nats per token (teacher forced accuracy "
            f"{r['accuracy']:.4f})"), scored)
        return 0
