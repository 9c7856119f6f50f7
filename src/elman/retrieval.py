"""Response selection: ranking a fixed set of N candidate replies for each of M messages,
recall@k, the diversity rule that keeps suggestions from being paraphrases, and two baselines
(random ranking; the replies of the training messages nearest by TF-IDF).

Scores are (M, N) arrays, higher is better; ``gold[m]`` is the set of candidate indices that
are right for message m (a message may have several replies). Message m is recalled at k
when one of its gold replies is among its k best-scored candidates; ties rank the
candidate of lower index first.
"""

from collections.abc import Sequence
from math import comb

import numpy as np

from .extras import require


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """(M, N) scores -> (M, min(k, N)) candidate indices, best first (stable: ties by
    index)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def recall_at(scores: np.ndarray, gold: Sequence[set[int]], ks: Sequence[int]) -> dict:
    """{k: the share of messages with a gold reply among their k best} for each k."""
    best = top(scores, max(ks))
    return {k: float(np.mean([bool(g & set(row[:k].tolist())) for g, row in zip(gold, best)]))
            for k in ks}


def random_recall(n: int, gold: Sequence[set[int]], ks: Sequence[int]) -> dict:
    """{k: expected recall@k of a uniformly random ranking of n candidates}: a message with
    g gold replies misses all of them in k draws with probability C(n-g, k) / C(n, k) (k at
    most n)."""
    return {k: float(np.mean([1 - comb(n - len(g), min(k, n)) / comb(n, min(k, n))
                              for g in gold])) for k in ks}


def diverse(scores: np.ndarray, vectors: np.ndarray, k: int, threshold: float) -> list[int]:
    """The k best of N candidates by ``scores`` (N,), skipping one whose vector (N, K) has a
    cosine above ``threshold`` with a candidate already chosen (threshold >= 1: no rule)."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    chosen: list[int] = []
    for i in np.argsort(-scores, kind="stable").tolist():
        if threshold >= 1 or all(float(unit[i] @ unit[c]) <= threshold for c in chosen):
            chosen.append(i)
            if len(chosen) == k:
                break
    return chosen


def tfidf_scores(train_messages: Sequence[str], train_replies: Sequence[int],
                 messages: Sequence[str], n: int, tokens) -> np.ndarray:
    """(M, n) scores of the nearest-message baseline: a candidate's score for a message is
    the highest TF-IDF cosine (scikit-learn, fitted on the training messages) between the
    message and a training message it answers (``train_replies``: the candidate index of
    each training message's reply), plus its share of the training replies divided by 1000
    (ties go to the more frequent reply); a candidate no training message has: 0 and its
    share."""
    text = require("sklearn.feature_extraction.text", "reply")
    vectorizer = text.TfidfVectorizer(tokenizer=tokens, lowercase=False, token_pattern=None)
    fitted = vectorizer.fit_transform(train_messages)                # (P, V)
    similar = (vectorizer.transform(messages) @ fitted.T).toarray()  # (M, P)
    replies = np.asarray(train_replies)
    scores = np.zeros((len(messages), n))
    np.maximum.at(scores.T, replies, similar.T)                      # best message per reply
    return scores + np.bincount(replies, minlength=n) / len(replies) / 1000
