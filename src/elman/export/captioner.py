"""A captioner as two ONNX graphs: the image encoder, run once per batch of images, and one
decoder step, run in the caller's loop (greedy or beam search stay with the caller, as for
the encoder-decoder, ``elman.export.seq2seq``).

=====================  ===============================================================
"encoder"              images (B, C, H, W) float in [-1, 1] -> image (B, D): the image
                       vector v, and h_l (c_l) (1, B, H_l): the decoder's initial state
                       tanh(W_I v + b_I) of layer l (an LSTM's c_l: zeros)
"decoder_step"         token (B,) int64, h0_l (c0_l) (1, B, H_l)[, image (B, D) with
                       feed_image] -> logits (B, V), h_l (c_l)
=====================  ===============================================================
"""

import torch
from torch import nn

from ..models import Captioner
from .graph import FLOAT, INT64, Graph
from .pieces import embed, linear
from .rnn import State, stack, state_inputs, state_outputs


def folded(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """The convolution followed by the normalisation with its running statistics (as in
    eval mode) as one convolution: W * s, (b - mean) * s + beta, s = gamma / sqrt(var + eps)
    per output channel."""
    s = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    return conv.weight * s[:, None, None, None], (conv.bias - norm.running_mean) * s + norm.bias


def encoder(model: Captioner):
    """The encoder graph (see the module doc)."""
    enc, rnn = model.encoder, model.rnn
    g = Graph("encoder", "Captioner's image encoder: the image vector and the decoder's "
              "initial state")
    x = g.input("images", FLOAT, ["B", *enc.shape])
    convs = [m for m in enc.convs if isinstance(m, nn.Conv2d)]
    norms = [m for m in enc.convs if isinstance(m, nn.BatchNorm2d)]
    for k, (conv, norm) in enumerate(zip(convs, norms)):
        W, b = folded(conv, norm)
        x = g.op("Conv", x, g.weight(W, f"conv{k}_W"), g.weight(b, f"conv{k}_b"),
                 kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        x = g.op("Relu", x)
    v = g.op("Tanh", linear(g, enc.project, g.op("Flatten", x, axis=1), "project"))  # (B, D)
    start = g.op("Tanh", linear(g, model.caption.init, v, "init"))          # (B, sum H_l)
    L = len(rnn.hidden_sizes)
    parts = g.op("Split", start, g.ints(rnn.hidden_sizes), axis=1, outputs=L)
    parts = [parts] if L == 1 else parts
    states = []
    for h in parts:
        h = g.op("Unsqueeze", h, g.ints([0]))                               # (1, B, H_l)
        states.append(State(h, g.op("Mul", h, g.scalar(0.0, "zero")) if rnn.cell == "lstm"
                            else ""))
    g.output("image", v, FLOAT, ["B", enc.project.out_features])
    state_outputs(g, rnn, states)
    return g.build()


def decoder_step(model: Captioner):
    """The decoder-step graph (see the module doc)."""
    caption = model.caption
    dec = caption.decoder
    g = Graph("decoder_step", "Captioner's decoder, one step")
    token = g.input("token", INT64, ["B"])
    e = embed(g, dec.embedding, token)                                      # (B, E)
    if caption.feed is not None:
        image = g.input("image", FLOAT, ["B", caption.feed.in_features])
        e = g.op("Add", e, linear(g, caption.feed, image, "feed"))
    y, finals = stack(g, dec.rnn, g.op("Unsqueeze", e, g.ints([0])), "",
                      state_inputs(g, dec.rnn))
    h = g.op("Squeeze", y, g.ints([0]))                                     # (B, H)
    g.output("logits", linear(g, dec.output, h), FLOAT, ["B", dec.output.out_features])
    state_outputs(g, dec.rnn, finals)
    return g.build()


def captioner(model: Captioner) -> dict:
    """{"encoder": ..., "decoder_step": ...} (see the module doc)."""
    return {"encoder": encoder(model), "decoder_step": decoder_step(model)}
