"""The language model task: read a text, predict each next character (``level="char"``),
word (``level="word"``, for next-word suggestions as a phone keyboard makes them) or subword
(``level="subword"``: pieces of a sentencepiece model of ``subwords`` pieces trained on the
text, ``elman.data.tokenizers.Pieces``, kept in the run's task.json; text decodes exactly).

Data: a UTF-8 file or the built-in corpus, a character vocabulary or a word vocabulary of the
words seen ``min_count`` times (``elman.data.words`` tokens, optionally lower-cased), a seeded block split into
train and valid streams (``elman.data.text.split_blocks``) and stream batches
(``elman.data.batching``). Model: ``elman.models.LanguageModel``. Loss: cross-entropy in nats
per token; metrics: bits per token (nats / ln 2; "bpc" at every level) and perplexity.
"""

import base64
import hashlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .. import inside
from ..data.batching import StreamBatches
from ..data.prepared import Prepared, Stream, is_prepared, open_prepared, split_stream
from ..data.text import DEFAULT_CORPUS, load_corpus, split_blocks
from ..data.tokenizers import Pieces
from ..data.vocab import Vocab
from ..data.words import words
from ..errors import bad
from ..losses import cross_entropy, nats_to_bits, perplexity
from ..models import LanguageModel
from ..options import (
    opt,
    parse_choice,
    parse_count,
    parse_flag,
    parse_int_range,
    parse_optional,
    parse_positive,
    parse_positive_int,
)
from .base import Command, Param, Route, Task, eval_command, export_command, flag, print_metrics

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig


@dataclass
class Options:
    """Settings of the language model task."""

    level: str = opt("char", parse_choice(("char", "word", "subword")), "character, word "
                     "or subword tokens")
    subwords: int | None = opt(2000, parse_optional(parse_positive_int), "pieces of the "
                               "sentencepiece model trained on the text (level subword)")
    min_count: int = opt(1, parse_positive_int, "keep words seen at least this often in "
                         "training; the rest read as <unk> (level word)")
    lowercase: bool = opt(False, parse_flag, "lower-case the text before the vocabulary")
    split_blocks: int = opt(50, parse_positive_int, "contiguous blocks the text is cut into; a "
                            "seeded valid_fraction of them is held out (1: hold out the end)")
    sample_length: int = opt(400, parse_count, "characters (or words) to generate after "
                             "training", fixed=False)
    temperature: float = opt(0.8, parse_positive, "sampling temperature of that sample",
                             fixed=False)
    top_k: int | None = opt(None, parse_optional(parse_positive_int), "sample only from the k "
                            "most likely tokens", fixed=False)


UNITS = {"char": "characters", "word": "words", "subword": "subwords"}
MAX_K, MAX_GENERATE, MAX_INSIDE = 50, 2000, 1000      # bounds of one HTTP request
K = Param("k", int, 5, f"how many next tokens (1-{MAX_K})", parse_int_range(1, MAX_K))
LAYER = Param("layer", int | None, None, "the layer, from 1 (the lowest; null: the top)",
              parse_optional(parse_positive_int))


class LanguageModelTask(Task):
    """Language modelling of one text stream, by characters or by words. ``--data``: a UTF-8
    text file (default: Python's built-in documentation, 'pydoc')."""

    name = "lm"
    Options = Options
    commands = (
        eval_command(flag("--batch-size", default="32", help="parallel streams (default: 32)"),
                     flag("--seq-len", default="100", help="steps per window (default: 100)"),
                     help="loss, bits per token and perplexity on --data or the held-out "
                     "text"),
        Command("generate", "stream tokens sampled from the model", "cmd_generate", (
            flag("--prompt", default="", help="text to continue (default: a new line)"),
            flag("--length", default="500", help="tokens to generate (default: 500)"),
            flag("--temperature", default="0.8", help="> 0; lower is safer (default: 0.8)"),
            flag("--top-k", default=None, help="sample from the k likeliest (default: all)"),
            flag("--seed", default=None, help="seed for a repeatable sample"))),
        Command("next", "the likeliest next words of a word language model", "cmd_next", (
            flag("prompt", help="the text so far"),
            flag("-k", "--top-k", dest="k", default="5", help="how many words (default: 5)"))),
        export_command(),
    )
    routes = (
        Route("next", "the k likeliest next tokens after each prompt, with probabilities",
              "next_tokens", input="a prompt", params=(K,)),
        Route("generate", "tokens sampled after a prompt, one event each", "sample",
              kind="stream", input="a prompt (may be empty)", params=(
                  Param("length", int, 200, f"tokens to generate (0-{MAX_GENERATE})",
                        parse_int_range(0, MAX_GENERATE)),
                  Param("temperature", float, 0.8, "> 0; lower is safer", parse_positive),
                  Param("top_k", int | None, None, "sample from the k likeliest (null: all)",
                        parse_optional(parse_positive_int)),
                  Param("seed", int | None, None, "seed for a repeatable sample",
                        parse_optional(parse_count)))),
        Route("session", "feed the newly typed text; the recurrent state stays on the "
              "server; the k likeliest next tokens", "feed", kind="session",
              input="the text typed since the last request", params=(K,)),
        Route("activations", "the activation of every unit of a layer at every token of a "
              "text, and per feature of the text (inside quotes, position in line, inside "
              "brackets) the units by how well they track it", "activations",
              input=f"a text (1-{MAX_INSIDE} tokens)", params=(LAYER,)),
        Route("gradients", "||dL/da_t|| for every layer and token of a text, L the loss of "
              "its last token: how the gradient vanishes or explodes going back in time",
              "gradients", input=f"a text (2-{MAX_INSIDE} tokens)"),
    )

    pieces: Pieces | None = None                     # the subword model (level subword)

    def __init__(self, options, *, vocab: Vocab | None = None, meta: dict | None = None):
        super().__init__(options, vocab=vocab, meta=meta)
        if meta and meta.get("spm"):
            self.pieces = Pieces(base64.b64decode(meta["spm"]), options.lowercase)

    def load(self, path: str | None) -> "str | Prepared":
        """The text of a UTF-8 file, or the built-in corpus for None (or "pydoc"); a folder
        of ``elman prepare``: its memory-mapped ids (``elman.data.prepared``)."""
        return open_prepared(path) if is_prepared(path) else load_corpus(path)

    def setup(self, train: "TrainConfig"):
        o = self.options
        if train.valid is not None:
            raise bad("valid", "none for the lm task (it holds out a seeded valid_fraction of "
                      "--data, in split_blocks blocks)", repr(train.valid))
        if o.level == "subword" and o.subwords is None:
            raise bad("subwords", "the pieces of the subword model (an integer >= 1)", None)
        data = self.load(train.data)
        self.source = train.data or DEFAULT_CORPUS
        if isinstance(data, Prepared):
            ids = self.prepared_ids(data)
        else:
            self.fingerprint = hashlib.sha256(data.encode("utf-8")).hexdigest()
            if self.vocab is None:
                self.fit_vocab(data)
            ids = torch.tensor(self.encode(data), dtype=torch.long)
        split = split_stream if isinstance(ids, Stream) else split_blocks
        self.train_ids, self.valid_ids = split(ids, train.valid_fraction, train.split_seed,
                                               o.split_blocks)
        self.train_batches = StreamBatches(self.train_ids, train.batch_size, train.seq_len,
                                           train.bptt, seed=train.seed)
        self.valid_batches = None
        if len(self.valid_ids) >= 2:
            self.valid_batches = StreamBatches(self.valid_ids, train.batch_size, train.seq_len,
                                               "truncated", shuffle=False)

    def fit_vocab(self, text: str):
        """The vocabulary (and the subword model) of a training text."""
        o = self.options
        if o.level == "subword":
            self.pieces = Pieces.train(text.split("\n"), o.subwords, o.lowercase, running=True)
            self.vocab = Vocab.of_pieces(self.pieces)
        else:
            self.vocab = Vocab.build(token_text(text, o.level, o.lowercase), o.level,
                                     min_count=o.min_count if o.level == "word" else 1)

    def encode(self, text: str) -> list[int]:
        """The ids of a text."""
        return encode(text, self.vocab, self.options.lowercase, self.pieces)

    def meta(self) -> dict | None:
        """The subword model (base64), for level subword."""
        if self.pieces is None:
            return None
        return {"spm": base64.b64encode(self.pieces.model).decode("ascii")}

    @classmethod
    def needs_meta(cls, options) -> bool:
        return options.level == "subword"

    def prepared_ids(self, data: Prepared) -> Stream:
        """The ids of a prepared folder, after checking it was tokenised as the run's options
        say (and with the run's vocabulary, when it has one)."""
        o, header = self.options, data.header
        given = {"level": o.level, "lowercase": o.lowercase,
                 "min_count": o.min_count if o.level == "word" else 1,
                 "subwords": o.subwords if o.level == "subword" else None}
        for name, value in given.items():
            if header.get(name) != value:
                flag = f"--{name.replace('_', '-')}"
                raise bad("data", f"a folder prepared with the run's {name} {value!r} (elman "
                          f"prepare {flag} {flag_value(value)}, or train with {flag} "
                          f"{flag_value(header.get(name))})",
                          f"{name} {header.get(name)!r} in {str(data.path)!r}")
        self.same_vocab(data)
        self.fingerprint = header["sha256"]
        return data.stream()

    def same_vocab(self, data: Prepared):
        """Take the prepared folder's vocabulary, or check it is the run's."""
        if self.vocab is None:
            self.vocab = data.vocab
            if data.spm is not None:
                self.pieces = Pieces(data.spm, self.options.lowercase)
        elif data.vocab != self.vocab:
            raise bad("data", "a folder prepared with the run's vocabulary (its ids are the "
                      "model's)", f"another vocabulary of {len(data.vocab):,} tokens in "
                      f"{str(data.path)!r}")

    def eval_batches(self, text: "str | Prepared", train: "TrainConfig") -> StreamBatches:
        if isinstance(text, Prepared):
            self.same_vocab(text)
            return StreamBatches(text.stream(), train.batch_size, train.seq_len, "truncated",
                                 shuffle=False)
        ids = torch.tensor(self.encode(text), dtype=torch.long)
        if len(ids) < 2:
            raise bad("data", "at least 2 tokens to evaluate", len(ids))
        if self.pieces is not None:
            self.unknown = int((ids == self.vocab.index[self.vocab.unk]).sum())
        else:
            text = token_text(text, self.vocab.level, self.options.lowercase)
            unknown = set(self.vocab.unknown(text))
            self.unknown = sum(1 for t in vocab_tokens(text, self.vocab) if t in unknown)
        return StreamBatches(ids, train.batch_size, train.seq_len, "truncated", shuffle=False)

    def describe(self) -> str:
        name = "the built-in corpus (Python's pydoc topics)" if self.source == DEFAULT_CORPUS \
            else repr(self.source)
        n, v = len(self.train_ids) + len(self.valid_ids), len(self.valid_ids)
        unit = UNITS[self.options.level]
        return (f"data: {name}, {n:,} {unit} ({n - v:,} train, {v:,} valid), "
                f"vocabulary of {len(self.vocab)}")

    def build_model(self, model: "ModelConfig") -> LanguageModel:
        if model.bidirectional:
            raise bad("bidirectional", "false for a language model (a reverse direction would "
                      "read the token it predicts)", model.bidirectional)
        return LanguageModel(len(self.vocab), model.hidden_sizes, model.embed_dim, model.cell,
                             model.activation, model.dropout)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, state=None):
        """x, y (B, T) -> (mean nats per target token, final state)."""
        logits, state = model(x, state=state)                     # (B, T, V)
        return cross_entropy(logits, y, reduction="step"), state

    def evaluate(self, model: nn.Module, batches: StreamBatches | None = None, *,
                 max_batches: int | None = None) -> dict:
        """Loss over the validation stream (or ``batches``), state carried across windows."""
        return evaluate(model, batches or self.valid_batches, max_batches)

    def report(self, metrics: dict) -> str:
        unit = self.vocab.level
        return (f"valid bits per {unit}: {metrics['bpc']:.3f} (loss {metrics['loss']:.4f} "
                f"nats/{unit}, perplexity {metrics['perplexity']:.2f})")

    def headline(self, metrics: dict | None) -> str:
        return "-" if not metrics else f"{metrics['bpc']:.3f}"

    def epilogue(self, model: nn.Module, config) -> Iterator[str]:
        """A sample of the trained model, printed after training."""
        o = self.options
        if o.sample_length:
            yield (f"sample (temperature {o.temperature:g}):\n")
            yield from generate(model, self.vocab, "", o.sample_length, o.temperature,
                                o.top_k, config.train.seed, pieces=self.pieces)
            yield "\n"

    def predict(self, models: list, inputs: list[str], k: int = 5) -> list[list]:
        """The ``k`` likeliest next tokens after each prompt, [[token, probability], ...]."""
        return [[[w, p] for w, p in next_words(models[0], self.vocab, prompt, k,
                                                 self.options.lowercase)]
                for prompt in inputs]

    def export_usage(self) -> list[str]:
        unit = {"char": "character", "word": "word (elman.data.words tokens)",
                "subword": "piece of task.json's spm model (sentencepiece, base64)"}
        return [f"tokens: the id of each {unit[self.vocab.level]} in vocab.json's tokens (lower-cased first when "
                "options.lowercase), unk's id for one not in it",
                "model: tokens (B, T), lengths (B,), h0_l (c0_l) zeros at the start -> logits "
                "(B, T, V) over the next token and h_l (c_l), the states after each "
                "sequence's last real step, the h0_l (c0_l) of the next window",
                "step: token (B,), h0_l (c0_l) -> the next token's logits (B, V) and the new "
                "states: sample softmax(logits / temperature) and feed it back to generate"]

    # --- serving ---------------------------------------------------------------------------

    def prompt_ids(self, prompt: str, name: str = "input") -> list[int]:
        if not isinstance(prompt, str):
            raise bad(name, "a string", type(prompt).__name__)
        ids = self.encode(prompt)
        if not ids:
            raise bad(name, f"at least one {self.vocab.level}", repr(prompt))
        return ids

    @torch.no_grad()
    def next_tokens(self, models: list, inputs: list[str], *, k: int = 5) -> list[list]:
        """Per prompt, [[token, probability], ...] of the ``k`` likeliest next tokens: the
        prompts right-padded into one batch, each read at its own last token."""
        model = one_model(models)
        check_k(k)
        ids = [self.prompt_ids(p, f"inputs[{i}]") for i, p in enumerate(inputs)]
        lengths = torch.tensor([len(i) for i in ids])
        x = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
        for row, seq in enumerate(ids):
            x[row, :len(seq)] = torch.tensor(seq)
        with evaluating(model):
            logits, _ = model(x.to(device_of(model)))                   # (B, T, V)
        last = logits[torch.arange(len(ids)), lengths - 1]              # (B, V)
        return [top_tokens(row, self.vocab, k, self.pieces) for row in last]

    def sample(self, models: list, prompt: str, *, length: int = 200,
               temperature: float = 0.8, top_k: int | None = None,
               seed: int | None = None) -> Iterator[dict]:
        """{"token": text} per sampled token after ``prompt``."""
        if not isinstance(prompt, str):
            raise bad("input", "a string", type(prompt).__name__)
        for token in generate(one_model(models), self.vocab, prompt, length, temperature,
                              top_k, seed, self.options.lowercase, self.pieces):
            yield {"token": token}

    @torch.no_grad()
    def feed(self, models: list, state, text: str, *, k: int = 5) -> tuple:
        """Read ``text`` after the session's ``state`` (None: a new session); (the new state,
        {"next": the k likeliest next tokens, "tokens": how many tokens ``text`` was})."""
        model = one_model(models)
        check_k(k)
        ids = self.prompt_ids(text)
        with evaluating(model):
            logits, state = model(torch.tensor([ids], device=device_of(model)), state=state)
        return state, {"next": top_tokens(logits[0, -1], self.vocab, k, self.pieces),
                           "tokens": len(ids)}

    def inside_tokens(self, text: str, name: str, least: int) -> tuple[list[int], list[str]]:
        """The ids and the tokens of a text for the inside views: ``least`` to MAX_INSIDE."""
        ids = self.prompt_ids(text, name)
        if not least <= len(ids) <= MAX_INSIDE:
            raise bad(name, f"a text of {least} to {MAX_INSIDE:,} {self.vocab.level}s",
                      f"{len(ids):,}")
        if self.pieces is not None:
            return ids, [shown(i, self.vocab, self.pieces) for i in ids]
        text = token_text(text, self.vocab.level, self.options.lowercase)
        return ids, vocab_tokens(text, self.vocab)

    @torch.no_grad()
    def activations(self, models: list, inputs: list[str], *, layer: int | None = None
                    ) -> list[dict]:
        """Per text: {"tokens", "layer" (1..L), "activations" [token][unit] (4 decimals),
        "features": {name: {"values" per token, "units": [[unit, correlation], ...]}}}."""
        model = one_model(models)
        L = len(model.rnn.layers)
        if layer is not None and layer > L:
            raise bad("layer", f"a layer from 1 to {L}", layer)
        layer = L if layer is None else layer
        out = []
        for i, text in enumerate(inputs):
            ids, tokens = self.inside_tokens(text, f"inputs[{i}]", 1)
            with evaluating(model):
                x = model.embedding(torch.tensor([ids], device=device_of(model)))
                a = torch.cat(inside.unroll(model.rnn, x)[layer - 1]).double().cpu().numpy()
            out.append({"tokens": tokens, "layer": layer,
                        "activations": np.round(a, 4).tolist(),
                        "features": inside.ranking(a, tokens)})
        return out

    def gradients(self, models: list, inputs: list[str]) -> list[dict]:
        """Per text: {"tokens", "loss" (nats, of its last token given the rest), "norms":
        [layer][t] = ||dL/da_t|| after reading token t (t < T - 1)}."""
        model = one_model(models)
        out = []
        for i, text in enumerate(inputs):
            ids, tokens = self.inside_tokens(text, f"inputs[{i}]", 2)
            x = torch.tensor([ids[:-1]], device=device_of(model))
            target = torch.tensor([ids[-1]], device=device_of(model))
            with evaluating(model):
                loss, norms = inside.gradient_norms(
                    model.rnn, model.embedding(x),
                    lambda a: nn.functional.cross_entropy(model.output(a), target))
            out.append({"tokens": tokens, "loss": loss, "norms": norms})
        return out

    # --- commands --------------------------------------------------------------------------

    def cmd_eval(self, run, args) -> int:
        given = replace(run.config.train,
                        batch_size=parse_positive_int("batch_size", args.batch_size),
                        seq_len=parse_positive_int("seq_len", args.seq_len))
        self.unknown = 0                     # the held-out stream is batched as in training
        batches, scored = self.scored_data(run, args, train=given)
        result = self.evaluate(run.model, batches)
        if self.unknown:
            unit = UNITS[self.vocab.level]
            print(f"note: {self.unknown:,} {unit} not in the vocabulary were read as "
                  f"unknown", file=sys.stderr)
        unit = self.vocab.level
        print_metrics(result, args, lambda r: (
            f"loss: {r['loss']:.4f} nats/{unit}\nbits per {unit}: {r['bpc']:.4f}\n"
            f"perplexity: {r['perplexity']:.3f}\n{unit}s: {r['tokens']:,}"), scored)
        return 0

    def cmd_generate(self, run, args) -> int:
        """Write --prompt, then stream the tokens sampled after it."""
        temperature = parse_positive("temperature", args.temperature)
        top_k = parse_optional(parse_positive_int)("top_k", args.top_k)
        seed = parse_optional(parse_count)("seed", args.seed)
        length = parse_count("length", args.length)
        sys.stdout.write(args.prompt)
        stream(generate(run.model, self.vocab, args.prompt, length, temperature, top_k, seed,
                        self.options.lowercase, self.pieces))
        return 0

    def cmd_next(self, run, args) -> int:
        k = parse_positive_int("k", args.k)
        if self.vocab.level != "word":
            raise bad("run", "a word language model (train --task lm --level word)",
                      f"a {self.name} run at {self.vocab.level} level")
        for word, p in next_words(run.model, self.vocab, args.prompt, k,
                                  self.options.lowercase):
            print(f"{word}\t{p:.4f}")
        return 0


def stream(tokens):
    """Print tokens as they come, flushing each, then a newline."""
    for token in tokens:
        sys.stdout.write(token)
        sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()


def flag_value(value) -> str:
    """A setting as a command-line flag's value (true, 2, word)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def token_text(text: str, level: str, lowercase: bool = False) -> str:
    """The text a vocabulary of ``level`` encodes: the characters (lower-cased when
    ``lowercase``), or the word tokens joined by single spaces."""
    if level == "word":
        return " ".join(words(text, lowercase))
    return text.lower() if lowercase else text


@torch.no_grad()
def evaluate(model: nn.Module, batches: StreamBatches, max_batches: int | None = None) -> dict:
    """{"loss": nats/token, "bpc", "perplexity", "tokens"} of a model over stream batches."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total, count, state = 0.0, 0, None
    try:
        for k, batch in enumerate(batches.epoch(0)):
            if max_batches is not None and k >= max_batches:
                break
            x, y = batch.x.to(device), batch.y.to(device)
            logits, state = model(x, state=state if batch.carry else None)
            total += float(cross_entropy(logits, y, reduction="sum"))
            count += y.numel()
    finally:
        model.train(was_training)
    loss = total / max(count, 1)
    return {"loss": loss, "bpc": nats_to_bits(loss), "perplexity": perplexity(loss),
            "tokens": count}


def encode(text: str, vocab: Vocab, lowercase: bool = False,
           pieces: Pieces | None = None) -> list[int]:
    """The ids of a text: its sentencepiece ids (``pieces``, level subword), or its
    ``token_text``'s."""
    if pieces is not None:
        return pieces.ids(text)
    return vocab.encode(token_text(text, vocab.level, lowercase))


def shown(token: int, vocab: Vocab, pieces: Pieces | None = None) -> str:
    """The text of a token id: the character, the word, or the piece decoded."""
    return pieces.text([vocab.tokens[token]]) if pieces is not None else vocab.tokens[token]


def vocab_tokens(text: str, vocab: Vocab) -> list[str]:
    return list(text) if vocab.level == "char" else text.split()


@torch.no_grad()
def next_words(model: LanguageModel, vocab: Vocab, prompt: str, k: int = 5,
               lowercase: bool = False, pieces: Pieces | None = None
               ) -> list[tuple[str, float]]:
    """The ``k`` likeliest next tokens after ``prompt`` with their probabilities (the unknown
    token left out), likeliest first."""
    check_k(k)
    ids = encode(prompt, vocab, lowercase, pieces)
    if not ids:
        raise bad("prompt", "at least one word", repr(prompt))
    with evaluating(model):
        logits, _ = model(torch.tensor([ids], device=device_of(model)))
    return [tuple(pair) for pair in top_tokens(logits[0, -1], vocab, k, pieces)]


def check_k(k):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise bad("k", "an int >= 1", repr(k))


def top_tokens(logits: torch.Tensor, vocab: Vocab, k: int,
               pieces: Pieces | None = None) -> list[list]:
    """logits (V,) -> [[token, probability], ...] of the ``k`` likeliest tokens, the unknown
    token left out, likeliest first."""
    p = torch.softmax(logits.float(), dim=-1)
    if vocab.unk is not None:
        p[vocab.index[vocab.unk]] = -1.0
    top = torch.topk(p, min(k, len(vocab) - (vocab.unk is not None)))
    return [[shown(int(i), vocab, pieces), float(q)] for q, i in zip(top.values, top.indices)]


@contextmanager
def evaluating(model: nn.Module):
    """``model`` in eval mode (no dropout) for the block, its mode restored after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def one_model(models: list) -> nn.Module:
    if len(models) != 1:
        raise bad("models", "one language model (they do not vote)", len(models))
    return models[0]


def generate(model: LanguageModel, vocab: Vocab, prompt: str, length: int,
             temperature: float = 1.0, top_k: int | None = None,
             seed: int | None = None, lowercase: bool = False,
             pieces: Pieces | None = None) -> Iterator[str]:
    """Yield ``length`` sampled characters (space-led words, decoded pieces), one at a time,
    continuing
    ``prompt``; never the unknown token (U+FFFD or <unk>), which is no text.

    An empty prompt starts after a newline (or the first token when there is none)."""
    if not isinstance(length, int) or length < 0:
        raise bad("length", "an int >= 0", repr(length))
    ids = encode(prompt, vocab, lowercase, pieces) if prompt else []
    ids = ids or [vocab.index.get("\n", 0)]
    g = None
    if seed is not None:
        g = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
    unk = vocab.index[vocab.unk] if vocab.unk is not None and len(vocab) > 1 else None
    for token in model.generate(ids, length, temperature, top_k, generator=g, never=unk):
        yield " " + vocab.tokens[token] if vocab.level == "word" else shown(token, vocab, pieces)
