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
adds prefix beam search, ``elman.models.ctc``).
"""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data import audio
from ..data.batching import Batch, epoch_generator
from ..data.features import FrameBatches, collate, length_sorted
from ..models import ManyToMany
from ..models.ctc import BLANK, edit_distance, greedy_decode, prefix_beam_search
from .speech import SpeechTask, evaluating, recordings_of

if TYPE_CHECKING:
    from ..training.config import ModelConfig

DIGITS = "0123456789"
VALID_STREAM = 1_000_003     # seeds the validation utterances apart from training epochs


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


class DigitSequencesTask(SpeechTask):
    """CTC recognition of utterances of several spoken digits."""

    name = "digit-sequences"

    def setup(self, meta: dict | None):
        c = self.cfg
        self.train_batches = UtteranceBatches(self.utterances(self.train), c.utterances,
                                              c.batch_size, c.seed, self.settings.hop)
        self.valid_batches = None
        if self.valid:
            valid = self.utterances(self.valid)
            picks = valid.draw(c.valid_utterances, (c.split_seed, VALID_STREAM))
            examples = [valid.make(p, (c.split_seed, VALID_STREAM, i))
                        for i, p in enumerate(picks)]
            self.valid_batches = FrameBatches(examples, c.batch_size, shuffle=False)

    def utterances(self, recordings) -> Utterances:
        rate = self.settings.sample_rate
        return Utterances([audio.read_wav(r.path, rate) for r in recordings],
                          [r.digits for r in recordings], self.cfg.max_digits, rate,
                          self.wave_frames)

    def describe(self) -> str:
        c = self.cfg
        return self.describe_data(f"; {c.utterances:,} train utterances an epoch and "
                                  f"{c.valid_utterances:,} valid ones of 1-{c.max_digits} digits")

    def build_model(self, model: "ModelConfig") -> ManyToMany:
        return ManyToMany(self.settings.size, model.hidden_sizes, len(DIGITS) + 1, model.cell,
                          model.activation, model.bidirectional, model.dropout,
                          embed_dropout=model.embed_dropout)

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
    def evaluate(self, model: nn.Module, batches: FrameBatches | None = None,
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

    def folder_batches(self, folder) -> FrameBatches:
        """Each recording of a folder as one utterance, labelled by the digits of its name."""
        found = recordings_of(folder, self.check)
        return FrameBatches([(self.frames(r.path), label_ids(r.digits)) for r in found],
                            self.cfg.batch_size, shuffle=False)

    @torch.no_grad()
    def transcribe(self, model: nn.Module, path, beam: int = 8) -> str:
        """The digit string heard in one WAV file."""
        with evaluating(model) as device:
            frames = self.frames(path)[None].to(device)                       # (1, T, F)
            log_probs = model(frames).log_softmax(-1)[0].cpu()                # (T, K)
        return digit_string(decode(log_probs, beam))


def decode(log_probs: torch.Tensor, beam: int) -> list[int]:
    """log_probs (T, K) -> label ids: greedy for beam 1, else prefix beam search."""
    if beam <= 1:
        return greedy_decode(log_probs)
    return prefix_beam_search(log_probs, beam, min_prob=1e-3)[0]
