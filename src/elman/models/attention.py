"""Attention over the encoder's outputs (global attention, Luong et al. 2015), with three scores.

At decoder step t the query is the decoder's top output h_t (B, Q); the memory is the
encoder's top outputs m_1..m_S (B, S, M)::

    additive        e_ts = v^T tanh(W_q h_t + W_k m_s)      (Bahdanau et al. 2015)
    multiplicative  e_ts = h_t^T W_a m_s                     (Luong's "general" score)
    scaled          e_ts = h_t^T W_a m_s / sqrt(Q)           (scaled as in Vaswani et al. 2017)

    alpha_t = softmax_s(e_t) over the real source steps      (weight 0 on padding)
    c_t     = sum_s alpha_ts m_s                              context (B, M)
    h~_t    = tanh(W_c [c_t; h_t])                            attentional state (B, Q)

The decoder's output layer reads h~_t instead of h_t. The attention sits above the decoder
RNN, so with teacher forcing all T steps are one batched computation.

Unscaled, the multiplicative score grows with the width: on eng_fra (Q = 512) its weights
ended one-hot (entropy 0) and it trailed the additive score by 15 BLEU after 1,500 steps
(docs/benchmarks.md).
"""

import math

import torch
from torch import nn

from ..errors import bad

SCORES = ("additive", "multiplicative", "scaled")


class Attention(nn.Module):
    """query (B, T, Q), memory (B, S, M), mask (B, S) bool (True at real steps) ->
    (attentional states (B, T, Q), weights (B, T, S) summing to 1 over S)."""

    def __init__(self, score: str, query_size: int, memory_size: int):
        super().__init__()
        if score not in SCORES:
            raise bad("attention", f"one of {list(SCORES)}", repr(score))
        self.score = score
        if score == "additive":
            self.W_q = nn.Linear(query_size, query_size, bias=False)
            self.W_k = nn.Linear(memory_size, query_size)
            self.v = nn.Linear(query_size, 1, bias=False)
        else:
            self.W_a = nn.Linear(memory_size, query_size, bias=False)
        self.W_c = nn.Linear(memory_size + query_size, query_size)

    def scores(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """e (B, T, S)."""
        if self.score == "additive":
            keys = self.W_k(memory)[:, None]                          # (B, 1, S, A)
            return self.v(torch.tanh(self.W_q(query)[:, :, None] + keys)).squeeze(-1)
        e = query @ self.W_a(memory).transpose(1, 2)                  # (B, T, S)
        return e / math.sqrt(query.shape[-1]) if self.score == "scaled" else e

    def forward(self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor):
        e = self.scores(query, memory).masked_fill(~mask[:, None, :], float("-inf"))
        weights = torch.softmax(e, dim=-1)                            # (B, T, S)
        context = weights @ memory                                    # (B, T, M)
        return torch.tanh(self.W_c(torch.cat([context, query], dim=-1))), weights
