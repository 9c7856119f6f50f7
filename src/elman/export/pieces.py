"""The small graph pieces the models put around the RNN stack: lengths, the embedding, the
output layer, moving between batch-first and time-major, and pooling over the real steps.

Every function takes the Graph and value names and returns the name of what it adds; shapes
are those of the values (B batch, T time, named dimensions in the graph).
"""

import numpy as np
from torch import nn

from .graph import FLOAT, INT32, INT64, Graph, as_array


def swap_batch_time(g: Graph, x: str) -> str:
    """(B, T, F) <-> (T, B, F)."""
    return g.op("Transpose", x, perm=[1, 0, 2])


def lengths_input(g: Graph, name: str = "lengths") -> str:
    """The graph input ``name`` (B,) int64 (real steps per sequence, 1..T), cast to the int32
    that ``sequence_lens`` takes."""
    return g.op("Cast", g.input(name, INT64, ["B"]), to=INT32)


def embed(g: Graph, embedding: nn.Embedding, ids: str, hint: str = "embedding") -> str:
    """ids (...) int64 -> rows of the embedding table (..., E)."""
    return g.op("Gather", g.weight(embedding.weight, hint), ids, axis=0)


def linear(g: Graph, layer: nn.Linear, x: str, hint: str = "output") -> str:
    """x (..., I) -> x W^T + b (..., O)."""
    y = g.op("MatMul", x, g.weight(as_array(layer.weight).T, f"{hint}_W"))
    return y if layer.bias is None else g.op("Add", y, g.weight(layer.bias, f"{hint}_b"))


def steps(g: Graph, x: str, axis: int = 1) -> str:
    """0..T-1 (T,) int64, T the size of x's ``axis``."""
    T = g.op("Squeeze", g.op("Shape", x, start=axis, end=axis + 1), g.ints([0]))
    return g.op("Range", g.scalar(0, "zero", np.int64), T, g.scalar(1, "one", np.int64))


def real_steps(g: Graph, x: str, lengths: str) -> str:
    """(B, T) bool, True where t < lengths[b]; x (B, T, ...), lengths (B,) int64."""
    return g.op("Less", g.op("Unsqueeze", steps(g, x), g.ints([0])),
                g.op("Unsqueeze", lengths, g.ints([1])))


def pool(g: Graph, kind: str, y: str, lengths: str) -> str:
    """Top outputs y (B, T, F) (0 at padded steps), lengths (B,) int64 -> (B, F): their max
    or mean over each sequence's real steps."""
    if kind == "max":
        real = g.op("Unsqueeze", real_steps(g, y, lengths), g.ints([2]))
        low = g.scalar(float("-inf"), "minus_inf")
        return g.op("ReduceMax", g.op("Where", real, y, low), axes=[1], keepdims=0)
    total = g.op("ReduceSum", y, g.ints([1]), keepdims=0)
    return g.op("Div", total, g.op("Unsqueeze", g.op("Cast", lengths, to=FLOAT), g.ints([1])))


def sequence_input(g: Graph, model, width: int, ids: str = "ids", features: str = "x") -> str:
    """The graph input of a model's sequences, time-major (T, B, I): token ids (B, T) named
    ``ids`` embedded when the model has an embedding, else features (B, T, width) named
    ``features``."""
    table = model.embedding
    if isinstance(table, nn.Embedding):
        return embed(g, table, g.op("Transpose", g.input(ids, INT64, ["B", "T"]), perm=[1, 0]))
    return swap_batch_time(g, g.input(features, FLOAT, ["B", "T", width]))
