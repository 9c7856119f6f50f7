"""One-to-many: one input vector -> a sequence (music or text from one input, a caption from
an image's vector), each output fed back as the next step's input."""

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import bad
from .beam import beam_search
from .common import Summarized
from .decoding import decode
from .language_model import LanguageModel


class OneToMany(Summarized, nn.Module):
    """x (B, I) -> initial state of every layer, a_l(0) = tanh(W_I[l] x + b_I[l]) (the LSTM's
    cell state starts at 0) -> a decoder over vocab_size that feeds its outputs back.

    With ``feed_input`` the decoder also reads x at every step: its input at step t is
    E[y_{t-1}] + W_X x (E the token embedding, W_X (embed_dim, I) ``feed``), which is the
    concatenation [E[y_{t-1}]; x] with the RNN's input weights for x factored through W_X.

    Training: teacher forcing with tgt_in = [bos, y_1, ..., y_{T-1}]; inference: ``generate``
    (greedy or sampled) or ``beam``.
    """

    def __init__(self, input_size: int, vocab_size: int, hidden_sizes: int | Sequence[int],
                 embed_dim: int = 64, cell: str = "elman", activation="tanh",
                 dropout: float = 0.0, feed_input: bool = False):
        super().__init__()
        self.config = dict(input_size=input_size, vocab_size=vocab_size,
                           hidden_sizes=hidden_sizes, embed_dim=embed_dim, cell=cell,
                           activation=activation, dropout=dropout, feed_input=feed_input)
        self.decoder = LanguageModel(vocab_size, hidden_sizes, embed_dim, cell, activation,
                                     dropout)
        self.init = nn.Linear(input_size, sum(self.decoder.rnn.hidden_sizes))
        self.feed = nn.Linear(input_size, embed_dim, bias=False) if feed_input else None

    def check(self, x: torch.Tensor):
        W = self.init.weight
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != W.shape[1]:
            raise bad("x", f"a (B, I={W.shape[1]}) tensor",
                      f"shape {tuple(getattr(x, 'shape', ()))}")
        if x.dtype != W.dtype:
            raise bad("x", f"a {W.dtype} tensor (the weights' dtype; convert it with "
                      f"x.to({W.dtype}))", x.dtype)

    def initial_state(self, x: torch.Tensor) -> list:
        """x (B, I) -> the decoder's initial state, one (B, H_l) per layer."""
        self.check(x)
        parts = torch.tanh(self.init(x)).split(self.decoder.rnn.hidden_sizes, dim=-1)
        if self.decoder.rnn.cell == "lstm":
            return [(h, torch.zeros_like(h)) for h in parts]
        return list(parts)

    def read(self, x: torch.Tensor, tokens: torch.Tensor, lengths=None, state=None):
        """The decoder over tokens (B, T) from ``state``, reading x (B, I) at every step with
        ``feed_input`` -> (logits (B, T, V), state)."""
        if self.feed is None:
            return self.decoder(tokens, lengths, state)
        d = self.decoder
        e = d.embedding(tokens) + self.feed(x)[:, None]                 # (B, T, E)
        h, state = d.rnn(e, lengths, state)
        return d.output(d.drop(h)), state

    def forward(self, x: torch.Tensor, tgt_in: torch.Tensor, lengths=None) -> torch.Tensor:
        """Teacher forcing: x (B, I), tgt_in (B, T) ids -> logits (B, T, V)."""
        logits, _ = self.read(x, tgt_in, lengths, self.initial_state(x))
        return logits

    def step(self, token: torch.Tensor, context: tuple):
        """One step for beam search: token (B,), context (state, x) -> (logits (B, V),
        context, None)."""
        state, x = context
        logits, state = self.read(x, token[:, None], None, state)
        return logits[:, 0], (state, x), None

    @torch.no_grad()
    def generate(self, x: torch.Tensor, bos: int, length: int, eos: int | None = None,
                 temperature: float | None = None, top_k: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """x (B, I) -> ids (B, <= length); greedy unless a temperature is given."""
        def decoder(tokens, state=None):
            return self.read(x, tokens, None, state)
        return decode(decoder, self.initial_state(x), bos, length, eos, temperature,
                      top_k, generator)

    @torch.no_grad()
    def beam(self, x: torch.Tensor, bos: int, eos: int, max_len: int, width: int = 5,
             length_penalty: float = 1.0) -> list[list[int]]:
        """Beam search (``elman.models.beam``): x (B, I) -> per sequence the ids of its best
        output, without eos."""
        ids, _ = beam_search(self.step, (self.initial_state(x), x), x.shape[0], bos, eos,
                             width, max_len, length_penalty, x.device)
        return ids
