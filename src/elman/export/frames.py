"""The ONNX graph of ``FramesModel``: frames (B, T, C, H, W) float and lengths (B,) int64 ->
y (B, K), or (B, T, K) for a label per frame. Each frame goes through the encoder (Conv,
Relu, MaxPool, ..., Flatten, MatMul + Add, Relu; or Flatten alone), then the RNN stack and
the output layer, as in ``elman.models.frames``."""

from torch import nn

from ..errors import bad
from ..models.frames import FramesModel
from .graph import FLOAT, Graph
from .pieces import lengths_input, linear, swap_batch_time
from .rnn import batch_state, stack


def encoder(g: Graph, layers: nn.Module, x: str) -> str:
    """Frames (N, C, H, W) -> features (N, F), layer by layer."""
    modules = list(layers) if isinstance(layers, nn.Sequential) else [layers]
    for i, m in enumerate(modules):
        if isinstance(m, nn.Conv2d):
            x = g.op("Conv", x, g.weight(m.weight, f"conv{i}_W"), g.weight(m.bias, f"conv{i}_b"),
                     kernel_shape=list(m.kernel_size), pads=[*m.padding, *m.padding])
        elif isinstance(m, nn.MaxPool2d):
            x = g.op("MaxPool", x, kernel_shape=[m.kernel_size] * 2, strides=[m.stride] * 2)
        elif isinstance(m, nn.ReLU):
            x = g.op("Relu", x)
        elif isinstance(m, nn.Flatten):
            x = g.op("Flatten", x, axis=1)
        elif isinstance(m, nn.Linear):
            x = linear(g, m, x, f"frame{i}")
        else:
            raise bad("export", "a frame encoder of Conv2d, MaxPool2d, ReLU, Flatten and Linear",
                      type(m).__name__)
    return x


def frames(model: FramesModel) -> dict:
    """{"model": frames (B, T, C, H, W), lengths (B,) -> y (B, K) or (B, T, K)}."""
    head, (C, H, W) = model.head, model.frame_shape
    g = Graph("frames", "FramesModel: a frame encoder, then the RNN")
    x = g.input("frames", FLOAT, ["B", "T", C, H, W])
    e = encoder(g, model.encoder, g.op("Reshape", x, g.ints([-1, C, H, W])))   # (B*T, F)
    bt = g.op("Shape", x, end=2)                                                  # [B, T]
    e = g.op("Reshape", e, g.op("Concat", bt, g.ints([-1]), axis=0))            # (B, T, F)
    y, finals = stack(g, head.rnn, swap_batch_time(g, e), lengths_input(g))
    K = head.output.out_features
    if model.sequence_output:
        g.output("y", linear(g, head.output, swap_batch_time(g, y)), FLOAT, ["B", "T", K])
    else:
        last = batch_state(g, finals[-1].h, head.rnn.num_directions)
        g.output("y", linear(g, head.output, last), FLOAT, ["B", K])
    return {"model": g.build()}
