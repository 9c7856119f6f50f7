"""Beam search, batched: keep the ``width`` likeliest partial outputs of every sequence.

Every step extends each live hypothesis by every token and keeps the ``width`` best of the
width * V candidates by summed log-probability; a hypothesis that produced eos stays, frozen
(it can only repeat eos at no cost). At the end each sequence's hypotheses are ranked by

    score / length ** length_penalty     (length: tokens produced, eos included)

so length_penalty = 0 ranks by total log-probability (favouring short outputs) and 1 by the
mean log-probability per token. bos is never output. Width 1 is greedy decoding.
"""

from collections.abc import Callable

import torch

from ..errors import bad


def select(context, index: torch.Tensor):
    """Rows ``index`` of every tensor in a nested context (tensors, lists, tuples,
    NamedTuples, None), batch first."""
    if context is None:
        return None
    if isinstance(context, torch.Tensor):
        return context.index_select(0, index)
    items = [select(c, index) for c in context]
    return type(context)(*items) if hasattr(context, "_fields") else type(context)(items)


def repeat(context, batch: int, width: int, device) -> object:
    """Each sequence's rows repeated ``width`` times: rows ordered (b, k)."""
    return select(context, torch.arange(batch, device=device).repeat_interleave(width))


@torch.no_grad()
def beam_search(step: Callable, context, batch: int, bos: int, eos: int, width: int,
                max_len: int, length_penalty: float = 1.0, device="cpu"):
    """step(tokens (N,), context) -> (logits (N, V), context, weights (N, S) or None) for
    N = batch * width rows ordered (b, k); ``context`` is the batch's decoder context, one row
    per sequence. Returns (ids, weights): per sequence the best hypothesis's ids (eos cut)
    and its attention weights (len, S), or None without attention."""
    if not isinstance(width, int) or width < 1:
        raise bad("beam", "an int >= 1", repr(width))
    if length_penalty < 0:
        raise bad("length_penalty", "a number >= 0", length_penalty)
    B, K = batch, width
    context = repeat(context, B, K, device)
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0                                  # one live hypothesis to start from
    tokens = torch.full((B * K,), bos, dtype=torch.long, device=device)
    done = torch.zeros(B * K, dtype=torch.bool, device=device)
    lengths = torch.zeros(B * K, device=device)
    history = torch.zeros(B * K, 0, dtype=torch.long, device=device)
    attn = None
    base = torch.arange(B, device=device)[:, None] * K
    for _ in range(max_len):
        logits, context, weights = step(tokens, context)
        logp = torch.log_softmax(logits.float(), dim=-1)            # (B*K, V)
        logp[:, bos] = float("-inf")                                # never output bos
        V = logp.shape[-1]
        frozen = torch.full_like(logp, float("-inf"))
        frozen[:, eos] = 0.0
        logp = torch.where(done[:, None], frozen, logp)
        scores, best = (scores.reshape(-1, 1) + logp).view(B, K * V).topk(K, dim=1)
        origin = (base + best // V).view(-1)                        # (B*K,) rows kept
        tokens = (best % V).view(-1)
        context = select(context, origin)
        lengths = lengths[origin] + (~done[origin]).float()
        done = done[origin] | (tokens == eos)
        history = torch.cat([history[origin], tokens[:, None]], dim=1)
        if weights is not None:
            w = weights[origin][:, None]
            attn = w if attn is None else torch.cat([attn[origin], w], dim=1)
        if bool(done.all()):
            break
    ranked = scores / lengths.clamp(min=1).view(B, K) ** length_penalty
    rows = (base[:, 0] + ranked.argmax(dim=1)).tolist()
    return finish(history, attn, rows, eos)


def finish(history: torch.Tensor, attn, rows: list[int], eos: int):
    """The chosen rows of (N, T) ids and (N, T, S) weights, each cut before its first eos."""
    ids, weights = [], []
    for r in rows:
        seq = history[r].tolist()
        n = seq.index(eos) if eos in seq else len(seq)
        ids.append(seq[:n])
        weights.append(None if attn is None else attn[r, :n + (n < len(seq))].cpu())
    return ids, weights
