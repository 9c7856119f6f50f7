"""CTC decoding on known probability matrices: collapsing paths, greedy (best-path) decoding,
prefix beam search against a brute-force sum over every path, and the edit distance."""

import itertools
import math

import pytest
import torch

from elman.models.ctc import collapse, edit_distance, greedy_decode, prefix_beam_search


def log(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64).log()


def labelling_probabilities(log_probs: torch.Tensor) -> dict[tuple, float]:
    """Every labelling's probability, by summing all K^T paths (tiny T only)."""
    T, K = log_probs.shape
    p = log_probs.exp().tolist()
    out: dict[tuple, float] = {}
    for path in itertools.product(range(K), repeat=T):
        key = tuple(collapse(path))
        out[key] = out.get(key, 0.0) + math.prod(p[t][k] for t, k in enumerate(path))
    return out


def test_collapse_merges_repeats_then_drops_blanks():
    assert collapse([1, 1, 0, 1, 2, 2, 0, 0]) == [1, 1, 2]
    assert collapse([0, 0, 0]) == []
    assert collapse([3, 0, 3, 3]) == [3, 3]
    assert collapse([2, 2, 2]) == [2]


def test_greedy_takes_the_argmax_of_every_frame_and_collapses():
    lp = log([[0.1, 0.8, 0.1],     # 1
              [0.2, 0.7, 0.1],     # 1 (repeat, merged)
              [0.9, 0.05, 0.05],   # blank
              [0.1, 0.6, 0.3],     # 1 (after a blank: a new 1)
              [0.1, 0.1, 0.8]])    # 2
    assert greedy_decode(lp) == [1, 1, 2]


def test_beam_finds_the_likelier_labelling_greedy_misses():
    # p(blank) = 0.6, p(a) = 0.4 at both frames: the best path "_ _" reads "" (0.36), but
    # "a" collects "a a", "a _" and "_ a": 0.16 + 0.24 + 0.24 = 0.64.
    lp = log([[0.6, 0.4], [0.6, 0.4]])
    assert greedy_decode(lp) == []
    labels, logp = prefix_beam_search(lp, beam=4)
    assert labels == [1]
    assert logp == pytest.approx(math.log(0.64))
    assert labelling_probabilities(lp)[(1,)] == pytest.approx(0.64)


def test_beam_beats_greedy_on_a_three_class_example():
    lp = log([[0.5, 0.4, 0.1], [0.5, 0.4, 0.1], [0.5, 0.1, 0.4]])
    probs = labelling_probabilities(lp)
    best = max(probs, key=probs.get)
    assert greedy_decode(lp) == []
    assert list(best) != greedy_decode(lp)
    labels, logp = prefix_beam_search(lp, beam=8)
    assert tuple(labels) == best
    assert logp == pytest.approx(math.log(probs[best]))


@pytest.mark.parametrize("seed", range(6))
def test_an_unbounded_beam_is_exact(seed):
    g = torch.Generator().manual_seed(seed)
    lp = (2 * torch.randn(5, 3, generator=g, dtype=torch.float64)).log_softmax(-1)
    probs = labelling_probabilities(lp)
    best = max(probs, key=probs.get)
    labels, logp = prefix_beam_search(lp, beam=10_000)
    assert tuple(labels) == best
    assert logp == pytest.approx(math.log(probs[best]))


def test_pruning_unlikely_labels_keeps_a_clear_answer():
    lp = log([[0.05, 0.9, 0.05], [0.9, 0.05, 0.05], [0.05, 0.05, 0.9], [0.9, 0.05, 0.05]])
    assert prefix_beam_search(lp, beam=3, min_prob=0.1)[0] == [1, 2] == greedy_decode(lp)


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], [1, 2]) == 2
    assert edit_distance([1, 2, 3], [1, 2, 3]) == 0
    assert edit_distance([1, 2, 3], [1, 3]) == 1
