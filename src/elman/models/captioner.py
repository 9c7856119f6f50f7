"""Image captioning: a small convolutional encoder turns an image into one vector, and a
one-to-many decoder (``OneToMany``) writes a sentence from it.

Encoder, for images (B, C, H, W) (elman's are in [-1, 1]): per entry of ``conv_channels`` a 3 x 3
convolution of stride 2 (padding 1), batch normalisation and a ReLU, so H and W halve at
every layer (without the normalisation the ReLUs of a random-width canvas die within tens of
Adam steps and the decoder learns to ignore the image); the last
feature map, flattened, goes through a linear layer and a tanh to the image vector v
(B, image_dim). The flattening keeps where things are in the picture (a caption such as "a
seven above a two" or digits read left to right depends on it). The decoder starts from
a_l(0) = tanh(W_I[l] v + b_I[l]) and, with ``feed_image``, reads v at every step too.
"""

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import bad
from ..nn import memory
from .common import Summarized
from .one_to_many import OneToMany


def _positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad(name, "a positive int", repr(value))
    return value


def batch_norm(channels: int) -> nn.BatchNorm2d:
    """nn.BatchNorm2d whose count of batches seen is a float (checkpoints keep floating-point
    tensors only; with a fixed momentum the running statistics do not use the count)."""
    norm = nn.BatchNorm2d(channels)
    norm.register_buffer("num_batches_tracked", torch.zeros(()))
    return norm


class ConvEncoder(nn.Module):
    """images (B, C, H, W) -> vectors (B, image_dim): stride-2 3 x 3 convolutions, batch
    normalisation and ReLU, flattened, then a linear layer and tanh."""

    def __init__(self, channels: int, height: int, width: int, conv_channels: Sequence[int],
                 image_dim: int):
        super().__init__()
        self.shape = tuple(_positive(n, v) for n, v in (("channels", channels),
                                                         ("height", height), ("width", width)))
        if not conv_channels:
            raise bad("conv_channels", "at least one convolution width", "none")
        layers, c, h, w = [], channels, height, width
        for out in conv_channels:
            layers += [nn.Conv2d(c, _positive("conv_channels", out), 3, stride=2, padding=1),
                       batch_norm(out), nn.ReLU()]
            c, h, w = out, (h + 1) // 2, (w + 1) // 2
        self.convs = nn.Sequential(*layers)
        self.project = nn.Linear(c * h * w, _positive("image_dim", image_dim))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images (B, C, H, W) float -> (B, image_dim)."""
        if not isinstance(images, torch.Tensor) or tuple(images.shape[1:]) != self.shape or \
                not images.is_floating_point():
            raise bad("images", f"a float (B, C, H, W) = (B, {', '.join(map(str, self.shape))})"
                      " tensor", f"{tuple(getattr(images, 'shape', ()))} "
                      f"{getattr(images, 'dtype', type(images).__name__)}")
        return torch.tanh(self.project(self.convs(images).flatten(1)))    # (B, D)

    def activation_bytes(self, batch: int, steps: int) -> int:
        """Bytes backpropagation keeps of the encoder on ``batch`` images, one per caption of
        ``steps`` steps (``elman.nn.memory.training_bytes``)."""
        return memory.saved_bytes(self, (batch, *self.shape))


class Captioner(Summarized, nn.Module):
    """images (B, C, H, W) -> ``ConvEncoder`` -> v (B, image_dim) -> ``OneToMany`` decoder ->
    logits (B, T, V) over the caption vocabulary (teacher forcing), or decoded ids."""

    def __init__(self, channels: int, height: int, width: int, vocab_size: int,
                 hidden_sizes: int | Sequence[int], embed_dim: int = 64, cell: str = "gru",
                 activation="tanh", dropout: float = 0.0,
                 conv_channels: Sequence[int] = (16, 32, 64, 64, 64), image_dim: int = 256,
                 feed_image: bool = False):
        super().__init__()
        self.config = dict(channels=channels, height=height, width=width,
                           vocab_size=vocab_size, hidden_sizes=hidden_sizes,
                           embed_dim=embed_dim, cell=cell, activation=activation,
                           dropout=dropout, conv_channels=list(conv_channels),
                           image_dim=image_dim, feed_image=feed_image)
        self.encoder = ConvEncoder(channels, height, width, conv_channels, image_dim)
        self.caption = OneToMany(image_dim, vocab_size, hidden_sizes, embed_dim, cell,
                                 activation, dropout, feed_input=feed_image)

    @property
    def rnn(self):
        """The decoder's elman.RNN."""
        return self.caption.decoder.rnn

    def forward(self, images: torch.Tensor, tgt_in: torch.Tensor, lengths=None) -> torch.Tensor:
        """Teacher forcing: images (B, C, H, W), tgt_in (B, T) ids [bos, y_1, ...], lengths
        (B,) or None -> logits (B, T, V)."""
        return self.caption(self.encoder(images), tgt_in, lengths)

    @torch.no_grad()
    def greedy(self, images: torch.Tensor, bos: int, eos: int, max_len: int) -> list[list[int]]:
        """images (B, C, H, W) -> per image the ids of its likeliest-step caption, no eos."""
        ids = self.caption.generate(self.encoder(images), bos, max_len, eos).tolist()
        return [row[:row.index(eos)] if eos in row else row for row in ids]

    @torch.no_grad()
    def beam(self, images: torch.Tensor, bos: int, eos: int, max_len: int, width: int = 5,
             length_penalty: float = 1.0) -> list[list[int]]:
        """images (B, C, H, W) -> per image the ids of its best caption by beam search."""
        return self.caption.beam(self.encoder(images), bos, eos, max_len, width,
                                 length_penalty)
