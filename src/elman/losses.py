"""Masked sequence losses: per-step losses summed over the real steps of each sequence.

``reduction="sequence"`` (the textbook loss) sums over steps and averages over sequences;
``reduction="step"`` averages over every real step of the batch (nats per token, what
bits-per-character and perplexity are computed from); ``reduction="sum"`` sums everything.
"""

import math

import torch
import torch.nn.functional as F

REDUCTIONS = ("sequence", "step", "sum")


def nats_to_bits(nats: float) -> float:
    """A mean loss in nats per token -> bits per token (bits per character for a char LM)."""
    return nats / math.log(2)


def perplexity(nats: float) -> float:
    """exp of a mean loss in nats per token (inf past float range)."""
    return math.exp(nats) if nats < 700 else math.inf


def step_mask(lengths: torch.Tensor | None, T: int, like: torch.Tensor) -> torch.Tensor:
    """(B, T) float mask, 1 at real steps (t < lengths[b]); all ones when lengths is None."""
    if lengths is None:
        return like.new_ones(like.shape[0], T)
    return (torch.arange(T, device=like.device) < lengths.to(like.device)[:, None]).to(like.dtype)


def _reduce(per_step: torch.Tensor, mask: torch.Tensor, reduction: str) -> torch.Tensor:
    """per_step (B, T) -> scalar, ignoring padded steps."""
    total = (per_step * mask).sum()
    if reduction == "sequence":
        return total / per_step.shape[0]
    if reduction == "step":
        return total / mask.sum()
    if reduction == "sum":
        return total
    raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor, lengths=None,
                  reduction: str = "sequence") -> torch.Tensor:
    """Softmax cross-entropy. logits (B, T, K), targets (B, T) int; or (B, K) and (B,)."""
    if logits.dim() == 2:
        logits, targets = logits.unsqueeze(1), targets.unsqueeze(1)
    B, T, K = logits.shape
    per_step = F.cross_entropy(logits.reshape(B * T, K), targets.reshape(B * T),
                               reduction="none").view(B, T)     # softmax over contiguous K
    return _reduce(per_step, step_mask(lengths, logits.shape[1], logits), reduction)


def binary_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, lengths=None,
                         reduction: str = "sequence") -> torch.Tensor:
    """Per-step sigmoid cross-entropy summed over the K labels. logits, targets (B, T, K) or (B, K)."""
    if logits.dim() == 2:
        logits, targets = logits.unsqueeze(1), targets.unsqueeze(1)
    per_step = F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype),
                                                  reduction="none").sum(-1)
    return _reduce(per_step, step_mask(lengths, logits.shape[1], logits), reduction)


def mse(outputs: torch.Tensor, targets: torch.Tensor, lengths=None,
        reduction: str = "sequence") -> torch.Tensor:
    """Squared error summed over features per step. outputs, targets (B, T, K) or (B, K)."""
    if outputs.dim() == 2:
        outputs, targets = outputs.unsqueeze(1), targets.unsqueeze(1)
    per_step = ((outputs - targets) ** 2).sum(-1)
    return _reduce(per_step, step_mask(lengths, outputs.shape[1], outputs), reduction)
