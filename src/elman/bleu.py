"""Corpus BLEU and chrF (sacrebleu, 13a tokenisation) of hypotheses against one or more
references per sentence.

sacrebleu takes references as streams, one per reference slot, each as long as the
hypotheses: stream j holds every sentence's j-th reference, or None where a sentence has
fewer than j + 1 (sacrebleu skips those). BLEU counts an n-gram as matched up to its largest
count in any reference and takes the reference length closest to the hypothesis; chrF keeps
each sentence's best-matching reference.
"""

from .errors import bad
from .extras import require


def reference_streams(references: list[list[str]]) -> list[list[str | None]]:
    """Per sentence its references (at least one) -> sacrebleu's streams, padded with None:
    [["a", "b"], ["c"]] -> [["a", "c"], ["b", None]]."""
    if any(not refs for refs in references):
        raise bad("references", "at least one reference per sentence", "a sentence with none")
    width = max((len(refs) for refs in references), default=1)
    return [[refs[j] if j < len(refs) else None for refs in references] for j in range(width)]


def corpus_scores(hypotheses: list[str], references: list[list[str]],
                  lowercase: bool = False) -> dict:
    """{"bleu", "chrf"} of hypotheses (N,) against references (N lists), case-insensitive
    when ``lowercase``."""
    if len(hypotheses) != len(references):
        raise bad("references", f"one list per hypothesis ({len(hypotheses)})",
                  f"{len(references)}")
    metrics = require("sacrebleu.metrics")
    streams = reference_streams(references)
    return {"bleu": metrics.BLEU(lowercase=lowercase).corpus_score(hypotheses, streams).score,
            "chrf": metrics.CHRF(lowercase=lowercase).corpus_score(hypotheses, streams).score}
