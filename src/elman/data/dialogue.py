"""Message/reply pairs for response selection: the English conversations of
chatterbot-corpus (the default data), a TSV of ``message<TAB>reply`` pairs
(``elman.data.pairs``' format), and padded batches of (message, reply) pairs.

chatterbot-corpus keeps YAML files ``chatterbot_corpus/data/english/*.yml``, each with
``conversations: [[turn, turn, ...], ...]``; every two consecutive turns of a conversation
are one pair (a conversation of n turns gives n - 1).

A batch is a ``Batch`` (``elman.data.batching``) whose x is ``ReplyInputs``:

==============  ==========================================================================
message         ``Inputs``: ids (B, S), lengths (B,) of the messages
reply           ``Inputs``: ids (B, R), lengths (B,) of their replies
same            (B, B) bool: True at [i, j], j != i, where pair j has pair i's message or
                reply (its reply is not a negative for message i)
y               (B,) int64: each reply's index in the task's list of distinct replies
==============  ==========================================================================
"""

import hashlib
from collections.abc import Iterator
from importlib import resources
from typing import NamedTuple

import torch

from ..errors import bad
from ..extras import require
from .batching import Batch
from .pairs import PairRow
from .sequences import Example, Inputs, SequenceBatches, collate

CORPUS = "chatterbot-corpus (English)"


def corpus_pairs() -> tuple[list[PairRow], str]:
    """(the pairs of chatterbot-corpus's English conversations, the sha256 of its files),
    files in name order; a row's ``line`` counts pairs from 1."""
    import yaml
    require("chatterbot_corpus")
    folder = resources.files("chatterbot_corpus") / "data" / "english"
    rows, digest = [], hashlib.sha256()
    for f in sorted((f for f in folder.iterdir() if f.name.endswith(".yml")),
                    key=lambda f: f.name):
        text = f.read_text(encoding="utf-8")
        digest.update(text.encode("utf-8"))
        for turns in (yaml.safe_load(text) or {}).get("conversations") or []:
            turns = [str(t).strip() for t in turns]
            rows += [PairRow(a, b, len(rows) + k + 1)
                     for k, (a, b) in enumerate(p for p in zip(turns, turns[1:])
                                                if all(p))]
    return rows, digest.hexdigest()


class ReplyExample(NamedTuple):
    ids: list[int]          # the message's token ids
    reply: list[int]        # the reply's token ids
    target: int             # the reply's index among the distinct replies
    message: int            # the message's index among the distinct messages


class ReplyInputs(NamedTuple):
    """The padded inputs of a batch (see the module doc)."""

    message: Inputs
    reply: Inputs
    same: torch.Tensor

    def to(self, device) -> "ReplyInputs":
        return ReplyInputs(self.message.to(device), self.reply.to(device), self.same.to(device))


def collate_replies(examples: list[ReplyExample]) -> Batch:
    """Pad a list of pairs into one batch."""
    message = collate([Example(e.ids, e.target) for e in examples])
    reply = collate([Example(e.reply, e.target) for e in examples])
    y = message.y                                                    # (B,)
    m = torch.tensor([e.message for e in examples])
    same = (y[:, None] == y[None, :]) | (m[:, None] == m[None, :])    # (B, B)
    same.fill_diagonal_(False)
    return Batch(ReplyInputs(message.x, reply.x, same), y, False)


class ReplyBatches(SequenceBatches):
    """Batches of (message, reply) pairs, grouped by message length as ``SequenceBatches``."""

    def __init__(self, examples: list[ReplyExample], batch_size: int, seed: int = 0,
                 shuffle: bool = True):
        super().__init__(examples, batch_size, seed, shuffle)
        if any(len(e.reply) == 0 for e in examples):
            raise bad("data", "replies of at least one token", "an empty one")

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        for indices in self.order(epoch)[start:]:
            yield collate_replies([self.examples[i] for i in indices])
