"""The spoken digit-sequence recogniser: an utterance of several digits in, the digit string
out, trained with connectionist temporal classification (CTC).

Data: a folder of recordings (``elman.tasks.speech``), split per speaker and digit. Training
utterances are made on the fly: every epoch draws ``utterances`` of them, each 1..max_digits
random training recordings joined with short pauses (``elman.data.audio.join``), seeded by
(seed, epoch, utterance), so a resumed run sees the same ones. The validation utterances are
``valid_utterances`` joined validation recordings, fixed by split_seed.

Model: ``elman.models.ManyToMany`` over the normalised frames (B, T, F) -> logits (B, T, 11):
class 0 is the CTC blank, class d + 1 the digit d. Loss: ``torch.nn.functional.ctc_loss``
(nats per digit); metrics: the share of utterances decoded exactly ("accuracy") and the digit
error rate, edit distance / reference digits (greedy decoding during training; ``elman eval``
adds prefix beam search, ``elman.models.ctc``). ``elman transcribe``: the digit string heard in
one WAV file.
"""

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data import audio
from ..data.batching import Batch, epoch_generator
from ..data.features import FrameBatches, collate, length_sorted
from ..errors import bad
from ..models import ManyToMany
from ..models.ctc import BLANK, edit_distance, greedy_decode, prefix_beam_search
from ..options import opt, parse_int_range, parse_positive_int
from .base import Command, Param, Route, eval_command, export_command, flag, print_metrics
from .speech import FILE, SpeechOptions, SpeechTask, evaluating

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig
    from .base import Run

DIGITS = "0123456789"
VALID_STREAM = 1_000_003     # seeds the validation utterances apart from training epochs


@dataclass
class DigitSequencesOptions(SpeechOptions):
    """Settings of the spoken digit-sequence recogniser."""

    max_digits: int = opt(5, parse_positive_int, "digits per utterance, 1..max_digits")
    utterances: int = opt(2000, parse_positive_int, "training utterances drawn per epoch")
    valid_utterances: int = opt(500, parse_positive_int, "validation utterances")


def label_ids(digits: str) -> list[int]:
    """"471" -> [5, 8, 2] (class d + 1; 0 is the blank)."""
    return [int(d) + 1 for d in digits]


def digit_string(ids: Sequence[int]) -> str:
    return "".join(DIGITS[i - 1] for i in ids)


class Utterances:
    """Joins recordings into utterances. waves: (N_i,) per recording; digits: their labels."""

    def __init__(self, waves: list[np.ndarray], digits: list[str], max_digits: int,
                 sample_rate: int, to_frames):
        self.waves, self.digits, self.max_digits = waves, digits, max_digits
        self.sample_rate, self.to_frames = sample_rate, to_frames

    def draw(self, count: int, seed: tuple) -> list[list[int]]:
        """``count`` lists of 1..max_digits recording indices."""
        rng = np.random.default_rng(seed)
        picks = []
        for _ in range(count):
            k = rng.integers(1, self.max_digits + 1)
            picks.append(rng.integers(0, len(self.waves), size=k).tolist())
        return picks

    def make(self, picks: list[int], seed: tuple) -> tuple[torch.Tensor, list[int]]:
        """(frames (T, F), label ids) of the utterance joining ``picks``."""
        wave = audio.join([self.waves[i] for i in picks], self.sample_rate,
                          np.random.default_rng(seed))
        return self.to_frames(wave), label_ids("".join(self.digits[i] for i in picks))


class UtteranceBatches:
    """``count`` fresh utterances an epoch, in length-sorted batches of ``batch_size``."""

    bptt = "full"

    def __init__(self, utterances: Utterances, count: int, batch_size: int, seed: int,
                 hop: int):
        self.utterances, self.count = utterances, count
        self.batch_size, self.seed = batch_size, seed
        u = utterances
        longest = sorted((len(w) for w in u.waves), reverse=True)[:u.max_digits]
        pauses = (u.max_digits + 1) * int(audio.GAP_S * u.sample_rate)
        self.seq_len = 1 + (sum(longest) + pauses) // hop           # frames of the longest

    def __len__(self) -> int:
        return -(-self.count // self.batch_size)

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        picks = self.utterances.draw(self.count, (self.seed, epoch))
        lengths = [sum(len(self.utterances.waves[i]) for i in p) for p in picks]
        order = length_sorted(lengths, self.batch_size, epoch_generator(self.seed, epoch))
        for indices in order[start:]:
            yield collate([self.utterances.make(picks[i], (self.seed, epoch, i))
                           for i in indices])


BEAM = flag("--beam", default="8", help="prefix beam width, 1 for greedy decoding (default: 8)")


class DigitSequencesTask(SpeechTask):
    """CTC recognition of utterances of several spoken digits. ``--data``: a folder of
    ``{digit}_{speaker}_{index}.wav`` files (FSDD's recordings/), joined into utterances."""

    name = "digit-sequences"
    Options = DigitSequencesOptions
    commands = (
        eval_command(flag("--beam", default=None, help="prefix beam width, 1 for greedy "
                          "decoding only (default: 8)"),
                     help="exact utterances and digit error rate, greedy and with prefix "
                     "beam search, on --data (each recording one utterance, labelled by the "
                     "digits of its name) or the held-out utterances"),
        Command("transcribe", "the digit string heard in a WAV file", "cmd_transcribe",
                (FILE, BEAM)),
        export_command(),
    )
    routes = (Route("transcribe", "the digit string heard in each uploaded WAV file",
                    "predict_wavs", kind="upload", input="a WAV file", params=(
                        Param("beam", int, 8, "prefix beam width, 1-32 (1: greedy)",
                              parse_int_range(1, 32)),)),)

    def make_batches(self, train: "TrainConfig"):
        o = self.options
        self.train_batches = UtteranceBatches(self.utterances(self.train), o.utterances,
                                              train.batch_size, train.seed, self.settings.hop)
        self.valid_batches = None
        if self.valid:
            valid = self.utterances(self.valid)
            picks = valid.draw(o.valid_utterances, (train.split_seed, VALID_STREAM))
            examples = [valid.make(p, (train.split_seed, VALID_STREAM, i))
                        for i, p in enumerate(picks)]
            self.valid_batches = FrameBatches(examples, train.batch_size, shuffle=False)

    def eval_batches(self, recordings, train: "TrainConfig") -> FrameBatches:
        """Each recording as one utterance, labelled by the digits of its name."""
        return FrameBatches([(self.frames(r.path), label_ids(r.digits)) for r in recordings],
                            train.batch_size, shuffle=False)

    def utterances(self, recordings) -> Utterances:
        rate = self.settings.sample_rate
        return Utterances([audio.read_wav(r.path, rate) for r in recordings],
                          [r.digits for r in recordings], self.options.max_digits, rate,
                          self.wave_frames)

    def export_usage(self) -> list[str]:
        return [self.frames_usage(), "y (B, T, 11): each frame's logits over the CTC classes, "
                "0 the blank and d + 1 the digit d; decoding is the caller's: greedy takes "
                "the argmax of each real frame, merges repeats and drops blanks "
                "(elman.models.ctc, also prefix beam search)"]

    def describe(self) -> str:
        o = self.options
        return self.describe_data(f"; {o.utterances:,} train utterances an epoch and "
                                  f"{o.valid_utterances:,} valid ones of 1-{o.max_digits} digits")

    def build_model(self, model: "ModelConfig") -> ManyToMany:
        return ManyToMany(self.settings.size, model.hidden_sizes, len(DIGITS) + 1, model.cell,
                          model.activation, model.bidirectional, model.dropout,
                          embed_dropout=self.options.embed_dropout)

    @staticmethod
    def ctc(model: nn.Module, x, y: torch.Tensor, reduction: str = "mean"):
        """CTC loss of frames x (Frames (B, T, F)) and label ids y (B, L), 0-padded; "mean":
        nats per digit averaged over utterances, "sum": nats summed over utterances."""
        log_probs = model(x.x, x.lengths).log_softmax(-1)                   # (B, T, K)
        loss = F.ctc_loss(log_probs.transpose(0, 1), y, x.lengths, (y != BLANK).sum(1),
                          blank=BLANK, reduction="none", zero_infinity=True)  # (B,)
        if reduction == "sum":
            return loss.sum(), log_probs
        return (loss / (y != BLANK).sum(1).clamp(min=1)).mean(), log_probs

    @classmethod
    def loss(cls, model: nn.Module, x, y: torch.Tensor, state=None):
        return cls.ctc(model, x, y)[0], None

    @staticmethod
    def report(valid: dict) -> str:
        return (f"valid sequence accuracy: {valid['accuracy']:.2%}, digit error rate: "
                f"{valid['digit_error_rate']:.2%} (greedy decoding; loss {valid['loss']:.4f} "
                f"nats per digit, {valid['tokens']:,} utterances)")

    @torch.no_grad()
    def evaluate(self, model: nn.Module, batches: FrameBatches | None = None, *,
                 max_batches: int | None = None, beam: int = 1) -> dict:
        """{"loss": nats per digit, "accuracy": exact utterances, "digit_error_rate",
        "tokens": utterances}, decoding greedily (beam 1) or by prefix beam search."""
        total = errors = digits = right = count = 0
        with evaluating(model) as device:
            for k, batch in enumerate((batches or self.valid_batches).epoch(0)):
                if max_batches is not None and k >= max_batches:
                    break
                x, y = batch.x.to(device), batch.y.to(device)
                loss, log_probs = self.ctc(model, x, y, reduction="sum")
                total += float(loss)
                for lp, n, ref in zip(log_probs.cpu(), x.lengths.tolist(), y.cpu().tolist()):
                    ref = [i for i in ref if i != BLANK]
                    found = decode(lp[:n], beam)
                    errors += edit_distance(ref, found)
                    right += found == ref
                    digits += len(ref)
                    count += 1
        return {"loss": total / max(digits, 1), "accuracy": right / max(count, 1),
                "digit_error_rate": errors / max(digits, 1), "tokens": count}

    @torch.no_grad()
    def predict(self, models: list[nn.Module], inputs: list, beam: int = 8) -> list[str]:
        """The digit string heard in each wave (a 1-D float array at the run's sample rate)
        or WAV file path; several models decode the mean of their frame probabilities."""
        out = []
        for item in inputs:
            frames = self.input_frames(item)[None]                            # (1, T, F)
            per_model = []
            for model in models:
                with evaluating(model) as device:
                    per_model.append(model(frames.to(device)).log_softmax(-1)[0].cpu())
            log_probs = per_model[0] if len(models) == 1 else \
                torch.stack(per_model).exp().mean(0).log()                    # (T, K)
            out.append(digit_string(decode(log_probs, beam)))
        return out

    # --- commands --------------------------------------------------------------------------

    def eval_data(self, run: "Run", path: str | None, *,
                  train: "TrainConfig | None" = None) -> FrameBatches:
        """Batches of --data or of the run's --valid folder (each recording one utterance),
        or the run's held-out utterances."""
        train = train or run.config.train
        folder = path or train.valid
        if folder:
            return self.eval_batches(self.load(folder), train)
        self.setup(train)
        if self.valid_batches is None:
            raise bad("data", "a folder (--data DIR): the run kept no validation recordings",
                      "none")
        return self.valid_batches

    def cmd_eval(self, run: "Run", args: argparse.Namespace) -> int:
        """Exact utterances and digit error rate, greedy and with prefix beam search."""
        beam = parse_positive_int("beam", "8" if args.beam is None else args.beam)
        batches, scored = self.scored_data(run, args)
        results = {width: self.evaluate(run.model, batches, beam=width)
                   for width in sorted({1, beam})}
        r = results[beam]
        metrics = {"loss": r["loss"], "tokens": r["tokens"], "greedy": {
            k: results[1][k] for k in ("accuracy", "digit_error_rate")}}
        if beam > 1:
            metrics["beam"] = {"width": beam, "accuracy": r["accuracy"],
                               "digit_error_rate": r["digit_error_rate"]}
        print_metrics(metrics, args, lambda m: decoding_report(results), scored)
        return 0

    def cmd_transcribe(self, run: "Run", args: argparse.Namespace) -> int:
        """The digit string heard in one WAV file."""
        beam = parse_positive_int("beam", args.beam)
        print(self.predict([run.model], [args.file], beam)[0])
        return 0


def decoding_report(results: dict[int, dict]) -> str:
    """{beam width: metrics} as lines for people: each width's sequence accuracy and digit
    error rate, then the loss."""
    lines = [f"{'greedy' if width == 1 else f'beam {width}':<8} sequence accuracy: "
             f"{r['accuracy']:.4f}  digit error rate: {r['digit_error_rate']:.4f}  "
             f"({r['tokens']:,} utterances)" for width, r in results.items()]
    loss = results[max(results)]["loss"]
    return "\n".join([*lines, f"loss: {loss:.4f} nats per digit"])


def decode(log_probs: torch.Tensor, beam: int) -> list[int]:
    """log_probs (T, K) -> label ids: greedy for beam 1, else prefix beam search."""
    if beam <= 1:
        return greedy_decode(log_probs)
    return prefix_beam_search(log_probs, beam, min_prob=1e-3)[0]
