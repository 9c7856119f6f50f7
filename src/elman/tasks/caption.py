"""The captioning task: an image in, a sentence out (one-to-many, conditioned on the image).

Data (``--data``), one of:

- none (the default): generated composites of digits of a built-in 5 x 7 font
  (``elman.data.composites``), ``examples`` for training and ``valid_examples`` for
  validation, drawn from separate digit sets seeded by ``split_seed``; no data needed;
- a folder holding MNIST's ``train-images-idx3-ubyte.gz`` and ``train-labels-idx1-ubyte.gz``:
  composites of MNIST digits, a seeded ``valid_fraction`` of the MNIST images held out so
  that validation composites are made of digits never trained on;
- a folder of images with a ``captions.tsv`` (``image<TAB>caption``, several lines per
  image allowed, Flickr8k style; ``elman.data.images``): a seeded ``valid_fraction`` of the
  images held out with all their captions, or a ``--valid`` folder.

Composites are ``layout`` (row: "three seven one"; above: "a seven above a two"; mixed) on a
``height`` x ``width`` canvas; images of a folder are resized to it (grey, or RGB with
``channels`` 3). Captions are split into words (lower-cased with ``lowercase``); the
vocabulary is the training words seen ``min_count`` times, <unk>, <s> and </s>.

Model: ``elman.models.Captioner``, a convolutional encoder whose image vector is the
decoder's initial state (and with ``feed_image`` its input at every step too). Loss:
cross-entropy per caption token, </s> included. Metrics of the held-out images, each decoded
once (greedy, or ``--beam`` in ``elman eval``): corpus BLEU and chrF against all its
captions (``elman.bleu``, sacrebleu), exact match (the caption equals one of its references
word for word), and the teacher-forced loss and accuracy of its first caption.
"""

import argparse
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from ..bleu import corpus_scores
from ..data.captions import CaptionBatches, CaptionExample
from ..data.composites import LAYOUTS, check_layout, compose, glyph_digits
from ..data.digit_images import is_mnist, read_mnist
from ..data.images import (
    Captioned,
    as_float,
    is_captions_folder,
    read_captions,
    read_image,
)
from ..data.tokenizers import Words
from ..data.vocab import Vocab
from ..errors import bad
from ..io.inputs import writable, write_output
from ..losses import cross_entropy
from ..models import Captioner
from ..options import (
    opt,
    parse_choice,
    parse_flag,
    parse_integer,
    parse_positive_int,
    parse_sizes,
)
from .base import (
    Command,
    Route,
    Run,
    Task,
    eval_command,
    export_command,
    flag,
    print_metrics,
)
from .labeled import word_vocab
from .seq2seq import (
    BEAM,
    BEAM_PARAMS,
    BOS,
    EOS,
    EVAL_BATCH,
    LENGTH_PENALTY,
    OUTPUT,
    Seq2SeqTask,
    beam_flags,
    decoding,
    one_model,
    with_specials,
)

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig

GLYPHS = 2000          # built-in font digits drawn for the training composites (500 valid)
LONGER = 5             # decoding stops this many words past the longest training caption
BUILT_IN = "composites of the built-in digit font"


def parse_channels(name, v):
    v = parse_integer(name, v)
    if v not in (1, 3):
        raise bad(name, "1 (grey) or 3 (RGB)", v)
    return v


@dataclass
class Options:
    """Settings of the captioning task."""

    layout: str = opt("mixed", parse_choice(LAYOUTS), "composites: digits in a row "
                      "(\"three seven one\"), two above one another (\"a seven above a two\") "
                      "or either")
    min_digits: int = opt(2, parse_positive_int, "composites: fewest digits in a row")
    max_digits: int = opt(4, parse_positive_int, "composites: most digits in a row")
    examples: int = opt(5000, parse_positive_int, "composites: training images")
    valid_examples: int = opt(500, parse_positive_int, "composites: validation images")
    height: int = opt(64, parse_positive_int, "image height in pixels (images are resized)")
    width: int = opt(128, parse_positive_int, "image width in pixels")
    channels: int = opt(1, parse_channels, "1 (grey) or 3 (RGB)")
    conv_channels: list = opt([16, 32, 64, 64, 64], parse_sizes, "the encoder's convolutions "
                              "(stride 2 each): their output channels", "C[,C...]")
    image_dim: int = opt(256, parse_positive_int, "width of the image vector")
    feed_image: bool = opt(False, parse_flag, "the decoder reads the image vector at every "
                           "step, not only as its initial state")
    lowercase: bool = opt(True, parse_flag, "lower-case captions")
    min_count: int = opt(1, parse_positive_int, "keep words seen at least this often in "
                         "training captions; the rest read as <unk>")


class CaptionTask(Task):
    """Image captioning with a convolutional encoder and a one-to-many RNN decoder.
    ``--data``: none (generated digit composites), MNIST's IDX folder, or a folder of images
    with captions.tsv."""

    name = "caption"
    Options = Options
    monitor = "bleu"
    commands = (
        eval_command(BEAM, LENGTH_PENALTY, help="BLEU, chrF and exact match of the captions "
                     "of the run's held-out images or of --data",
                     data=flag("--data", metavar="DIR", help="a folder of images with "
                               "captions.tsv, or MNIST's IDX files (composites of all its "
                               "digits; default: the run's held-out images)")),
        Command("caption", "caption images with a caption run's model", "cmd_caption", (
            flag("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)"),
            OUTPUT, BEAM, LENGTH_PENALTY)),
        export_command(),
    )
    routes = (
        Route("caption", "the caption of each uploaded image", "predict_images",
              kind="upload", input="an image file (PNG, JPEG, ...)", params=BEAM_PARAMS),
    )

    def __init__(self, options, *, vocab: Vocab | None = None, meta: dict | None = None):
        super().__init__(options, vocab=vocab, meta=meta)
        self.words = Words(options.lowercase)
        self.longest = meta["longest"] if meta else None
        if vocab is not None:
            self.set_vocab(vocab)

    @property
    def shape(self) -> tuple[int, int, int]:
        o = self.options
        return o.channels, o.height, o.width

    def set_vocab(self, vocab: Vocab):
        self.vocab = vocab
        self.bos, self.eos = vocab.index[BOS], vocab.index[EOS]

    # --- data ------------------------------------------------------------------------------

    def load(self, path: str | None, argument: str = "data") -> list[Captioned]:
        """The captioned images of a folder with captions.tsv, or ``valid_examples``
        composites of all the digits of an MNIST folder (seed 0)."""
        if path is None:
            raise bad(argument, "a folder of images with captions.tsv (or MNIST's IDX files)",
                      "none")
        if is_captions_folder(path):
            return read_captions(path, self.shape, argument)
        if is_mnist(path):
            digits, labels = read_mnist(path, argument)
            return self.composites(digits, labels, self.options.valid_examples, 0)
        raise bad(argument, "a folder of images with captions.tsv, or one holding MNIST's "
                  "train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz", repr(path))

    def composites(self, digits: np.ndarray, labels: np.ndarray, count: int,
                   seed) -> list[Captioned]:
        """``count`` composites of digits (N, 28, 28) with their labels (N,), drawn from a
        generator seeded with ``seed``."""
        o = self.options
        if o.channels != 1:
            raise bad("channels", "1 for digit composites (they are grey)", o.channels)
        images, captions = compose(digits, labels, count, np.random.default_rng(seed),
                                   layout=o.layout, min_digits=o.min_digits,
                                   max_digits=o.max_digits, height=o.height, width=o.width)
        images = torch.from_numpy(images)
        return [Captioned(im, [c], f"composite {i}") for i, (im, c) in
                enumerate(zip(images, captions))]

    def generated(self, train: "TrainConfig") -> tuple[list[Captioned], list[Captioned]]:
        """(train, valid) composites: of the built-in font (no --data) or of MNIST's digits,
        each split from its own digits."""
        o, seed = self.options, train.split_seed
        check_layout(o.layout, o.min_digits, o.max_digits, o.height, o.width)
        if train.data is None:
            parts = [glyph_digits(n, np.random.default_rng([seed, k]))
                     for k, n in enumerate((GLYPHS, GLYPHS // 4))]
        else:
            digits, labels = read_mnist(train.data)
            order = np.random.default_rng(seed).permutation(len(digits))
            k = round(train.valid_fraction * len(digits))
            parts = [(digits[idx], labels[idx]) for idx in (order[k:], order[:k])]
        valid = [] if not len(parts[1][0]) else \
            self.composites(*parts[1], o.valid_examples, [seed, 3])
        return self.composites(*parts[0], o.examples, [seed, 2]), valid

    def split(self, train: "TrainConfig") -> tuple[list[Captioned], list[Captioned]]:
        """(train, valid) captioned images of ``train.data`` and ``train.valid``."""
        if train.data is None or is_mnist(train.data):
            rows, valid = self.generated(train)
        else:
            rows, valid = self.load(train.data), []
            if train.valid is None and train.valid_fraction > 0 and len(rows) > 1:
                g = torch.Generator().manual_seed(train.split_seed)
                order = torch.randperm(len(rows), generator=g).tolist()
                k = min(max(1, round(train.valid_fraction * len(rows))), len(rows) - 1)
                held = set(order[:k])
                rows, valid = ([r for i, r in enumerate(rows) if i not in held],
                               [r for i, r in enumerate(rows) if i in held])
        if train.valid is not None:
            valid = self.load(train.valid, "valid")
        return rows, valid

    def setup(self, train: "TrainConfig"):
        rows, valid = self.split(train)
        self.source = train.data or BUILT_IN
        self.fingerprint = fingerprint(rows + valid)
        captions = [self.words.tokens(c) for r in rows for c in r.captions]
        if self.vocab is None:
            self.set_vocab(with_specials(word_vocab(captions, self.options.min_count).tokens,
                                         "<unk>"))
        if self.longest is None:
            self.longest = max(map(len, captions))
        examples = [CaptionExample(self.ids(c), r.image) for r in rows for c in r.captions]
        self.n_train, self.n_captions, self.n_valid = len(rows), len(examples), len(valid)
        self.train_batches = CaptionBatches(examples, train.batch_size, self.bos, self.eos,
                                            train.seed)
        self.valid_batches = self.eval_batches(valid, train) if valid else None

    def eval_batches(self, rows: list[Captioned], train: "TrainConfig") -> CaptionBatches:
        """Batches of each image with its first caption; all its captions are references."""
        examples = [CaptionExample(self.ids(r.captions[0]), r.image) for r in rows]
        return CaptionBatches(examples, max(EVAL_BATCH, train.batch_size), self.bos,
                              self.eos, shuffle=False,
                              references=[r.captions for r in rows])

    def ids(self, caption: str) -> list[int]:
        unk = self.vocab.index[self.vocab.unk]
        return [self.vocab.index.get(t, unk) for t in self.words.tokens(caption)] or [unk]

    # --- records ---------------------------------------------------------------------------

    def meta(self) -> dict:
        return {"longest": self.longest}

    def describe(self) -> str:
        return (f"data: {self.source!r}, {self.n_train:,} train images ({self.n_captions:,} "
                f"captions) and {self.n_valid:,} valid images of {' x '.join(map(str, self.shape))}"
                f", a vocabulary of {len(self.vocab):,} words")

    def export_usage(self) -> list[str]:
        C, H, W = self.shape
        return [f"images (B, {C}, {H}, {W}): pixels 0-255 of {'grey' if C == 1 else 'RGB'} "
                f"images resized to {H} x {W} (bilinear), scaled to [-1, 1] as x / 127.5 - 1",
                "encoder: images -> image (B, D) and h_l (c_l), the decoder's first h0_l "
                "(c0_l)",
                f"decoder_step: token (B,) from <s> (id {self.bos} in vocab.json), h0_l (c0_l)"
                f"{' and image' if self.options.feed_image else ''} -> logits (B, V) and h_l "
                f"(c_l): take the argmax, feed it back with h_l (c_l) as h0_l (c0_l); stop at "
                f"</s> (id {self.eos}) or after {self.longest + LONGER} words; the caption: "
                "the words joined by spaces; beam search is the caller's (elman.models.beam)"]

    # --- model -----------------------------------------------------------------------------

    def build_model(self, model: "ModelConfig") -> Captioner:
        if model.bidirectional:
            raise bad("bidirectional", "false for the caption task (the decoder writes left "
                      "to right)", model.bidirectional)
        o = self.options
        return Captioner(*self.shape, len(self.vocab), model.hidden_sizes, model.embed_dim,
                         model.cell, model.activation, model.dropout, o.conv_channels,
                         o.image_dim, o.feed_image)

    def loss(self, model: Captioner, x, y: torch.Tensor, state=None):
        """Mean cross-entropy per caption token (</s> included); no state is carried."""
        logits = model(x.images, x.tgt_in, x.tgt_lengths)                  # (B, T, V)
        real = torch.arange(y.shape[1], device=y.device) < x.tgt_lengths[:, None]
        return F.cross_entropy(logits[real], y[real]), None

    def decode(self, model: Captioner, images: torch.Tensor, beam: int = 1,
               length_penalty: float = 1.0) -> list[list[int]]:
        """images (B, C, H, W) float -> per image its caption's ids (no </s>)."""
        n = self.longest + LONGER
        if beam > 1:
            return model.beam(images, self.bos, self.eos, n, beam, length_penalty)
        return model.greedy(images, self.bos, self.eos, n)

    def text(self, ids: list[int]) -> str:
        return self.words.text([self.vocab.tokens[i] for i in ids])

    @torch.no_grad()
    def evaluate(self, model: Captioner, batches: CaptionBatches | None = None, *,
                 max_batches: int | None = None, beam: int = 1,
                 length_penalty: float = 1.0) -> dict:
        """{"loss", "accuracy", "tokens", "bleu", "chrf", "exact", "images"} of the held-out
        images (or ``batches``): each decoded once and scored against all its captions; loss
        and teacher-forced accuracy of its first caption."""
        Seq2SeqTask.check_beam(beam, length_penalty)
        batches = self.valid_batches if batches is None else batches
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        total, right, count, hyps = 0.0, 0, 0, []
        try:
            for k, batch in enumerate(batches.epoch(0)):
                if max_batches is not None and k >= max_batches:
                    break
                x, y = batch.x.to(device), batch.y.to(device)
                logits = model(x.images, x.tgt_in, x.tgt_lengths)
                total += float(cross_entropy(logits, y, x.tgt_lengths, reduction="sum"))
                real = torch.arange(y.shape[1], device=device) < x.tgt_lengths[:, None]
                right += int(((logits.argmax(-1) == y) & real).sum())
                count += int(x.tgt_lengths.sum())
                hyps += [self.text(ids) for ids in self.decode(model, x.images, beam,
                                                               length_penalty)]
        finally:
            model.train(was_training)
        refs = batches.references[:len(hyps)]
        return {"loss": total / max(count, 1), "accuracy": right / max(count, 1),
                "tokens": count, **corpus_scores(hyps, refs, self.options.lowercase),
                "exact": exact_share(hyps, refs, self.words), "images": len(hyps)}

    def report(self, metrics: dict) -> str:
        return (f"valid BLEU: {metrics['bleu']:.2f}, exact match {metrics['exact']:.2%} "
                f"(greedy, {metrics['images']:,} images; loss {metrics['loss']:.4f} nats per "
                "token)")

    # --- captioning ------------------------------------------------------------------------

    def caption(self, model: Captioner, images: list[torch.Tensor], beam: int = 1,
                length_penalty: float = 1.0) -> list[str]:
        """uint8 images [(C, H, W)] -> their captions, in batches of ``EVAL_BATCH``."""
        Seq2SeqTask.check_beam(beam, length_penalty)
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        out = []
        try:
            for i in range(0, len(images), EVAL_BATCH):
                x = as_float(torch.stack(images[i:i + EVAL_BATCH])).to(device)
                out += [self.text(ids) for ids in self.decode(model, x, beam, length_penalty)]
        finally:
            model.train(was_training)
        return out

    def predict(self, models: list, inputs: list, *, beam: int = 1,
                length_penalty: float = 1.0) -> list[dict]:
        """{"caption"} of each image: a path to an image file, or its bytes."""
        images = [read_image(item, self.shape, "image", f"inputs[{i}]"
                             if isinstance(item, (bytes, bytearray)) else None)
                  for i, item in enumerate(inputs)]
        return [{"caption": c} for c in self.caption(one_model(models), images, beam,
                                                     length_penalty)]

    def predict_images(self, models: list, files: list, **params) -> list[dict]:
        """``predict`` of image files' bytes (HTTP uploads), never of paths."""
        if not all(isinstance(f, bytes) for f in files):
            raise bad("file", "image files' bytes", ", ".join(type(f).__name__ for f in files))
        images = [read_image(data, self.shape, "file", f"file[{i}]")
                  for i, data in enumerate(files)]
        return [{"caption": c} for c in self.caption(one_model(models), images, **params)]

    # --- commands --------------------------------------------------------------------------

    def cmd_caption(self, run: Run, args: argparse.Namespace) -> int:
        """The caption of each image; with several, "image<TAB>caption" lines."""
        beam, penalty = beam_flags(args)
        if args.output:
            writable(args.output, "output")
        images = [read_image(p, self.shape) for p in args.images]
        found = self.caption(run.model, images, beam, penalty)
        if len(found) == 1:
            write_output(f"{found[0]}\n", args.output)
        else:
            write_output("".join(f"{p}\t{c}\n" for p, c in zip(args.images, found)),
                         args.output)
        return 0

    def cmd_eval(self, run: Run, args: argparse.Namespace) -> int:
        """BLEU, chrF, exact match and loss on the held-out images or --data."""
        beam, penalty = beam_flags(args)
        batches, scored = self.scored_data(run, args)
        r = self.evaluate(run.model, batches, beam=beam, length_penalty=penalty)
        print_metrics(r, args, lambda r: (
            f"BLEU: {r['bleu']:.2f} ({r['images']:,} images, {decoding(beam, penalty)})\n"
            f"exact match: {r['exact']:.4f}\nchrF: {r['chrf']:.2f}\n"
            f"loss: {r['loss']:.4f} nats per token (teacher forced accuracy "
            f"{r['accuracy']:.4f})"), scored)
        return 0


def exact_share(hyps: list[str], refs: list[list[str]], words: Words) -> float:
    """The share of hypotheses equal, word for word, to one of their references."""
    right = sum(words.tokens(h) in [words.tokens(r) for r in rs] for h, rs in zip(hyps, refs))
    return right / max(1, len(hyps))


def fingerprint(rows: list[Captioned]) -> str:
    digest = hashlib.sha256()
    for r in rows:
        digest.update(r.image.numpy().tobytes())
        digest.update("\n".join(r.captions).encode("utf-8"))
    return digest.hexdigest()
