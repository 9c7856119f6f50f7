"""The polyphonic music task: a language model over piano-roll frames.

Data: ``elman.data.music`` pieces (JSB Chorales / Nottingham JSON): --data for training and
--valid for validation, or a seeded ``valid_fraction`` of whole pieces. Model:
``elman.models.ManyToMany`` from frame t (88 inputs) to 88 logits for frame t + 1, one
independent sigmoid per key. Loss and the metric of the literature (Boulanger-Lewandowski et
al. 2012): the negative log-likelihood per time step,

    NLL = (1 / N) sum_{pieces} sum_{t=2..n} sum_{k=1..88} BCE(sigmoid(y_tk), x_tk)   (nats)

over all N predicted steps of all pieces (each piece's first frame is the condition, as in
the published JSB/Nottingham protocol), and frame-level accuracy (Bay et al. 2009) with a key
on when its probability is >= 0.5:

    ACC = sum_t TP_t / sum_t (TP_t + FP_t + FN_t).
"""

import base64
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..data.music import KEYS, FrameBatches, Frames, piano_roll, pitches, read_pieces
from ..errors import bad
from ..io.inputs import writable
from ..losses import binary_cross_entropy
from ..models import ManyToMany
from ..options import (
    opt,
    parse_count,
    parse_fraction,
    parse_int_range,
    parse_optional,
    parse_positive,
    parse_positive_int,
)
from .base import (
    Command,
    Param,
    Route,
    Run,
    Task,
    eval_command,
    export_command,
    flag,
    print_metrics,
)

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig


MAX_STEPS = 2000                 # time steps one HTTP request may generate
MAX_SECONDS, RATE = 120, 16000   # the longest rendering of one HTTP request, its sample rate


@dataclass
class Options:
    """Settings of the music task."""

    embed_dropout: float = opt(0.0, parse_fraction, "dropout on the input frames")


class MusicTask(Task):
    """Next-frame prediction of polyphonic piano rolls. ``--data``: a JSON file of pieces
    (JSB Chorales / Nottingham), ``--valid``: another (default: a seeded valid_fraction of
    whole pieces)."""

    name = "music"
    Options = Options
    commands = (
        eval_command(help="NLL per time step and frame accuracy on --data (a JSON file of "
                     "pieces) or the run's validation pieces"),
        Command("generate", "write a sampled piece as MIDI and WAV", "cmd_generate", (
            flag("--out", default=None, metavar="FILE.mid", help="the MIDI file to write; the "
                 "WAV rendering goes beside it (FILE.wav)"),
            flag("--length", default="64", help="time steps to generate (default: 64)"),
            flag("--tempo", default="100", help="beats (time steps) per minute (default: 100)"),
            flag("--temperature", default="0.8", help="> 0; lower is safer (default: 0.8)"),
            flag("--seed", default=None, help="seed for a repeatable piece (and opening "
                 "chord)"))),
        export_command(),
    )
    routes = (
        Route("generate", "a piece sampled after each opening chord: the MIDI pitches "
              "sounding at every step", "predict", input="an opening chord: a list of MIDI "
              "pitches 21-108", params=(
                  Param("length", int, 64, f"time steps, 1-{MAX_STEPS}",
                        parse_int_range(1, MAX_STEPS)),
                  Param("temperature", float, 0.8, "> 0; lower is safer", parse_positive),
                  Param("seed", int | None, None, "seed for a repeatable piece",
                        parse_optional(parse_count)))),
        Route("render", f"each piece as sound: a 16-bit mono WAV at {RATE} Hz, base64",
              "render", input=f"a piece: the MIDI pitches 21-108 sounding at every step (at "
              f"most {MAX_SECONDS} s of it)", params=(
                  Param("tempo", float, 100.0, "steps per minute", parse_positive),)),
    )

    def __init__(self, options, *, vocab=None, meta: dict | None = None):
        super().__init__(options, vocab=None, meta=meta)   # frames are the inputs: no tokens
        self.openings = meta["openings"] if meta else None

    # --- data ------------------------------------------------------------------------------

    def load(self, path: str | None, argument: str = "data") -> list[torch.Tensor]:
        """The piano rolls (n, 88) of a JSON file of pieces; ``argument`` names it in errors."""
        if path is None:
            raise bad(argument, "a JSON file of pieces (--data FILE) for the music task",
                      "none")
        return read_pieces(path, argument)

    def setup(self, train: "TrainConfig"):
        self.source = train.data
        rolls, valid = split(self.load(train.data), train)
        if train.valid is not None:
            valid = self.load(train.valid, "valid")
        self.fingerprint = fingerprint([train.data, train.valid])
        if self.openings is None:
            self.openings = openings(rolls)
        self.n_train, self.n_valid = len(rolls), len(valid)
        self.train_batches = FrameBatches(rolls, train.batch_size, train.seq_len, train.seed)
        self.valid_batches = self.eval_batches(valid, train) if valid else None

    def eval_batches(self, rolls: list[torch.Tensor], train: "TrainConfig") -> FrameBatches:
        return FrameBatches(rolls, train.batch_size, train.seq_len, shuffle=False)

    def eval_data(self, run: Run, path: str | None, *,
                  train: "TrainConfig | None" = None) -> FrameBatches:
        """Batches of --data (batched with ``train``, default: the run's settings), of the
        run's --valid file, or of the pieces it held out."""
        train = train or run.config.train
        path = path if path is not None else train.valid
        if path is not None:
            return self.eval_batches(self.load(path), train)
        self.setup(train)
        if self.valid_batches is None:
            raise bad("data", "a JSON file of pieces (--data FILE): the run kept no "
                      "validation pieces", "none")
        return self.valid_batches

    def meta(self) -> dict:
        return {"openings": self.openings}

    def describe(self) -> str:
        steps = self.train_batches.steps
        return (f"data: {self.source!r}, {self.n_train:,} train pieces ({steps:,} predicted "
                f"steps) and {self.n_valid:,} valid pieces, {KEYS} keys")

    def onnx_graphs(self, model) -> dict:
        """The many-to-many graph with the states as inputs and outputs, to stream."""
        from ..export.models import many_to_many
        return many_to_many(model, states=True)

    def export_usage(self) -> list[str]:
        return ["x (B, T, 88): piano-roll frames, key k (MIDI pitch 21 + k) 1.0 when "
                "sounding; lengths (B,): frames per piece; h0_l (c0_l): zeros at the start",
                "y (B, T, 88): each key's logit of the next frame (sigmoid: the probability "
                "it sounds); to generate, sample a frame and feed it back (T = 1) with h_l "
                "(c_l), starting from an opening chord of task.json's openings"]

    # --- model -----------------------------------------------------------------------------

    def build_model(self, model: "ModelConfig") -> ManyToMany:
        if model.bidirectional:
            raise bad("bidirectional", "false for the music task (a reverse direction would "
                      "read the frame it predicts)", model.bidirectional)
        return ManyToMany(KEYS, model.hidden_sizes, KEYS, model.cell, model.activation,
                          dropout=model.dropout, embed_dropout=self.options.embed_dropout)

    def loss(self, model: nn.Module, x: Frames, y: torch.Tensor, state=None):
        """Mean NLL per predicted step (nats, summed over the 88 keys); no state carried."""
        logits = model(x.frames, x.lengths)                            # (B, T, 88)
        return binary_cross_entropy(logits, y, x.lengths, reduction="step"), None

    def targets(self, batch) -> int:
        """Predicted steps."""
        return int(batch.x.lengths.sum())

    def evaluate(self, model: nn.Module, batches: FrameBatches | None = None, *,
                 max_batches: int | None = None) -> dict:
        return evaluate(model, self.valid_batches if batches is None else batches,
                        max_batches)

    def report(self, valid: dict) -> str:
        return (f"valid NLL: {valid['nll']:.4f} nats per time step, frame accuracy "
                f"{valid['accuracy']:.2%} ({valid['steps']:,} steps)")

    def predict(self, models: list, inputs: list, *, length: int = 64,
                temperature: float = 0.8, seed: int | None = None) -> list[list[list[int]]]:
        """A piece of ``length`` frames sampled from the (first) model after each opening
        chord (a list of MIDI pitches 21..108), as the list of pitches sounding at every
        step (the opening first)."""
        for opening in inputs:
            if not isinstance(opening, (list, tuple)):
                raise bad("opening", "a list of MIDI pitches 21..108 (a chord)", repr(opening))
        return [[pitches(frame) for frame in generate(models[0], list(opening), length,
                                                      temperature, seed)]
                for opening in inputs]

    def render(self, models: list, inputs: list, *, tempo: float = 100.0) -> list[dict]:
        """Per piece (a list of steps, each a list of MIDI pitches): {"wav": the base64 of a
        WAV file (``elman.music.synth``), "seconds", "rate"}."""
        from ..music import wav_bytes
        out = []
        for i, steps in enumerate(inputs):
            where = f"inputs[{i}]"
            if not isinstance(steps, list) or not steps:
                raise bad(where, "a piece: a non-empty list of steps", type(steps).__name__)
            seconds = len(steps) * 60 / tempo
            if seconds > MAX_SECONDS:
                raise bad(where, f"at most {MAX_SECONDS} s of music (fewer steps or a faster "
                          "tempo)", f"{seconds:.0f} s")
            wav = wav_bytes(piano_roll(steps, "the piece", where), tempo, RATE)
            out.append({"wav": base64.b64encode(wav).decode("ascii"), "seconds": seconds,
                        "rate": RATE})
        return out

    # --- commands --------------------------------------------------------------------------

    def cmd_eval(self, run: Run, args) -> int:
        batches, scored = self.scored_data(run, args)
        print_metrics(self.evaluate(run.model, batches), args, lambda r: (
            f"NLL: {r['nll']:.4f} nats per time step\nframe accuracy: {r['accuracy']:.4f}\n"
            f"time steps: {r['steps']:,}"), scored)
        return 0

    def cmd_generate(self, run: Run, args) -> int:
        """Sample a piece from an opening chord of the training pieces; write MIDI and WAV."""
        from ..music import write_midi, write_wav
        temperature = parse_positive("temperature", args.temperature)
        seed = parse_optional(parse_count)("seed", args.seed)
        if not args.out or not args.out.lower().endswith((".mid", ".midi")):
            raise bad("out", "a MIDI file to write, ending in .mid (--out song.mid)",
                      repr(args.out))
        writable(args.out, "out")
        length = parse_positive_int("length", args.length)
        tempo = parse_positive("tempo", args.tempo)
        opening = random.Random(seed).choice(self.openings)
        roll = generate(run.model, opening, length, temperature, seed)
        out = Path(args.out)
        wav = out.with_suffix(".wav")
        write_midi(out, roll, tempo)
        write_wav(wav, roll, tempo)
        notes = int(roll.sum())
        print(f"wrote {out} and {wav}: {length} steps at {tempo:g} beats per minute, "
              f"{notes:,} key-steps on, opening chord {opening}")
        return 0


def split(rolls: list[torch.Tensor], train: "TrainConfig") -> tuple[list, list]:
    """(train, valid) pieces: all of them and none when there is a --valid file, else a seeded
    ``valid_fraction`` of whole pieces held out."""
    if train.valid is not None or train.valid_fraction == 0 or len(rolls) < 2:
        return rolls, []
    g = torch.Generator().manual_seed(train.split_seed)
    order = torch.randperm(len(rolls), generator=g).tolist()
    held = set(order[:max(1, round(train.valid_fraction * len(rolls)))])
    return ([r for i, r in enumerate(rolls) if i not in held],
            [r for i, r in enumerate(rolls) if i in held])


def fingerprint(paths: list[str | None]) -> str:
    digest = hashlib.sha256()
    for p in paths:
        if p is not None:
            digest.update(Path(p).read_bytes())
    return digest.hexdigest()


def openings(rolls: list[torch.Tensor]) -> list[list[int]]:
    """The distinct first chords of the training pieces, where generation may start."""
    return sorted({tuple(pitches(r[0])) for r in rolls if r[0].any()}) or [[]]


def frame_counts(logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(TP, FP, FN) summed over the real steps, a key on where sigmoid(logit) >= 0.5.
    logits, y (B, T, 88), lengths (B,) -> (3,) int64."""
    real = (torch.arange(y.shape[1], device=y.device) < lengths[:, None])[..., None]
    on, truth = (logits >= 0) & real, (y > 0.5) & real
    return torch.stack([(on & truth).sum(), (on & ~truth).sum(), (~on & truth).sum()])


def frame_accuracy(tp: int, fp: int, fn: int) -> float:
    """TP / (TP + FP + FN); 1.0 when nothing sounds and nothing is predicted."""
    return tp / (tp + fp + fn) if tp + fp + fn else 1.0


@torch.no_grad()
def evaluate(model: nn.Module, batches: FrameBatches, max_batches: int | None = None) -> dict:
    """{"loss" = "nll": nats per predicted step, "accuracy": frame accuracy, "steps"}."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total, steps, counts = 0.0, 0, torch.zeros(3, dtype=torch.long)
    try:
        for k, batch in enumerate(batches.epoch(0)):
            if max_batches is not None and k >= max_batches:
                break
            x, y = batch.x.to(device), batch.y.to(device)
            logits = model(x.frames, x.lengths)
            total += float(binary_cross_entropy(logits, y, x.lengths, reduction="sum"))
            steps += int(x.lengths.sum())
            counts += frame_counts(logits, y, x.lengths).cpu()
    finally:
        model.train(was_training)
    nll = total / max(steps, 1)
    return {"loss": nll, "nll": nll, "accuracy": frame_accuracy(*counts.tolist()),
            "steps": steps}


@torch.no_grad()
def generate(model: ManyToMany, opening: list[int], length: int, temperature: float = 1.0,
             seed: int | None = None) -> torch.Tensor:
    """Sample a piece of ``length`` frames (length, 88) starting from the chord ``opening``:
    each key of the next frame on with probability sigmoid(logit / temperature), the frame
    fed back as the next input."""
    if not isinstance(length, int) or length < 1:
        raise bad("length", "an int >= 1", repr(length))
    if not temperature > 0:
        raise bad("temperature", "a number > 0", temperature)
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    frame = piano_roll([opening], "the opening chord", "opening")      # (1, 88)
    out, state = [frame], None
    try:
        for _ in range(length - 1):
            h, state = model.rnn(frame[None].to(model.output.weight.device), None, state)
            p = torch.sigmoid(model.output(h)[0, -1].float().cpu() / temperature)   # (88,)
            frame = (torch.rand(KEYS, generator=g) < p).float()[None]
            out.append(frame)
    finally:
        model.train(was_training)
    return torch.cat(out)
