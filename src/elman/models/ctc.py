"""Decoding connectionist temporal classification (CTC) outputs, and the edit distance that
scores them.

A CTC model emits, at each of T frames, a distribution over K classes: the blank (id 0 here)
and the labels. A *path* is one class per frame; it reads as a *labelling* by merging repeated
classes and then dropping blanks (``collapse``): "a a _ a b b" -> "a a b". The probability of
a labelling is the sum over all the paths that collapse to it.

- Greedy (best-path) decoding collapses the single most likely path, the argmax of every
  frame. That is fast but not the most likely labelling: T = 2, p(blank) = 0.6 and p(a) = 0.4
  at both frames gives the path "_ _", so "", with p = 0.36, while "a" has p = 0.4*0.4 +
  0.4*0.6 + 0.6*0.4 = 0.64.
- Prefix beam search keeps the ``beam`` likeliest labelling prefixes after every frame, each
  with two probabilities: of the paths so far that collapse to it and end in a blank (p_b), and
  that end in its last label (p_nb). Extending prefix ℓ by class k at frame t:

  ============  ===================================================================
  k = blank     ℓ:        p_b  += (p_b(ℓ) + p_nb(ℓ)) * y_t(blank)
  k = last(ℓ)   ℓ:        p_nb += p_nb(ℓ) * y_t(k)    (a repeat merges into ℓ)
                ℓ + k:    p_nb += p_b(ℓ) * y_t(k)     (a blank separates a new k)
  other k       ℓ + k:    p_nb += (p_b(ℓ) + p_nb(ℓ)) * y_t(k)
  ============  ===================================================================

  With an unbounded beam this sums every path and finds the likeliest labelling exactly. Here
  in log space; ``min_prob`` skips labels whose probability at a frame is below it (speed).
"""

import math
from collections.abc import Sequence

import torch

BLANK = 0
NEG_INF = -math.inf


def collapse(path: Sequence[int], blank: int = BLANK) -> list[int]:
    """A path -> its labelling: merge repeats, then drop blanks."""
    out, previous = [], None
    for k in path:
        if k != previous and k != blank:
            out.append(int(k))
        previous = k
    return out


def greedy_decode(log_probs: torch.Tensor, blank: int = BLANK) -> list[int]:
    """log_probs (T, K) -> the labelling of the best path."""
    return collapse(log_probs.argmax(-1).tolist(), blank)


def _logadd(a: float, b: float) -> float:
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    hi, lo = (a, b) if a > b else (b, a)
    return hi + math.log1p(math.exp(lo - hi))


def prefix_beam_search(log_probs: torch.Tensor, beam: int = 8, blank: int = BLANK,
                       min_prob: float = 0.0) -> tuple[list[int], float]:
    """log_probs (T, K) (log-softmax over classes) -> (the likeliest labelling found, its log
    probability)."""
    lp = log_probs.detach().double().cpu().tolist()
    cutoff = math.log(min_prob) if min_prob > 0 else NEG_INF
    beams: dict[tuple, tuple[float, float]] = {(): (0.0, NEG_INF)}     # prefix -> (p_b, p_nb)
    for frame in lp:
        nxt: dict[tuple, list[float]] = {}

        def add(prefix: tuple, slot: int, logp: float):
            entry = nxt.setdefault(prefix, [NEG_INF, NEG_INF])
            entry[slot] = _logadd(entry[slot], logp)

        labels = [k for k, p in enumerate(frame) if k != blank and p >= cutoff]
        for prefix, (pb, pnb) in beams.items():
            total = _logadd(pb, pnb)
            add(prefix, 0, total + frame[blank])
            last = prefix[-1] if prefix else None
            for k in labels:
                if k == last:
                    add(prefix, 1, pnb + frame[k])
                    add(prefix + (k,), 1, pb + frame[k])
                else:
                    add(prefix + (k,), 1, total + frame[k])
        ranked = sorted(nxt.items(), key=lambda item: (-_logadd(*item[1]), item[0]))
        beams = {prefix: (pb, pnb) for prefix, (pb, pnb) in ranked[:beam]}
    best, (pb, pnb) = next(iter(beams.items()))                       # ranked best first
    return list(best), _logadd(pb, pnb)


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from a to b."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (x != y))
    return row[-1]
