"""Batches of (input, target) windows cut from one long token stream, for language models.

Two modes (``bptt``):

``"truncated"`` (stateful streams, as in char-rnn and PyTorch's word_language_model): the
stream ids (N,) is cut into B equal parallel streams, a (B, C) matrix with C = N // B, and read
left to right in windows of T = seq_len steps::

    x = data[:, o + k*T : o + (k+1)*T]          # (B, T)
    y = data[:, o + k*T + 1 : o + (k+1)*T + 1]  # (B, T), x shifted by one

Window k+1 continues window k in every row, so the model's final state of one batch is the
initial state of the next (``Batch.carry``; detach it between windows: backpropagation is
truncated at window edges, but the state carries information across them). The windows of an
epoch must stay in order, so the randomness per epoch is the start offset o in [0, T).

``"full"``: independent windows of T + 1 tokens starting at o, o+T, o+2T, ... are shuffled each
epoch and batched B at a time; the state starts from zero in every batch, and gradients flow
through the whole window (full BPTT over a sequence of length T).

Every epoch's randomness comes from a generator seeded with (seed, epoch), so a run resumed at
(epoch, batch index) sees exactly the batches an uninterrupted run would have seen.
"""

from collections.abc import Iterator
from typing import NamedTuple

import torch

from ..errors import bad
from .prepared import Stream

MODES = ("truncated", "full")


class Batch(NamedTuple):
    """x, y: (B, T) int64 inputs and next-token targets; carry: the previous batch's final
    state continues into this one (truncated mode, every window but an epoch's first)."""

    x: torch.Tensor
    y: torch.Tensor
    carry: bool


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A generator that depends only on (seed, epoch)."""
    return torch.Generator().manual_seed((seed * 1_000_003 + epoch) % (2**63))


def fit(n_tokens: int, batch_size: int, seq_len: int) -> tuple[int, int]:
    """Shrink (B, T) for a short stream so that each of the B streams holds at least one window
    of T + 1 tokens. A stream of fewer than 2 tokens is an error."""
    if n_tokens < 2:
        raise bad("data", "at least 2 tokens to predict one from the other", f"{n_tokens}")
    B = max(1, min(batch_size, n_tokens // (seq_len + 1)))
    T = min(seq_len, n_tokens // B - 1)
    return B, T


class StreamBatches:
    """Training or evaluation batches over a token stream ids (N,) int64, or a
    ``elman.data.prepared.Stream`` of a memory-mapped one, read a window at a time.

    ``batch_size`` and ``seq_len`` are shrunk (see ``fit``) for streams too short for them; the
    sizes used are ``self.batch_size`` and ``self.seq_len``. ``shuffle=False`` gives offset 0
    and stream order every epoch, and in truncated mode a last, shorter window that reaches the
    end of the streams, so every token but each stream's first is a target (for evaluation).
    """

    def __init__(self, ids: torch.Tensor, batch_size: int, seq_len: int, bptt: str = "truncated",
                 seed: int = 0, shuffle: bool = True):
        if bptt not in MODES:
            raise bad("bptt", f"one of {list(MODES)}", repr(bptt))
        if batch_size < 1 or seq_len < 1:
            raise bad("batch_size, seq_len", "ints >= 1", (batch_size, seq_len))
        self.ids = ids if isinstance(ids, Stream) else torch.as_tensor(ids, dtype=torch.long)
        self.batch_size, self.seq_len = fit(len(self.ids), batch_size, seq_len)
        self.bptt, self.seed, self.shuffle = bptt, seed, shuffle
        B, T = self.batch_size, self.seq_len
        if bptt == "truncated":
            self.data = self.ids[:len(self.ids) // B * B].view(B, -1)   # (B, C)
            C = self.data.shape[1]
            self.windows = _count(C, T, shuffle) if shuffle else -(-(C - 1) // T)
        else:
            self.windows = _count(len(self.ids), T, shuffle)

    def __len__(self) -> int:
        """Batches per epoch (the same every epoch)."""
        if self.bptt == "truncated":
            return self.windows
        return -(-self.windows // self.batch_size)

    @property
    def tokens(self) -> int:
        """Target tokens per epoch."""
        if self.bptt == "truncated":
            return sum(b.y.numel() for b in self.epoch(0)) if not self.shuffle else \
                self.windows * self.seq_len * self.batch_size
        return self.windows * self.seq_len

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        """Yield the batches of one epoch, from batch index ``start`` on."""
        g = epoch_generator(self.seed, epoch)
        n, T = len(self.ids) if self.bptt == "full" else self.data.shape[1], self.seq_len
        slack = max(0, n - 1 - self.windows * T)
        o = int(torch.randint(0, min(slack, T - 1) + 1, (1,), generator=g)) if self.shuffle else 0
        if self.bptt == "truncated":
            C = self.data.shape[1]
            for k in range(start, self.windows):
                a = o + k * T
                b = min(a + T, C - 1)
                yield Batch(self.data[:, a:b], self.data[:, a + 1:b + 1], k > 0)
            return
        order = torch.randperm(self.windows, generator=g) if self.shuffle else \
            torch.arange(self.windows)
        starts = o + order * T                                               # (W,)
        span = starts[:, None] + torch.arange(T + 1)                         # (W, T+1)
        for k in range(start, len(self)):
            w = self.ids[span[k * self.batch_size:(k + 1) * self.batch_size]]  # (B, T+1)
            yield Batch(w[:, :-1], w[:, 1:], False)


def _count(n: int, T: int, shuffle: bool) -> int:
    """Windows of T steps (T + 1 tokens, overlapping by one) in a row of n tokens. When
    shuffling, one window is given up (if there are two or more) to leave room for a random
    start offset."""
    k = (n - 1) // T
    return k - 1 if shuffle and k >= 2 else k
