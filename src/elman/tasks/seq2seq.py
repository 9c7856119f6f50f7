"""What the encoder-decoder tasks share (sort, reverse, copy, add, translate): the model, the
loss with scheduled teacher forcing, decoding (greedy or beam) and the decoded-output scores.

Batches are ``elman.data.pairs`` batches. Loss: cross-entropy per target token, eos included
(nats per token); "accuracy" is the share of target tokens the decoder predicts right when it
reads the true previous tokens (teacher forcing). Decoded scores compare the model's own
outputs with the targets: exact match (whole sequence right) and token accuracy (the share of
target positions holding the right token; a missing token counts as wrong).

Teacher forcing: the probability that the decoder reads the true previous token goes
linearly from ``teacher_forcing`` to ``teacher_forcing_final`` over
``teacher_forcing_steps`` training steps (the trainer calls ``at_step``); evaluation always
reads the true tokens.

``Seq2SeqOptions`` are the settings every encoder-decoder task has (the tasks' own Options
extend it); the flags of the commands that decode (``--beam``, ``--length-penalty``, the
input and output of ``predict`` and ``translate``) are declared here too.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from ..data.pairs import Pair, PairBatches
from ..data.vocab import Vocab
from ..errors import bad
from ..losses import cross_entropy
from ..models import EncoderDecoder
from ..models.encoder_decoder import ATTENTIONS
from ..options import (
    opt,
    parse_choice,
    parse_int_range,
    parse_nonneg,
    parse_optional,
    parse_positive_int,
    parse_probability,
)
from .base import Param, Task, flag

if TYPE_CHECKING:
    from ..training.config import ModelConfig

BOS, EOS = "<s>", "</s>"
EVAL_BATCH = 128   # sequences per decoding batch


@dataclass
class Seq2SeqOptions:
    """Settings of the encoder-decoder tasks."""

    attention: str = opt("none", parse_choice(ATTENTIONS),
                         "the decoder attends to the encoder outputs with an additive, "
                         "multiplicative or scaled multiplicative score (none: the final "
                         "state only)")
    teacher_forcing: float = opt(1.0, parse_probability,
                                 "probability that the decoder reads the true previous token "
                                 "(else its own guess) at the start of training")
    teacher_forcing_final: float | None = opt(None, parse_optional(parse_probability),
                                              "the teacher_forcing probability reached "
                                              "linearly after teacher_forcing_steps (none: no "
                                              "decay)")
    teacher_forcing_steps: int = opt(10_000, parse_positive_int, "the steps of that decay")
    label_smoothing: float = opt(0.0, parse_probability, "the training loss's target puts "
                                 "this probability uniformly on all tokens (validation loss: "
                                 "unsmoothed)")


# the flags of the commands that decode
BEAM = flag("--beam", default="1", help="beam width (default: 1, greedy)")
LENGTH_PENALTY = flag("--length-penalty", default="1.0", help="beam: rank outputs by "
                      "log-prob / length**this (0: total log-prob; default: 1, the mean per "
                      "token)")
TEXT = flag("text", nargs="?", help="one input (or give --input)")
INPUT = flag("--input", metavar="FILE", help="UTF-8 file of one input per line, or - for stdin")
OUTPUT = flag("--output", metavar="FILE", help="write here (atomically) instead of stdout")


MAX_BEAM = 16
BEAM_PARAMS = (
    Param("beam", int, 1, f"beam width, 1-{MAX_BEAM} (1: greedy)", parse_int_range(1, MAX_BEAM)),
    Param("length_penalty", float, 1.0, "beam scores are divided by length ** this",
          parse_nonneg))


def beam_flags(args) -> tuple[int, float]:
    """(beam width, length penalty) of a command's --beam and --length-penalty."""
    return (parse_positive_int("beam", args.beam),
            parse_nonneg("length_penalty", args.length_penalty))


def decoding(beam: int, length_penalty: float) -> str:
    """How outputs were decoded, for people."""
    return "greedy" if beam == 1 else f"beam {beam}, length penalty {length_penalty:g}"


def with_specials(tokens: list[str], unk: str | None) -> Vocab:
    """A target vocabulary: unk (if any), <s>, </s>, then ``tokens``."""
    head = [unk] if unk else []
    return Vocab(head + [BOS, EOS] + [t for t in tokens if t != unk], "word", unk)


def ratio_at(options: Seq2SeqOptions, step: int) -> float:
    """The teacher-forcing probability at a training step."""
    o = options
    final = o.teacher_forcing if o.teacher_forcing_final is None else o.teacher_forcing_final
    done = min(step / o.teacher_forcing_steps, 1.0)
    return o.teacher_forcing + (final - o.teacher_forcing) * done


def token_accuracy(found: list[list[int]], gold: list[list[int]]) -> float:
    right = sum(sum(a == b for a, b in zip(f, g)) for f, g in zip(found, gold))
    return right / max(1, sum(len(g) for g in gold))


def exact_match(found: list[list[int]], gold: list[list[int]]) -> float:
    return sum(f == g for f, g in zip(found, gold)) / max(1, len(gold))


def one_model(models: list):
    """The model of ``predict``'s list: encoder-decoders do not vote."""
    if len(models) != 1:
        raise bad("models", "one model (encoder-decoder runs do not vote)",
                  f"{len(models)} models")
    return models[0]


class Seq2SeqTask(Task):
    """Base of the encoder-decoder tasks: the model, its loss, decoding and scoring. A
    subclass sets vocab (source) and ``target`` (``set_target``), ``train_batches``,
    ``valid_batches`` and ``max_output(S)``."""

    Options = Seq2SeqOptions
    ratio = 1.0
    target = None

    def __init__(self, options, *, vocab: Vocab | None = None, meta: dict | None = None):
        super().__init__(options, vocab=vocab, meta=meta)
        if meta and meta.get("target") is not None:
            self.set_target(Vocab.from_dict(meta["target"]))

    def set_target(self, target: Vocab):
        self.target = target
        self.bos, self.eos = target.index[BOS], target.index[EOS]

    def at_step(self, step: int):
        self.ratio = ratio_at(self.options, step)

    def build_model(self, model: "ModelConfig") -> EncoderDecoder:
        return EncoderDecoder(len(self.vocab), len(self.target), model.hidden_sizes,
                              model.embed_dim, model.embed_dim, model.cell, model.activation,
                              model.bidirectional, model.dropout, self.options.attention)

    def loss(self, model: EncoderDecoder, x, y: torch.Tensor, state=None):
        """Mean cross-entropy per target token, in training against targets smoothed by
        ``label_smoothing``; no state is carried. With teacher forcing only the real target
        steps reach the output layer."""
        ratio, smoothing = (self.ratio, self.options.label_smoothing) if model.training else \
            (1, 0)
        real = torch.arange(y.shape[1], device=y.device) < x.tgt_lengths[:, None]   # (B, T)
        if ratio < 1.0:
            logits = model(x.src, x.tgt_in, x.src_lengths, x.tgt_lengths, ratio)[real]
        else:
            logits = model.real_logits(x.src, x.tgt_in, x.src_lengths, x.tgt_lengths)
        return F.cross_entropy(logits, y[real], label_smoothing=smoothing), None   # (N, V)

    def targets(self, batch) -> int:
        """Real target tokens, eos included."""
        return int(batch.x.tgt_lengths.sum())

    def batches(self, pairs: list[Pair], batch_size: int = EVAL_BATCH) -> PairBatches:
        """Decoding batches of ``pairs`` in their order (at least ``EVAL_BATCH`` sequences a
        batch; ``batch_size``: the run's training batch size)."""
        return PairBatches(pairs, max(EVAL_BATCH, batch_size), self.bos, self.eos,
                           shuffle=False)

    @torch.no_grad()
    def decode_batches(self, model: EncoderDecoder, batches: PairBatches,
                       max_batches: int | None = None, beam: int = 1,
                       length_penalty: float = 1.0) -> tuple[dict, list, list, list]:
        """Score and decode: ({"loss", "accuracy", "tokens"}, decoded ids, gold ids,
        attention weights (len, S) or None), one entry per pair in order."""
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        total, right, count, found, gold, weights = 0.0, 0, 0, [], [], []
        try:
            for k, batch in enumerate(batches.epoch(0)):
                if max_batches is not None and k >= max_batches:
                    break
                x, y = batch.x.to(device), batch.y.to(device)
                logits = model(x.src, x.tgt_in, x.src_lengths, x.tgt_lengths)
                total += float(cross_entropy(logits, y, x.tgt_lengths, reduction="sum"))
                real = torch.arange(y.shape[1], device=device) < x.tgt_lengths[:, None]
                right += int(((logits.argmax(-1) == y) & real).sum())
                count += int(x.tgt_lengths.sum())
                ids, w = self.decode(model, x.src, x.src_lengths, beam, length_penalty)
                found += ids
                weights += w
                gold += [row[:n - 1] for row, n in zip(y.tolist(), x.tgt_lengths.tolist())]
        finally:
            model.train(was_training)
        return ({"loss": total / max(count, 1), "accuracy": right / max(count, 1),
                 "tokens": count}, found, gold, weights)

    def decode(self, model: EncoderDecoder, src: torch.Tensor, src_lengths: torch.Tensor,
               beam: int = 1, length_penalty: float = 1.0) -> tuple[list, list]:
        """src (B, S) -> (ids without eos, attention weights (len, S) or None) per sequence."""
        max_len = self.max_output(src.shape[1])
        if beam > 1:
            return model.beam(src, self.bos, self.eos, max_len, beam, length_penalty,
                              src_lengths)
        ids, weights = model.greedy(src, self.bos, self.eos, max_len, src_lengths,
                                    with_weights=True)
        out, attn = [], []
        for b, row in enumerate(ids.tolist()):
            n = row.index(self.eos) if self.eos in row else len(row)
            out.append(row[:n])
            attn.append(None if weights is None else weights[b, :n + (n < len(row))].cpu())
        return out, attn

    def export_usage(self) -> list[str]:
        return [self.source_usage(),
                "encoder: src (B, S) (ids in vocab.json, 0-padded), src_lengths (B,) -> h_l "
                "(c_l), the decoder's first h0_l (c0_l), and with attention memory, which "
                "decoder_step reads at every step with src_lengths",
                f"decoder_step: token (B,) from <s> (id {self.bos} in task.json's target "
                "tokens) -> logits (B, V) and h_l (c_l): take the argmax leaving out <s>, feed "
                f"it back with h_l (c_l) as h0_l (c0_l); stop at </s> (id {self.eos}) or a "
                f"length limit (elman's: {self.max_output(10)} steps for 10 source tokens); "
                "beam search is the caller's (elman.models.beam)"]

    def source_usage(self) -> str:
        """How a caller makes the source tokens and reads the output tokens."""
        raise NotImplementedError

    def max_output(self, S: int) -> int:
        """Decoding steps for sources of S tokens."""
        raise NotImplementedError

    @staticmethod
    def check_beam(beam: int, length_penalty: float):
        if isinstance(beam, bool) or not isinstance(beam, int) or beam < 1:
            raise bad("beam", "an int >= 1 (1: greedy)", repr(beam))
        if length_penalty < 0:
            raise bad("length_penalty", "a number >= 0", length_penalty)
