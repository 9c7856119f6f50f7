"""The language model task: read a text, predict each next character (``level="char"``) or
word (``level="word"``, for next-word suggestions as a phone keyboard makes them).

Data: a UTF-8 file or the built-in corpus, a character vocabulary or a word vocabulary of the
words seen ``min_count`` times (``elman.data.words`` tokens, optionally lower-cased), a seeded block split into
train and valid streams (``elman.data.text.split_blocks``) and stream batches
(``elman.data.batching``). Model: ``elman.models.LanguageModel``. Loss: cross-entropy in nats
per token; metrics: bits per token (nats / ln 2; "bpc" for both levels) and perplexity.
"""

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..data.batching import StreamBatches
from ..data.text import DEFAULT_CORPUS, load_corpus, split_blocks
from ..data.vocab import Vocab
from ..data.words import words
from ..errors import bad
from ..losses import cross_entropy, nats_to_bits, perplexity
from ..models import LanguageModel

if TYPE_CHECKING:   # the training package depends on tasks, not the other way round
    from ..training.config import ModelConfig, TrainConfig


class LanguageModelTask:
    """Character-level language modelling of one text stream."""

    name = "lm"

    def __init__(self, train: "TrainConfig", vocab: Vocab | None = None, meta=None):
        text = load_corpus(train.data)
        self.source = train.data or DEFAULT_CORPUS
        self.fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.level = train.level
        text = token_text(text, train.level, train.lowercase)
        self.vocab = vocab if vocab is not None else \
            Vocab.build(text, train.level, min_count=train.min_count if train.level == "word" else 1)
        ids = torch.tensor(self.vocab.encode(text), dtype=torch.long)
        self.train_ids, self.valid_ids = split_blocks(ids, train.valid_fraction, train.split_seed,
                                                     train.split_blocks)
        self.train_batches = StreamBatches(self.train_ids, train.batch_size, train.seq_len,
                                           train.bptt, seed=train.seed)
        self.valid_batches = None
        if len(self.valid_ids) >= 2:
            self.valid_batches = StreamBatches(self.valid_ids, train.batch_size, train.seq_len,
                                               "truncated", shuffle=False)

    @staticmethod
    def meta() -> None:
        return None   # the vocabulary and the run config say it all

    def describe(self) -> str:
        name = "the built-in corpus (Python's pydoc topics)" if self.source == DEFAULT_CORPUS \
            else repr(self.source)
        n, v = len(self.train_ids) + len(self.valid_ids), len(self.valid_ids)
        unit = "characters" if self.level == "char" else "words"
        return (f"data: {name}, {n:,} {unit} ({n - v:,} train, {v:,} valid), "
                f"vocabulary of {len(self.vocab)}")

    def build_model(self, model: "ModelConfig") -> LanguageModel:
        return LanguageModel(len(self.vocab), model.hidden_sizes, model.embed_dim, model.cell,
                             model.activation, model.dropout)

    @staticmethod
    def loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, state=None):
        """x, y (B, T) -> (mean nats per target token, final state)."""
        logits, state = model(x, state=state)                     # (B, T, V)
        return cross_entropy(logits, y, reduction="step"), state

    @torch.no_grad()
    def evaluate(self, model: nn.Module, batches: StreamBatches | None = None,
                 max_batches: int | None = None) -> dict:
        """Loss over the validation stream (or ``batches``), state carried across windows."""
        return evaluate(model, batches or self.valid_batches, max_batches)


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


def evaluate_text(model: nn.Module, vocab: Vocab, text: str, batch_size: int = 32,
                  seq_len: int = 100, lowercase: bool = False) -> dict:
    """Evaluate a model on a whole text; adds "unknown", the count of tokens outside the
    vocabulary (read as its unknown token)."""
    text = token_text(text, vocab.level, lowercase)
    ids = torch.tensor(vocab.encode(text), dtype=torch.long)
    if len(ids) < 2:
        raise bad("data", "at least 2 characters to evaluate", len(ids))
    result = evaluate(model, StreamBatches(ids, batch_size, seq_len, "truncated", shuffle=False))
    unknown = set(vocab.unknown(text))
    result["unknown"] = sum(1 for t in vocab_tokens(text, vocab) if t in unknown)
    return result


def vocab_tokens(text: str, vocab: Vocab) -> list[str]:
    return list(text) if vocab.level == "char" else text.split()


@torch.no_grad()
def next_words(model: LanguageModel, vocab: Vocab, prompt: str, k: int = 5,
               lowercase: bool = False) -> list[tuple[str, float]]:
    """The ``k`` likeliest next tokens after ``prompt`` with their probabilities (the unknown
    token left out), likeliest first."""
    if not isinstance(k, int) or k < 1:
        raise bad("k", "an int >= 1", repr(k))
    ids = vocab.encode(token_text(prompt, vocab.level, lowercase))
    if not ids:
        raise bad("prompt", "at least one word", repr(prompt))
    was_training = model.training
    model.eval()
    try:
        logits, _ = model(torch.tensor([ids], device=next(model.parameters()).device))
    finally:
        model.train(was_training)
    p = torch.softmax(logits[0, -1].float(), dim=-1)                 # (V,)
    if vocab.unk is not None:
        p[vocab.index[vocab.unk]] = -1.0
    top = torch.topk(p, min(k, len(vocab) - (vocab.unk is not None)))
    return [(vocab.tokens[i], float(q)) for q, i in zip(top.values, top.indices)]


def generate(model: LanguageModel, vocab: Vocab, prompt: str, length: int,
             temperature: float = 1.0, top_k: int | None = None,
             seed: int | None = None, lowercase: bool = False) -> Iterator[str]:
    """Yield ``length`` sampled characters (or space-led words), one at a time, continuing
    ``prompt``.

    An empty prompt starts after a newline (or the first token when there is none)."""
    if not isinstance(length, int) or length < 0:
        raise bad("length", "an int >= 0", repr(length))
    ids = vocab.encode(token_text(prompt, vocab.level, lowercase)) if prompt else []
    ids = ids or [vocab.index.get("\n", 0)]
    g = None
    if seed is not None:
        g = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
    for token in model.generate(ids, length, temperature, top_k, generator=g):
        yield vocab.tokens[token] if vocab.level == "char" else " " + vocab.tokens[token]
