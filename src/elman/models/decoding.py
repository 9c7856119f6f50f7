"""Choosing the next token from logits: greedy and sampling with temperature and top-k."""

import torch

from ..errors import bad


def check_sampling(temperature: float, top_k: int | None):
    if not temperature > 0:
        raise bad("temperature", "a number > 0", temperature)
    if top_k is not None and top_k < 1:
        raise bad("top_k", "an int >= 1 or None", top_k)


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """logits (B, V) -> token ids (B,)."""
    return logits.argmax(dim=-1)


def sample(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw token ids (B,) from softmax(logits / temperature), keeping only the top_k logits.

    Where a tiny temperature (1e-45) overflows logits / temperature to infinity, the logits
    are divided after their maximum is subtracted: the likeliest token is drawn, as greedy
    takes it."""
    scaled = logits / temperature
    if torch.isinf(scaled).any():
        scaled = (logits - logits.amax(dim=-1, keepdim=True)) / temperature   # max 0, rest <= 0
    if top_k is not None and top_k < scaled.shape[-1]:
        kth = scaled.topk(top_k, dim=-1).values[..., -1:]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    probs = torch.softmax(scaled.float(), dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@torch.no_grad()
def decode(decoder, state, bos: int, max_len: int, eos: int | None = None,
           temperature: float | None = None, top_k: int | None = None,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Feed a decoder's own outputs back, step by step, for a whole batch.

    decoder: a LanguageModel (tokens (B, T), state -> logits, state); state: its initial state
    (batch B). Starts from ``bos``; greedy when temperature is None, else sampled. Stops after
    max_len steps or when every sequence has produced ``eos``. Returns ids (B, <= max_len);
    positions after a sequence's eos repeat eos.
    """
    if temperature is not None:
        check_sampling(temperature, top_k)
    first = state[0][0] if isinstance(state[0], tuple) else state[0]
    B = first.shape[0]
    token = torch.full((B, 1), bos, dtype=torch.long, device=first.device)
    done = torch.zeros(B, dtype=torch.bool, device=first.device)
    out = []
    for _ in range(max_len):
        logits, state = decoder(token, state=state)
        last = logits[:, -1]
        nxt = greedy(last) if temperature is None else sample(last, temperature, top_k, generator)
        if eos is not None:
            nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
            done |= nxt == eos
        token = nxt.unsqueeze(1)
        out.append(token)
        if eos is not None and bool(done.all()):
            break
    return torch.cat(out, dim=1)
