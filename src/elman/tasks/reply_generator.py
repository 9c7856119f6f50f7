"""The reply task's optional generator: an ``elman.models.EncoderDecoder`` (the dual encoder's
``generator``) trained on the same message -> reply pairs to write a reply word by word.

Vocabulary: the task's (its words are the generator's source and target ids), the target
extended by <s> and </s> after them, so a reply's ids in a batch are its target ids as they
are. Loss: cross-entropy per reply token, </s> included, teacher forced (nats per token), of
the pairs whose reply has at most ``max_words`` tokens (None: all); the reply task trains on
its sum with the dual encoder's in-batch loss. Decoding: greedy or beam search
(``elman.models.beam``) from the message, at most as many tokens as the longest training
reply (and ``max_words``), and </s>; the tokens are joined back as ``elman.data.tokenizers.Words``
does (an output <unk> prints as ``<unk>``). The flags of the commands that generate
(``--beam``, ``--length-penalty``) are declared here too.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..data.sequences import Example, SequenceBatches
from ..data.tokenizers import Words
from ..data.vocab import Vocab
from ..errors import bad
from ..models import EncoderDecoder
from ..options import parse_int_range, parse_nonneg
from .base import flag
from .seq2seq import BOS, EOS, MAX_BEAM

DECODE_BATCH = 128      # messages per decoding batch
BEAM = flag("--beam", default=None, help=f"beam width of the generated reply, 1-{MAX_BEAM} "
            "(a run with a generator; default: 1, greedy)")
LENGTH_PENALTY = flag("--length-penalty", default=None, help="beam: rank generated replies by "
                      "log-prob / length**this (default: 1)")


@dataclass
class Generator:
    """What the generator needs besides its weights: the target vocabulary (the task's
    ``words`` first, then <s> and </s>), the most tokens a written reply may have
    (``longest``) and of a reply trained on (``max_words``, None: any)."""

    target: Vocab
    words: int
    longest: int
    max_words: int | None = None

    @classmethod
    def of(cls, vocab: Vocab, replies: list[list[str]],
           max_words: int | None = None) -> "Generator":
        """The generator of the task's vocabulary and its training replies' tokens."""
        specials = [t for t in (BOS, EOS) if t not in vocab.index]
        target = Vocab(vocab.tokens + specials, vocab.level, vocab.unk)
        longest = max(map(len, replies))
        return cls(target, len(vocab), longest if max_words is None else
                   min(longest, max_words), max_words)

    @property
    def bos(self) -> int:
        return self.target.index[BOS]

    @property
    def eos(self) -> int:
        return self.target.index[EOS]

    def arguments(self, *, embed_dim: int, hidden_sizes, cell: str, activation,
                  bidirectional: bool, dropout: float, attention: str) -> dict:
        """The ``EncoderDecoder`` arguments of a generator over this vocabulary."""
        return dict(src_vocab=self.words, tgt_vocab=len(self.target),
                    hidden_sizes=hidden_sizes, input_size=embed_dim, embed_dim=embed_dim,
                    cell=cell, activation=activation, bidirectional=bidirectional,
                    dropout=dropout, attention=attention)

    def pairs(self, x) -> tuple[torch.Tensor, ...]:
        """The pairs of a batch (``elman.data.dialogue``'s ``ReplyInputs``) the generator
        trains on: (message ids (B', S), their lengths, reply ids (B', R), their lengths),
        the replies of at most ``max_words`` tokens."""
        src, src_lengths = x.message.ids, x.message.lengths
        ids, lengths = x.reply.ids, x.reply.lengths
        if self.max_words is None:
            return src, src_lengths, ids, lengths
        keep = lengths <= self.max_words
        width = int(lengths[keep].max()) if bool(keep.any()) else 0
        return src[keep], src_lengths[keep], ids[keep][:, :width], lengths[keep]

    def tokens(self, x) -> int:
        """The target tokens of a batch's loss, </s> included."""
        lengths = self.pairs(x)[3]
        return int(lengths.sum()) + len(lengths)

    def loss(self, generator: EncoderDecoder, x, reduction: str = "mean") -> torch.Tensor:
        """Cross-entropy of the replies of a batch of pairs given their messages, per token
        with </s> (``reduction``: "mean" or "sum"), of the pairs of ``pairs``; 0 if none."""
        src, src_lengths, ids, lengths = self.pairs(x)            # (B, S), (B,), (B, R), (B,)
        B = len(ids)
        if B == 0:
            return torch.zeros((), device=ids.device)
        bos = torch.full((B, 1), self.bos, dtype=ids.dtype, device=ids.device)
        tgt_in = torch.cat([bos, ids], dim=1)                             # (B, R + 1)
        y = torch.cat([ids, torch.zeros_like(bos)], dim=1)                # (B, R + 1)
        y[torch.arange(B, device=ids.device), lengths.to(ids.device)] = self.eos
        logits = generator.real_logits(src, tgt_in, src_lengths, lengths + 1)    # (N, V)
        real = torch.arange(y.shape[1], device=y.device) < (lengths + 1).to(y.device)[:, None]
        return F.cross_entropy(logits, y[real], reduction=reduction)

    @torch.no_grad()
    def write(self, generator: EncoderDecoder, messages: list[list[int]], *, beam: int = 1,
              length_penalty: float = 1.0) -> list[str]:
        """The reply written to each message (its ids, at least one each), greedy (beam 1)
        or by beam search."""
        if not messages:
            return []
        was_training = generator.training
        generator.eval()
        device = next(generator.parameters()).device
        batches = SequenceBatches([Example(m, 0) for m in messages], DECODE_BATCH,
                                  shuffle=False)
        found = []
        try:
            for batch in batches.epoch(0):
                src, lengths = (t.to(device) for t in batch.x[:2])        # (B, S), (B,)
                found += self.decode(generator, src, lengths, beam, length_penalty)
        finally:
            generator.train(was_training)
        return [Words.text([self.target.tokens[i] for i in ids]) for ids in found]

    def decode(self, generator: EncoderDecoder, src: torch.Tensor, lengths: torch.Tensor,
               beam: int, length_penalty: float) -> list[list[int]]:
        """src (B, S) -> each message's reply ids without </s>."""
        max_len = self.longest + 1
        if beam > 1:
            return generator.beam(src, self.bos, self.eos, max_len, beam, length_penalty,
                                  lengths)[0]
        rows = generator.greedy(src, self.bos, self.eos, max_len, lengths).tolist()
        return [row[:row.index(self.eos)] if self.eos in row else row for row in rows]


def generator_of(model, argument: str = "generate") -> EncoderDecoder:
    """The reply model's generator; a run without one is an error naming ``argument``."""
    generator = getattr(model, "generator", None)
    if generator is None:
        raise bad(argument, "a run trained with --generator true", "a run without a "
                  "generator")
    return generator


def beam_flags(args, model, *, generate: bool = True) -> tuple[int, float]:
    """(beam width, length penalty) of --beam and --length-penalty (default 1, 1), given
    only where a reply is generated: ``generate`` and a model with a generator."""
    given = [(n, v) for n, v in (("beam", args.beam), ("length_penalty", args.length_penalty))
             if v is not None]
    if given and not generate:
        name, value = given[0]
        raise bad(name, f"--generate with --{name.replace('_', '-')} (it sets how the reply "
                  "is generated)", repr(value))
    if given:
        generator_of(model, given[0][0])
    return (1 if args.beam is None else parse_int_range(1, MAX_BEAM)("beam", args.beam),
            1.0 if args.length_penalty is None else
            parse_nonneg("length_penalty", args.length_penalty))
