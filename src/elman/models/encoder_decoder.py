"""Encoder-decoder for unequal lengths (translation, sorting): the encoder's final state is
the decoder's initial state, and optionally the decoder attends to every encoder output."""

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from ..errors import bad
from ..nn import RNN
from .attention import SCORES, Attention
from .beam import beam_search
from .common import Summarized, front_end
from .language_model import LanguageModel

ATTENTIONS = ("none",) + SCORES


class Context(NamedTuple):
    """What the decoder carries from step to step: its RNN state (list per layer), and for
    attention the encoder outputs memory (B, S, D*H_L) and mask (B, S) (True at real steps)."""

    state: list
    memory: torch.Tensor | None
    mask: torch.Tensor | None


def guess(logits: torch.Tensor, bos: torch.Tensor) -> torch.Tensor:
    """The likeliest next token (B,) of logits (B, V), never the start token bos (B,)."""
    return logits.scatter(1, bos[:, None], float("-inf")).argmax(-1)


class EncoderDecoder(Summarized, nn.Module):
    """src (B, S) ids, or (B, S, input_size) features when src_vocab is None -> encoder RNN ->
    final state of every layer -> initial state of a decoder (a conditional language model
    over tgt_vocab) -> logits (B, T, V).

    Training uses teacher forcing: the decoder reads the true previous target tokens
    (tgt_in = [bos, y_1, ..., y_{T-1}]); with ``teacher_forcing`` < 1 each step reads the
    true token with that probability and its own previous guess otherwise (scheduled
    sampling). Decoding never outputs bos. Inference feeds its own outputs back: ``greedy``
    or ``beam``.
    A bidirectional encoder gives states of 2*H_l, so the decoder's layers are 2*H_l wide.
    ``dropout``: on both sides' embeddings, between RNN layers and before the output layer.
    ``attention`` ("none", "additive", "multiplicative", "scaled"): see ``elman.models.attention``.
    """

    def __init__(self, src_vocab: int | None, tgt_vocab: int, hidden_sizes: int | Sequence[int],
                 input_size: int = 64, embed_dim: int = 64, cell: str = "elman",
                 activation="tanh", bidirectional: bool = False, dropout: float = 0.0,
                 attention: str = "none"):
        super().__init__()
        if attention not in ATTENTIONS:
            raise bad("attention", f"one of {list(ATTENTIONS)}", repr(attention))
        self.config = dict(src_vocab=src_vocab, tgt_vocab=tgt_vocab, hidden_sizes=hidden_sizes,
                           input_size=input_size, embed_dim=embed_dim, cell=cell,
                           activation=activation, bidirectional=bidirectional, dropout=dropout,
                           attention=attention)
        self.embedding = front_end(input_size, src_vocab, "src")
        self.drop = nn.Dropout(dropout)
        self.encoder = RNN(input_size, hidden_sizes, cell, activation, bidirectional, dropout)
        widths = [self.encoder.num_directions * h for h in self.encoder.hidden_sizes]
        self.decoder = LanguageModel(tgt_vocab, widths, embed_dim, cell, activation, dropout)
        if attention != "none":
            self.attention = Attention(attention, widths[-1], self.encoder.output_size)

    def encode(self, src: torch.Tensor, src_lengths=None) -> list:
        """src -> the encoder's final state of every layer (the decoder's initial state)."""
        return self.start(src, src_lengths).state

    def start(self, src: torch.Tensor, src_lengths=None) -> Context:
        """src (B, S), src_lengths (B,) or None -> the decoder's context before its first step."""
        x = self.drop(self.embedding(src))
        memory, finals = self.encoder(x, src_lengths)                # (B, S, D*H_L)
        if not hasattr(self, "attention"):
            return Context(finals, None, None)
        S = memory.shape[1]
        lengths = torch.full((src.shape[0],), S) if src_lengths is None else src_lengths
        mask = torch.arange(S, device=memory.device) < lengths.to(memory.device)[:, None]
        return Context(finals, memory, mask)

    def embed_target(self, tokens: torch.Tensor) -> torch.Tensor:
        """Decoder input ids (B, T) -> embeddings (B, T, E), dropped out in training."""
        return self.drop(self.decoder.embedding(tokens))

    def readout(self, h: torch.Tensor, context: Context):
        """Decoder outputs h (B, T, H) -> (logits (B, T, V), weights (B, T, S) or None)."""
        weights = None
        if context.memory is not None:
            h, weights = self.attention(h, context.memory, context.mask)
        return self.decoder.output(self.decoder.drop(h)), weights

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor, src_lengths=None,
                tgt_lengths=None, teacher_forcing: float = 1.0) -> torch.Tensor:
        """src, tgt_in (B, T) ids -> logits (B, T, V) for tgt_out."""
        if teacher_forcing >= 1.0:
            h, context = self.teacher_forced(src, tgt_in, src_lengths, tgt_lengths)
            return self.readout(h, context)[0]
        context = self.start(src, src_lengths)
        bos, token, out = tgt_in[:, 0], tgt_in[:, 0], []
        for t in range(tgt_in.shape[1]):
            logits, context, _ = self.step(token, context)
            out.append(logits)
            if t + 1 < tgt_in.shape[1]:
                gold = torch.rand(token.shape, device=token.device) < teacher_forcing
                token = torch.where(gold, tgt_in[:, t + 1], guess(logits.detach(), bos))
        return torch.stack(out, dim=1)

    def teacher_forced(self, src: torch.Tensor, tgt_in: torch.Tensor, src_lengths=None,
                       tgt_lengths=None) -> tuple[torch.Tensor, Context]:
        """src, tgt_in (B, T) ids -> (decoder outputs h (B, T, H), context)."""
        context = self.start(src, src_lengths)
        h, _ = self.decoder.rnn(self.embed_target(tgt_in), tgt_lengths, context.state)
        return h, context

    def real_logits(self, src: torch.Tensor, tgt_in: torch.Tensor, src_lengths: torch.Tensor,
                    tgt_lengths: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (N, V) of the N = sum(tgt_lengths) real target steps only,
        row by row (the rows of ``forward``'s (B, T, V) where t < tgt_lengths[b]): the output
        layer skips the padding."""
        h, context = self.teacher_forced(src, tgt_in, src_lengths, tgt_lengths)
        if context.memory is not None:
            h = self.attention(h, context.memory, context.mask)[0]
        real = torch.arange(h.shape[1], device=h.device) < tgt_lengths.to(h.device)[:, None]
        return self.decoder.output(self.decoder.drop(h[real]))

    def step(self, token: torch.Tensor, context: Context):
        """One decoder step: token (B,) ids -> (logits (B, V), context, weights (B, S) or None)."""
        h, state = self.decoder.rnn(self.embed_target(token[:, None]), None, context.state)
        logits, weights = self.readout(h, context._replace(state=state))
        return logits[:, 0], context._replace(state=state), \
            None if weights is None else weights[:, 0]

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, bos: int, eos: int | None, max_len: int,
               src_lengths=None, with_weights: bool = False):
        """Greedy decoding, batched: src -> ids (B, <= max_len) (never bos; eos repeated
        after a sequence's eos), and with ``with_weights`` the attention weights (B, <= max_len, S)
        (None without attention)."""
        context = self.start(src, src_lengths)
        B = src.shape[0]
        token = torch.full((B,), bos, dtype=torch.long, device=src.device)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        out, attn = [], []
        for _ in range(max_len):
            logits, context, weights = self.step(token, context)
            token = guess(logits, torch.full_like(token, bos))
            if eos is not None:
                token = torch.where(done, torch.full_like(token, eos), token)
                done |= token == eos
            out.append(token)
            attn.append(weights)
            if eos is not None and bool(done.all()):
                break
        ids = torch.stack(out, dim=1)
        if not with_weights:
            return ids
        return ids, None if attn[0] is None else torch.stack(attn, dim=1)

    @torch.no_grad()
    def beam(self, src: torch.Tensor, bos: int, eos: int, max_len: int, width: int = 5,
             length_penalty: float = 1.0, src_lengths=None):
        """Beam search, batched (``elman.models.beam``): src -> (per sequence its ids without
        eos, and its attention weights (len, S) or None)."""
        return beam_search(self.step, self.start(src, src_lengths), src.shape[0], bos, eos,
                           width, max_len, length_penalty, src.device)
