"""A small ONNX graph builder over ``onnx.helper``: fresh names, weights as initializers,
one call per node, and the model checked on the way out.

    g = Graph("classify")
    ids = g.input("ids", INT64, ["B", "T"])
    e = g.op("Gather", g.weight(embedding, "embedding"), ids)       # (B, T, E)
    g.output("logits", e, FLOAT, ["B", "T", "E"])
    model = g.build()                                                # an onnx.ModelProto

Every dimension that depends on the data (batch, time) is a named dimension ("B", "T"), never
a number, so a graph runs at any batch size and length. This is the only module that
imports onnx (through ``elman.extras``: a missing package is the one-line error naming the
``export`` extra).
"""

import numpy as np

from ..extras import require

onnx = require("onnx")
helper, numpy_helper = onnx.helper, onnx.numpy_helper

OPSET = 17
FLOAT, INT64, INT32 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64, onnx.TensorProto.INT32
Shape = list[str | int]


def as_array(tensor, dtype=np.float32) -> np.ndarray:
    """A torch tensor (or array-like) as a NumPy array of ``dtype``."""
    if hasattr(tensor, "detach"):
        tensor = tensor.detach().cpu().float().numpy()
    return np.ascontiguousarray(np.asarray(tensor, dtype=dtype))


class Graph:
    """Nodes, initializers, inputs and outputs of one ONNX graph under construction."""

    def __init__(self, name: str, doc: str = ""):
        self.name, self.doc = name, doc
        self.nodes, self.weights, self.inputs, self.outputs = [], [], [], []
        self.used: set[str] = set()

    def fresh(self, hint: str) -> str:
        """A name not used yet, from ``hint``."""
        name, k = hint, 1
        while name in self.used:
            name, k = f"{hint}_{k}", k + 1
        self.used.add(name)
        return name

    def weight(self, tensor, hint: str, dtype=np.float32) -> str:
        """An initializer holding ``tensor`` (torch or NumPy) as ``dtype``; its name."""
        name = self.fresh(hint)
        self.weights.append(numpy_helper.from_array(as_array(tensor, dtype), name))
        return name

    def ints(self, values, hint: str = "const") -> str:
        """A 1-D int64 constant (shapes, axes, indices)."""
        return self.weight(np.asarray(values, np.int64).reshape(-1), hint, np.int64)

    def scalar(self, value: float, hint: str = "const", dtype=np.float32) -> str:
        return self.weight(np.asarray(value, dtype), hint, dtype)

    def op(self, op_type: str, *inputs: str, outputs: int = 1, hint: str | None = None,
           **attributes):
        """Add one node; its output name, or a list of ``outputs`` names. An input "" is an
        omitted optional input."""
        names = [self.fresh(f"{hint or op_type.lower()}") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names,
                                           name=self.fresh(f"node_{names[0]}"), **attributes))
        return names[0] if outputs == 1 else names

    def input(self, name: str, dtype, shape: Shape) -> str:
        """A graph input of ``shape`` (named dimensions for batch and time)."""
        self.used.add(name)
        self.inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def output(self, name: str, value: str, dtype, shape: Shape):
        """Expose ``value`` as the graph output ``name``."""
        self.used.add(name)
        self.nodes.append(helper.make_node("Identity", [value], [name],
                                           name=self.fresh(f"node_{name}")))
        self.outputs.append(helper.make_tensor_value_info(name, dtype, shape))

    def build(self):
        """The checked onnx.ModelProto."""
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs,
                                  self.weights, doc_string=self.doc)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="elman")
        onnx.checker.check_model(model)
        return model
