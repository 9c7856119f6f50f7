"""The reply task (auto-reply suggestions, as Smart Reply): given a message, suggest the best
few replies from the set of replies mined from the training pairs.

Data: the English conversations of chatterbot-corpus (no ``--data``; each two consecutive
turns are a pair, ``elman.data.dialogue``) or a TSV of ``message<TAB>reply`` pairs
(``elman.data.pairs``' format). Held out: a ``--valid`` file, or a seeded ``valid_fraction``
of the distinct messages with all their pairs (compared by their words), so no held-out
message is trained on. Tokens: ``elman.data.words``, lower-cased when ``lowercase``; one
vocabulary of the training messages' and replies' words seen ``min_count`` times, and <unk>.

Model: ``elman.models.DualEncoder``, a message encoder and a reply encoder (``shared``: one)
into vectors of ``space_dim``; the score of a reply is the dot product. Loss: each message's
reply against the batch's other replies (softmax over the batch, Henderson et al. 2017), a
reply equal to its own or belonging to the same message left out of the softmax.

Suggestions: the distinct training replies (compared by their words) are the candidates; the
best ``suggestions`` by score, skipping one whose vector's cosine with one already chosen
exceeds ``diversity`` (``elman.retrieval.diverse``: no paraphrases).

Generator (``generator``, off by default): an encoder-decoder beside the dual encoder, over
the same vocabulary, trained on the same pairs to write a reply word by word
(``elman.tasks.reply_generator``); the training loss is the sum of the dual encoder's (nats
per pair) and the generator's (nats per reply token). ``elman reply --generate`` and the
route's ``generate`` write a reply with it (greedy, or ``beam``).

Metrics: recall@1 and recall@3 of the distinct held-out messages, each ranking the
candidates of training and held-out replies together (the held-out replies not among the
training ones are added, so every message's true reply can be found); a message is recalled
at k when one of its replies is among its k best. Loss: in-batch softmax of the held-out
pairs (its value depends on batch_size). ``elman eval`` also reports random ranking and the
replies of the nearest training messages by TF-IDF on the same candidates. With a
generator: the BLEU and chrF (``elman.bleu``, case-insensitive when ``lowercase``) of the
reply it writes to each distinct held-out message against all that message's replies, its
loss, and the loss is the sum of both; ``elman eval`` also scores the best suggestion's text
the same way.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from .. import retrieval
from ..bleu import corpus_scores
from ..data.dialogue import CORPUS, ReplyBatches, ReplyExample, corpus_pairs
from ..data.pairs import PairRow, parse_pairs, split_by_source
from ..data.sequences import Example, SequenceBatches
from ..data.words import words
from ..errors import bad
from ..io.inputs import input_lines, read_input, writable, write_output
from ..models import DualEncoder
from ..models.encoder_decoder import ATTENTIONS
from ..models.many_to_one import POOLINGS
from ..options import (
    opt,
    parse_choice,
    parse_flag,
    parse_fraction,
    parse_optional,
    parse_positive_int,
    parse_probability,
)
from .base import (
    Command,
    Param,
    Route,
    Task,
    data_name,
    eval_command,
    export_command,
    flag,
    print_metrics,
)
from .labeled import word_vocab
from .reply_generator import BEAM, LENGTH_PENALTY, Generator, beam_flags, generator_of
from .seq2seq import BEAM_PARAMS, decoding

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig

KS = (1, 3)             # recall@k
ENCODE_BATCH = 256      # texts per encoder call


@dataclass
class Options:
    """Settings of the reply task."""

    space_dim: int = opt(128, parse_positive_int, "width of the vectors that messages and "
                         "replies are encoded into (their dot product is the score)")
    shared: bool = opt(False, parse_flag, "one encoder reads messages and replies (else one "
                       "each)")
    pooling: str = opt("last", parse_choice(list(POOLINGS)), "each side's top outputs as one "
                       "vector: last (final state), max or mean over the real steps")
    min_count: int = opt(1, parse_positive_int, "keep words seen at least this often in "
                         "training; the rest read as <unk>")
    lowercase: bool = opt(True, parse_flag, "lower-case words before the vocabulary")
    embed_dropout: float = opt(0.0, parse_fraction, "dropout on the word embeddings")
    word_dropout: float = opt(0.0, parse_fraction, "read a training word as <unk> with this "
                              "probability, so <unk> (every unseen word) is learned")
    suggestions: int = opt(3, parse_positive_int, "replies suggested per message",
                           fixed=False)
    diversity: float = opt(0.9, parse_probability, "skip a suggestion whose reply vector has "
                           "a cosine above this with one already suggested (1: no rule)",
                           fixed=False)
    generator: bool = opt(False, parse_flag, "also train an encoder-decoder on the pairs "
                          "that writes a reply (elman reply --generate); its loss per reply "
                          "token is added to the dual encoder's")
    generator_attention: str = opt("none", parse_choice(ATTENTIONS), "the generator's "
                                   "attention to the message (none: its final state only)")
    generator_max_words: int | None = opt(None, parse_optional(parse_positive_int), "the "
                                          "generator trains on the replies of at most this "
                                          "many words and writes at most as many (none: all; "
                                          "the dual encoder trains on every pair)", "N")


@dataclass
class Ranking:
    """What recall is computed on: the pairs of the messages scored (for the loss), each
    distinct message once, the candidates (texts), the candidate indices of each message's
    replies and where the pairs come from (for the report)."""

    batches: ReplyBatches
    messages: list[str]
    candidates: list[str]
    gold: list[set[int]]
    name: str

    def epoch(self, epoch: int = 0, start: int = 0):
        """The pairs' batches, as a task's batches are read (``elman diagnose`` takes the
        first)."""
        return self.batches.epoch(epoch, start)


K_FLAG = flag("--k", default=None, help="replies per message (default: the run's "
              "suggestions, 3)")
DIVERSITY = flag("--diversity", default=None, help="cosine above which a reply too close to "
                 "one already suggested is skipped (1: no rule; default: the run's, 0.9)")
PAIRS = flag("--data", metavar="PATH", help="a TSV of message<TAB>reply pairs, all scored "
             "(default: the run's held-out pairs)")


class ReplyTask(Task):
    """Response selection with a dual encoder. ``--data``: a TSV of message<TAB>reply pairs
    (default: chatterbot-corpus's English conversations)."""

    name = "reply"
    Options = Options
    monitor = "recall@1"
    commands = (
        eval_command(BEAM, LENGTH_PENALTY, help="recall@1 and @3 of the run's held-out "
                     "messages (or of --data pairs), beside random ranking and the TF-IDF "
                     "nearest-message baseline; with a generator also the BLEU and chrF of "
                     "its replies", data=PAIRS),
        Command("reply", "suggest replies to messages from the run's training replies",
                "cmd_reply", (
                    flag("text", nargs="?", help="a message (or give --input)"),
                    flag("--input", metavar="FILE", help="UTF-8 file of one message per "
                         "line, or - for stdin"),
                    K_FLAG, DIVERSITY,
                    flag("--generate", action="store_true", help="print the reply the run's "
                         "generator writes instead of the suggestions (a run trained with "
                         "--generator true; --json: both)"),
                    BEAM, LENGTH_PENALTY,
                    flag("--json", action="store_true", help="one JSON object per message: "
                         "{message, replies: [{text, score}]} (--generate: and generated)"),
                    flag("--output", metavar="FILE", help="write here (atomically) instead "
                         "of stdout"))),
        export_command(),
    )
    routes = (
        Route("reply", "suggested replies to each message, best first, with their scores",
              "predict", input="a message", params=(
                  Param("k", int, 3, "replies per message", parse_positive_int),
                  Param("diversity", float, 0.9, "cosine above which a reply too close to one "
                        "already suggested is skipped (1: no rule)", parse_probability),
                  Param("generate", bool, False, "also the reply the run's generator writes, "
                        "as generated (a run trained with --generator true)"),
                  *BEAM_PARAMS)),
    )

    def __init__(self, options, *, vocab=None, meta: dict | None = None):
        super().__init__(options, vocab=vocab, meta=meta)
        self.replies = meta["replies"] if meta else None     # the candidates: training replies
        if meta and not (isinstance(self.replies, list) and self.replies and
                         all(isinstance(r, str) for r in self.replies)):
            raise bad("checkpoint", "a task.json whose replies are a non-empty list of texts",
                      f"replies {str(self.replies)[:60]}")
        self.train_rows = None
        self.bank = None                                     # (model, candidate vectors)
        self.writer = None                                   # the generator's Generator

    # --- data ------------------------------------------------------------------------------

    def load(self, path: str | None, argument: str = "data") -> "Pairs":
        """The pairs of a TSV file (or stdin, "-"); None: chatterbot-corpus's."""
        if path is None:
            rows, digest = corpus_pairs()
            return Pairs(rows, CORPUS, digest)
        text, name = read_input(path, argument)
        return Pairs(parse_pairs(text, name), name,
                     hashlib.sha256(text.encode("utf-8")).hexdigest())

    def setup(self, train: "TrainConfig"):
        o = self.options
        unused = {"generator_attention": o.generator_attention != "none",
                  "generator_max_words": o.generator_max_words is not None}
        for name in (n for n, given in unused.items() if given and not o.generator):
            raise bad(name, f"--generator true with --{name.replace('_', '-')} (it sets "
                      "the generator)", repr(getattr(o, name)))
        data = self.load(train.data)
        digest = hashlib.sha256(data.digest.encode("ascii"))
        if train.valid is not None:
            held = self.load(train.valid, "valid")
            rows, valid = data.rows, held.rows
            digest.update(held.digest.encode("ascii"))
        else:
            rows, valid = split_by_source(data.rows, train.valid_fraction, train.split_seed,
                                          o.lowercase)
        self.source, self.fingerprint = data.name, digest.hexdigest()
        self.fit(rows)
        self.train_rows, self.n_train, self.n_valid = rows, len(rows), len(valid)
        index = {self.key(r): i for i, r in enumerate(self.replies)}
        self.train_batches = ReplyBatches(self.examples(rows, index), train.batch_size,
                                          seed=train.seed)
        name = train.valid if train.valid else f"the held-out pairs of {data.name}"
        self.valid_batches = self.ranking(valid, train, name) if valid else None

    def tokens(self, text: str) -> list[str]:
        return words(text, self.options.lowercase)

    def key(self, text: str) -> tuple[str, ...]:
        """Texts with equal keys are one reply (or one message)."""
        return tuple(self.tokens(text))

    def fit(self, rows: list[PairRow]):
        """The vocabulary of the training messages and replies, and the distinct replies."""
        if self.vocab is None:
            self.vocab = word_vocab([self.tokens(t) for r in rows for t in (r.source, r.target)],
                                    self.options.min_count)
        if self.replies is None:
            self.replies = list({self.key(r.target): r.target for r in rows}.values())

    def generating(self) -> Generator:
        """The generator's vocabulary and reply length, of the task's (after ``fit``)."""
        if self.writer is None:
            self.writer = Generator.of(self.vocab, [self.tokens(r) for r in self.replies],
                                       self.options.generator_max_words)
        return self.writer

    def ids(self, text: str) -> list[int]:
        return self.vocab.encode(" ".join(self.tokens(text)))

    def examples(self, rows: list[PairRow], index: dict) -> list[ReplyExample]:
        """Pairs -> examples; ``index``: the candidate index of each reply key."""
        messages: dict = {}
        return [ReplyExample(self.ids(r.source), self.ids(r.target), index[self.key(r.target)],
                             messages.setdefault(self.key(r.source), len(messages)))
                for r in rows]

    def ranking(self, rows: list[PairRow], train: "TrainConfig", name: str) -> "Ranking":
        """The pairs to score: candidates are the training replies and the replies of
        ``rows`` not among them; gold, the candidates of each distinct message's replies."""
        candidates = list(self.replies)
        index = {self.key(r): i for i, r in enumerate(candidates)}
        for r in rows:
            if index.setdefault(self.key(r.target), len(candidates)) == len(candidates):
                candidates.append(r.target)
        groups: dict = {}
        for r in rows:
            groups.setdefault(self.key(r.source), (r.source, set()))[1].add(
                index[self.key(r.target)])
        return Ranking(ReplyBatches(self.examples(rows, index), train.batch_size,
                                    shuffle=False), [m for m, _ in groups.values()],
                       candidates, [g for _, g in groups.values()], name)

    def eval_batches(self, pairs: "Pairs", train: "TrainConfig") -> "Ranking":
        return self.ranking(pairs.rows, train, pairs.name)

    # --- model -----------------------------------------------------------------------------

    def build_model(self, model: "ModelConfig") -> DualEncoder:
        o = self.options
        generator = None
        if o.generator:
            generator = self.generating().arguments(
                embed_dim=model.embed_dim, hidden_sizes=model.hidden_sizes, cell=model.cell,
                activation=model.activation, bidirectional=model.bidirectional,
                dropout=model.dropout, attention=o.generator_attention)
        return DualEncoder(model.embed_dim, model.hidden_sizes, o.space_dim, model.cell,
                           model.activation, model.bidirectional, model.dropout,
                           vocab_size=len(self.vocab), embed_dropout=o.embed_dropout,
                           word_dropout=o.word_dropout, unk=self.vocab.index[self.vocab.unk],
                           pooling=o.pooling, shared=o.shared, generator=generator)

    def loss(self, model, x, y, state=None):
        """The in-batch loss per pair, plus the generator's per reply token if it has one."""
        loss = batch_loss(model, x, reduction="mean")
        if getattr(model, "generator", None) is not None:
            loss = loss + self.generating().loss(model.generator, x)
        return loss, None

    @torch.no_grad()
    def evaluate(self, model, batches: "Ranking | None" = None, *,
                 max_batches: int | None = None, beam: int = 1,
                 length_penalty: float = 1.0) -> dict:
        """{"loss": in-batch softmax loss per pair, "recall@1", "recall@3", "messages",
        "candidates"} of the held-out pairs (or of ``batches``, from ``eval_batches``). With
        a generator also "bleu" and "chrf" of its replies (greedy, or ``beam``),
        "generator_loss" per reply token and "selection_loss" per pair; "loss" is their
        sum."""
        r = self.valid_batches if batches is None else batches
        generator = getattr(model, "generator", None)
        was_training = model.training
        model.eval()
        try:
            pairs, tokens = self.held_out_loss(model, r.batches, max_batches)
            scores = self.scores(model, r)                                   # (M, N)
        finally:
            model.train(was_training)
        recall = named(retrieval.recall_at(scores.numpy(), r.gold, KS))
        out = {"loss": pairs, **recall, "messages": len(r.messages),
               "candidates": len(r.candidates)}
        if generator is None:
            return out
        written = self.generating().write(generator, [self.ids(m) for m in r.messages],
                                          beam=beam, length_penalty=length_penalty)
        return {**out, "loss": pairs + tokens, "selection_loss": pairs,
                "generator_loss": tokens, **self.bleu(written, r)}

    def held_out_loss(self, model: DualEncoder, batches: ReplyBatches,
                      max_batches: int | None) -> tuple[float, float]:
        """(in-batch loss per pair, the generator's loss per reply token or 0)."""
        generator = getattr(model, "generator", None)
        pairs = tokens = 0.0
        count = words = 0
        device = next(model.parameters()).device
        for k, batch in enumerate(batches.epoch(0)):
            if max_batches is not None and k >= max_batches:
                break
            x = batch.x.to(device)
            pairs += float(batch_loss(model, x, reduction="sum"))
            count += len(batch.y)
            if generator is not None:
                tokens += float(self.generating().loss(generator, x, reduction="sum"))
                words += self.generating().tokens(x)
        return pairs / max(count, 1), tokens / max(words, 1)

    def scores(self, model: DualEncoder, r: "Ranking") -> torch.Tensor:
        """The score of every candidate for every distinct message (M, N)."""
        return self.encode(model, r.messages, "message") @ \
            self.encode(model, r.candidates, "reply").T

    def bleu(self, replies: list[str], r: "Ranking") -> dict:
        """{"bleu", "chrf"} of one reply per distinct message of ``r`` against all its
        replies."""
        refs = [[r.candidates[j] for j in sorted(g)] for g in r.gold]
        return corpus_scores(replies, refs, self.options.lowercase)

    @torch.no_grad()
    def encode(self, model: DualEncoder, texts: list[str], side: str) -> torch.Tensor:
        """Texts -> their vectors (len(texts), K) by the message or reply encoder, on the
        CPU."""
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        run = model.encode_messages if side == "message" else model.encode_replies
        batches = SequenceBatches([Example(self.ids(t), 0) for t in texts], ENCODE_BATCH,
                                  shuffle=False)
        try:
            return torch.cat([run(*batch.x.to(device)[:2]).cpu()
                              for batch in batches.epoch(0)])
        finally:
            model.train(was_training)

    def report(self, metrics: dict) -> str:
        m = metrics
        head = (f"valid recall@1: {m['recall@1']:.2%}, recall@3: {m['recall@3']:.2%} "
                f"({m['messages']:,} messages, {m['candidates']:,} candidates; ")
        if "bleu" not in m:
            return head + f"loss {m['loss']:.4f} nats per pair)"
        return head + (f"loss {m['selection_loss']:.4f} nats per pair + "
                       f"{m['generator_loss']:.4f} per reply token); generated replies: BLEU "
                       f"{m['bleu']:.2f}, chrF {m['chrf']:.2f} (greedy)")

    # --- records ---------------------------------------------------------------------------

    def meta(self) -> dict:
        return {"replies": self.replies}

    def describe(self) -> str:
        return (f"data: {self.source}, {self.n_train:,} train and {self.n_valid:,} valid "
                f"pairs, {len(self.replies):,} distinct training replies, vocabulary of "
                f"{len(self.vocab):,} words" + (", with a generator (replies of at most "
                f"{self.generating().longest} words)" if self.options.generator else ""))

    def onnx_graphs(self, model: DualEncoder) -> dict:
        """{"message", "reply"}: each side's encoder, ids (B, T), lengths (B,) -> (B, K)."""
        from ..export.models import many_to_one
        from ..export.seq2seq import encoder_decoder
        graphs = {"message": many_to_one(model.message)["model"],
                  "reply": many_to_one(getattr(model, "reply", model.message))["model"]}
        if getattr(model, "generator", None) is not None:
            graphs.update({f"generator_{name}": g for name, g in
                           encoder_decoder(model.generator).items()})
        return graphs

    def export_usage(self) -> list[str]:
        return ["ids (B, T): each text's words (elman.data.words, lower-cased when "
                "options.lowercase), each word's id in vocab.json (<unk>'s for one not in "
                "it), 0-padded; lengths (B,): words per text",
                "message.onnx: messages -> u (B, K); reply.onnx: task.json's replies (the "
                "candidates) -> v (N, K); a reply's score is u . v, the best first"] + \
            (["generator_encoder.onnx and generator_decoder_step.onnx (a run with a "
              "generator): an encoder-decoder over the same word ids (src: a message) whose "
              "target ids are vocab.json's followed by <s> and </s>; decode as "
              "elman.models.EncoderDecoder.greedy, at most the longest of task.json's "
              "replies in words, plus </s>"] if self.options.generator else [])

    # --- suggesting ------------------------------------------------------------------------

    def serving(self, run):
        self.candidates(run.model)

    def candidates(self, model: DualEncoder) -> torch.Tensor:
        """The training replies' vectors (N, K) under ``model`` (kept for that model)."""
        if self.bank is None or self.bank[0] is not model:
            self.bank = (model, self.encode(model, self.replies, "reply"))
        return self.bank[1]

    def suggest(self, model: DualEncoder, messages: list[str], name: str, *, k: int,
                diversity: float) -> list[list[tuple[str, float]]]:
        """The k best (reply, score) of each message, best first, by the diversity rule
        (``name``: where the messages come from, for errors)."""
        for i, text in enumerate(messages):
            if not isinstance(text, str):
                raise bad("input", "a message (a string)", type(text).__name__)
            if not self.tokens(text):
                raise bad("text", "a message with some words", f"an empty one at {name}:{i + 1}")
        if not messages:
            return []
        v = self.candidates(model)                                           # (N, K)
        scores = (self.encode(model, messages, "message") @ v.T).numpy()     # (M, N)
        return [[(self.replies[j], float(row[j])) for j in
                 retrieval.diverse(row, v.numpy(), k, diversity)] for row in scores]

    def write(self, model: DualEncoder, messages: list[str], *, beam: int = 1,
              length_penalty: float = 1.0) -> list[str]:
        """The reply the run's generator writes to each message (checked by ``suggest``)."""
        return self.generating().write(generator_of(model), [self.ids(m) for m in messages],
                                       beam=beam, length_penalty=length_penalty)

    def predict(self, models: list, inputs: list[str], *, k: int = 3, diversity: float = 0.9,
                generate: bool = False, beam: int = 1,
                length_penalty: float = 1.0) -> list[dict]:
        """Per message {"replies": [{"text", "score"}, ...]}: k suggestions, best first;
        with ``generate`` also "generated", the reply the generator writes (greedy, or
        ``beam``)."""
        if isinstance(inputs, str):
            raise bad("inputs", "a list of messages", "one string")
        if len(models) != 1:
            raise bad("models", "one model (reply runs do not vote)", f"{len(models)} models")
        if generate:
            generator_of(models[0])
        else:
            for name, value, default in (("beam", beam, 1), ("length_penalty", length_penalty,
                                                             1.0)):
                if value != default:
                    raise bad(name, f"generate true with a {name} other than {default} (it "
                              "sets how the reply is generated)", repr(value))
        messages = list(inputs)
        found = self.suggest(models[0], messages, "inputs", k=k, diversity=diversity)
        out = [{"replies": [{"text": t, "score": s} for t, s in f]} for f in found]
        if generate:
            for o, text in zip(out, self.write(models[0], messages, beam=beam,
                                               length_penalty=length_penalty)):
                o["generated"] = text
        return out

    # --- commands --------------------------------------------------------------------------

    def cmd_reply(self, run, args) -> int:
        o = self.options
        lines, name = input_lines(args.text, args.input)
        k = o.suggestions if args.k is None else parse_positive_int("k", args.k)
        diversity = o.diversity if args.diversity is None else \
            parse_probability("diversity", args.diversity)
        beam, penalty = beam_flags(args, run.model, generate=args.generate)
        if args.output:
            writable(args.output, "output")
        found = self.suggest(run.model, lines, name, k=k, diversity=diversity)
        written = self.write(run.model, lines, beam=beam, length_penalty=penalty) \
            if args.generate else None
        if args.json:
            out = "".join(json.dumps({"message": m, "replies": [
                {"text": t, "score": s} for t, s in f]} | (
                    {} if written is None else {"generated": written[i]})) + "\n"
                for i, (m, f) in enumerate(zip(lines, found)))
        elif written is not None:
            out = "".join(f"{one_line(t)}\n" for t in written)
        else:
            out = "\n".join("".join(f"{one_line(t)}\n" for t, _ in f) for f in found)
        write_output(out, args.output)
        return 0

    def cmd_eval(self, run, args) -> int:
        """Recall@1 and @3 of the model, of random ranking and of the TF-IDF nearest-message
        baseline (which reads the run's training data) on the same candidates."""
        beam, penalty = beam_flags(args, run.model)
        ranking, scored = self.scored_data(run, args)
        metrics = self.evaluate(run.model, ranking, beam=beam, length_penalty=penalty)
        metrics["baselines"] = self.baselines(ranking, run.config.train)
        if "bleu" in metrics:
            metrics["decoding"] = decoding(beam, penalty)
            best = self.scores(run.model, ranking)[:, :len(self.replies)].argmax(1)
            metrics["baselines"]["best_suggestion"] = self.bleu(
                [ranking.candidates[j] for j in best.tolist()], ranking)
        what = ranking.name if args.data is None else data_name(args.data)
        print_metrics(metrics, args, lambda m: eval_report(m, what), scored)
        return 0

    def baselines(self, ranking: "Ranking", train: "TrainConfig") -> dict:
        """{"random": {...}, "tfidf": {...}}: recall@k of both baselines on the candidates of
        ``ranking`` (the TF-IDF one reads the training pairs of ``train`` if not read yet)."""
        if self.train_rows is None:
            self.setup(train)
        index = {self.key(t): i for i, t in enumerate(ranking.candidates)}
        scores = retrieval.tfidf_scores([r.source for r in self.train_rows],
                                        [index[self.key(r.target)] for r in self.train_rows],
                                        ranking.messages, len(ranking.candidates),
                                        self.tokens)
        return {"random": named(retrieval.random_recall(len(ranking.candidates), ranking.gold,
                                                        KS)),
                "tfidf": named(retrieval.recall_at(scores, ranking.gold, KS))}


@dataclass
class Pairs:
    """The message/reply pairs of one source, its name and the sha256 of its text."""

    rows: list[PairRow]
    name: str
    digest: str


def batch_loss(model: DualEncoder, x, reduction: str) -> torch.Tensor:
    """Cross-entropy of each message's reply against the batch's other replies (those of
    ``x.same`` left out): scores (B, B), target the diagonal."""
    scores = model(x.message.ids, x.message.lengths, x.reply.ids, x.reply.lengths)
    scores = scores.masked_fill(x.same, float("-inf"))                     # (B, B)
    return F.cross_entropy(scores, torch.arange(len(scores), device=scores.device),
                           reduction=reduction)


def one_line(text: str) -> str:
    """A reply as one line of ``elman reply``'s output: its line breaks written \\n."""
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def named(recall: dict) -> dict:
    """{k: recall} -> {"recall@k": recall}."""
    return {f"recall@{k}": v for k, v in recall.items()}


def percent(figures: dict) -> str:
    return ", ".join(f"recall@{k} {figures[f'recall@{k}']:.2%}" for k in KS)


def eval_report(m: dict, what: str) -> str:
    b = m["baselines"]
    lines = (f"{percent(m)} ({m['messages']:,} messages of "
             f"{what}, {m['candidates']:,} candidates)\n"
             f"random ranking: {percent(b['random'])}\n"
             f"TF-IDF nearest training message: {percent(b['tfidf'])}\n")
    if "bleu" not in m:
        return lines + f"loss: {m['loss']:.4f} nats per pair (softmax over the batch's replies)"
    s = b["best_suggestion"]
    return lines + (f"generated replies: BLEU {m['bleu']:.2f}, chrF {m['chrf']:.2f} "
                    f"({m['decoding']}, against all the replies of each message)\n"
                    f"best suggestion's text: BLEU {s['bleu']:.2f}, chrF {s['chrf']:.2f}\n"
                    f"loss: {m['loss']:.4f} = {m['selection_loss']:.4f} nats per pair "
                    "(softmax over the batch's replies) + "
                    f"{m['generator_loss']:.4f} nats per reply token (the generator)")
