"""Clips of images in, a label out (or a label per frame): a frame encoder feeding elman.RNN.

    e_t = encode(x_t)                 x_t (C, H, W) -> e_t (F,): a small CNN, or the pixels
    y   = ManyToOne(e_1..e_T)         (B, K), or ManyToMany: (B, T, K), one per frame

The CNN (``encoder="cnn"``): per width c in ``channels``, a 3 x 3 convolution (padding 1),
relu and 2 x 2 max pooling; then a linear layer to ``frame_dim`` and relu. ``"flat"``: the
C*H*W pixels of each frame are the RNN's input (sequential MNIST's rows: 28 per step).
Trained end to end: the loss reaches the convolutions through the RNN.
"""

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import bad
from ..nn import memory
from .common import Summarized
from .many_to_many import ManyToMany
from .many_to_one import ManyToOne

ENCODERS = ("cnn", "flat")


class FrameEncoder(nn.Sequential):
    """Frames (N, C, H, W) -> features (N, F): ``layers`` run in turn."""

    def __init__(self, shape: Sequence[int], *layers: nn.Module):
        super().__init__(*layers)
        self.shape = tuple(shape)

    def activation_bytes(self, batch: int, steps: int) -> int:
        """Bytes backpropagation keeps of the encoder on ``batch`` clips of ``steps`` frames
        (``elman.nn.memory.training_bytes``)."""
        return memory.saved_bytes(self, (batch * steps, *self.shape))


def cnn(shape: Sequence[int], channels: Sequence[int], frame_dim: int) -> FrameEncoder:
    """Frames (N, C, H, W) -> features (N, frame_dim)."""
    C, H, W = shape
    layers: list[nn.Module] = []
    for c in channels:
        if H < 2 or W < 2:
            raise bad("channels", f"at most as many convolutions as halvings of the frame "
                      f"{shape[1]} x {shape[2]} leave at least 1 x 1", list(channels))
        layers += [nn.Conv2d(C, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        C, H, W = c, H // 2, W // 2
    return FrameEncoder(shape, *layers, nn.Flatten(), nn.Linear(C * H * W, frame_dim),
                        nn.ReLU())


class FramesModel(Summarized, nn.Module):
    """x (B, T, C, H, W) float frames, lengths (B,) -> logits (B, K), or (B, T, K) with
    ``per_frame``.

    Args: frame_shape [C, H, W]; encoder "cnn" or "flat"; channels (conv widths) and
    frame_dim (the CNN's output width); hidden_sizes, output_size (K), cell, activation,
    bidirectional, dropout as ``RNNWithOutput``; per_frame: a label per frame (ManyToMany),
    else one per clip from the final state (ManyToOne, pooling "last").
    """

    def __init__(self, frame_shape: Sequence[int], hidden_sizes, output_size: int,
                 cell: str = "elman", activation: str = "tanh", bidirectional: bool = False,
                 dropout: float = 0.0, *, encoder: str = "cnn",
                 channels: Sequence[int] = (16, 32), frame_dim: int = 128,
                 per_frame: bool = False):
        super().__init__()
        if encoder not in ENCODERS:
            raise bad("encoder", f"one of {list(ENCODERS)}", repr(encoder))
        if len(frame_shape) != 3 or any(not isinstance(n, int) or n < 1 for n in frame_shape):
            raise bad("frame_shape", "[C, H, W], three positive ints", repr(frame_shape))
        self.config = dict(frame_shape=list(frame_shape), hidden_sizes=hidden_sizes,
                           output_size=output_size, cell=cell, activation=activation,
                           bidirectional=bidirectional, dropout=dropout, encoder=encoder,
                           channels=list(channels), frame_dim=frame_dim, per_frame=per_frame)
        self.frame_shape = tuple(frame_shape)
        self.encoder = cnn(frame_shape, channels, frame_dim) if encoder == "cnn" else \
            nn.Flatten()
        width = frame_dim if encoder == "cnn" else frame_shape[0] * frame_shape[1] * \
            frame_shape[2]
        head = ManyToMany if per_frame else ManyToOne
        self.head = head(width, hidden_sizes, output_size, cell, activation, bidirectional,
                         dropout)
        self.sequence_output = per_frame

    @property
    def rnn(self):
        """The elman.RNN that reads the encoded frames."""
        return self.head.rnn

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, C, H, W) -> e (B, T, F)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 5 or \
                tuple(x.shape[2:]) != self.frame_shape:
            raise bad("x", f"frames (B, T, {', '.join(map(str, self.frame_shape))})",
                      f"shape {tuple(getattr(x, 'shape', ()))}")
        B, T = x.shape[:2]
        return self.encoder(x.reshape(B * T, *self.frame_shape)).view(B, T, -1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T, C, H, W), lengths (B,) -> (B, K) or (B, T, K)."""
        return self.head(self.encode(x), lengths)
