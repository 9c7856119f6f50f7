"""Language model: predict token t+1 from tokens 1..t, and generate by feeding samples back."""

from collections.abc import Iterator, Sequence

import torch
from torch import nn

from ..errors import bad
from ..nn import RNN
from .common import Lookup, Summarized
from .decoding import check_sampling, sample


class LanguageModel(Summarized, nn.Module):
    """tokens (B, T) -> embedding (B, T, E) -> RNN -> logits (B, T, V) over the next token.

    The state is carried between calls, so a long stream can be fed in chunks (truncated
    BPTT) and generation streams one token at a time.
    """

    def __init__(self, vocab_size: int, hidden_sizes: int | Sequence[int], embed_dim: int = 64,
                 cell: str = "elman", activation="tanh", dropout: float = 0.0):
        super().__init__()
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
            raise bad("vocab_size", "a positive int", repr(vocab_size))
        self.config = dict(vocab_size=vocab_size, hidden_sizes=hidden_sizes, embed_dim=embed_dim,
                           cell=cell, activation=activation, dropout=dropout)
        self.embedding = Lookup(vocab_size, embed_dim, "tokens", "embed_dim")
        self.rnn = RNN(embed_dim, hidden_sizes, cell=cell, activation=activation, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.output = nn.Linear(self.rnn.output_size, vocab_size)

    def forward(self, tokens: torch.Tensor, lengths=None, state=None):
        """tokens (B, T) int64, lengths (B,) or None -> (logits (B, T, V), state)."""
        if tokens.dim() != 2 or tokens.dtype != torch.long:
            raise bad("tokens", "a (B, T) int64 tensor", f"{tuple(tokens.shape)} {tokens.dtype}")
        V = self.output.out_features
        values = tokens.numel() and not torch.compiler.is_compiling()  # as elman.RNN checks
        if values and (int(tokens.min()) < 0 or int(tokens.max()) >= V):
            raise bad("tokens", f"ids in 0..{V - 1}", f"ids in {int(tokens.min())}..{int(tokens.max())}")
        h, state = self.rnn(self.embedding(tokens), lengths, state)
        return self.output(self.drop(h)), state

    @torch.no_grad()
    def generate(self, prompt: Sequence[int], length: int, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None,
                 state=None, never: int | None = None) -> Iterator[int]:
        """Yield ``length`` new token ids one at a time, after reading ``prompt`` (non-empty);
        ``never``: an id never sampled (the unknown token, which is no text)."""
        check_sampling(temperature, top_k)
        if len(prompt) == 0:
            raise bad("prompt", "at least one token", "an empty prompt")
        if length < 0:
            raise bad("length", "an int >= 0", length)
        was_training = self.training
        self.eval()
        try:
            device = self.output.weight.device
            logits, state = self(torch.tensor([list(prompt)], device=device), state=state)
            for _ in range(length):
                token = sample(logits[:, -1], temperature, top_k, generator)
                if never is not None and int(token) == never:      # draw again without it
                    token = sample(logits[:, -1].index_fill(
                        -1, torch.tensor([never], device=device), float("-inf")),
                        temperature, top_k, generator)
                yield int(token)
                logits, state = self(token.view(1, 1), state=state)
        finally:
            self.train(was_training)
