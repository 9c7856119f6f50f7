"""Dual encoder for response selection (Henderson et al. 2017, Smart Reply): a message and a
reply are read by two many-to-one encoders into vectors of one space, and the score of a
reply to a message is their dot product. Optionally an encoder-decoder beside them writes a
reply word by word (the reply task's ``generator``)."""

from collections.abc import Sequence

import torch
from torch import nn

from .common import Summarized
from .encoder_decoder import EncoderDecoder
from .many_to_one import ManyToOne


class DualEncoder(Summarized, nn.Module):
    """message ids (B, S) -> u (B, K); reply ids (N, R) -> v (N, K); scores u v^T (B, N).

    Each side is a ``ManyToOne`` over its own embedding (``shared``: one encoder, embedding
    included, reads both sides), its output layer mapping the pooled top state to the
    ``output_size`` K of the common space. Training pairs each message with its reply and
    the other replies of the batch as negatives (``elman.tasks.reply``).
    Arguments as ``ManyToOne``: input_size (embedding width), hidden_sizes, output_size,
    cell, activation, bidirectional, dropout, vocab_size, embed_dropout, word_dropout, unk,
    pooling. ``generator``: the arguments of an ``EncoderDecoder`` held as ``generator``
    (message ids (B, S) -> reply logits (B, T, V)), which shares no weights with the two
    encoders; None (the default, and what configs written before it mean): none.
    """

    sequence_output = False

    def __init__(self, input_size: int, hidden_sizes: int | Sequence[int], output_size: int,
                 cell: str = "elman", activation="tanh", bidirectional: bool = False,
                 dropout: float = 0.0, vocab_size: int | None = None,
                 embed_dropout: float = 0.0, word_dropout: float = 0.0,
                 unk: int | None = None, pooling: str = "last", shared: bool = False,
                 generator: dict | None = None):
        super().__init__()
        side = dict(input_size=input_size, hidden_sizes=hidden_sizes, output_size=output_size,
                    cell=cell, activation=activation, bidirectional=bidirectional,
                    dropout=dropout, vocab_size=vocab_size, embed_dropout=embed_dropout,
                    word_dropout=word_dropout, unk=unk, pooling=pooling)
        self.config = {**side, "shared": bool(shared)}
        self.message = ManyToOne(**side)
        if not shared:                       # shared: no second module (one set of tensors)
            self.reply = ManyToOne(**side)
        if generator is not None:            # the config of a model without one is as before
            self.config["generator"] = generator
            self.generator = EncoderDecoder(**generator)

    def encode_messages(self, ids: torch.Tensor, lengths=None) -> torch.Tensor:
        """ids (B, S), lengths (B,) -> message vectors (B, K)."""
        return self.message(ids, lengths)

    def encode_replies(self, ids: torch.Tensor, lengths=None) -> torch.Tensor:
        """ids (N, R), lengths (N,) -> reply vectors (N, K)."""
        return getattr(self, "reply", self.message)(ids, lengths)

    def forward(self, ids: torch.Tensor, lengths, reply_ids: torch.Tensor,
                reply_lengths) -> torch.Tensor:
        """Messages (B, S) and replies (N, R) with their lengths -> scores (B, N): the dot
        product of every message's vector with every reply's."""
        u = self.encode_messages(ids, lengths)                       # (B, K)
        v = self.encode_replies(reply_ids, reply_lengths)            # (N, K)
        return u @ v.T
