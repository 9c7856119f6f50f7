"""The export folder that ``elman export RUN --format onnx|numpy --out DIR`` writes, in one
swap (``elman.io.atomic``):

=================  ======================================================================
export.json        {"format", "task", "architecture", "options" (the task's settings),
                   "usage" (what the caller does around the model, one line each), and
                   for onnx "graphs": {name: {"file", "inputs", "outputs"}} with every
                   input's and output's type and shape (named dimensions: B, T, ...)}
NAME.onnx          onnx: one file per graph (opset ``elman.export.graph.OPSET``)
config.json        numpy: {"architecture", "arguments"}, as a checkpoint's
model.safetensors  numpy: the weights as float32 (what ``elman.runtime`` reads)
vocab.json         the input vocabulary (``Vocab.to_dict``), when the model reads tokens
task.json          what else the task reads and writes (labels, scaler, target
                   vocabulary, ...), as its checkpoint keeps it
=================  ======================================================================

This module imports neither onnx nor onnxruntime: the graphs come built.
"""

import json
from pathlib import Path

import safetensors.torch
from torch import nn

from ..errors import bad
from ..io.atomic import FolderWriter, write_bytes, write_text
from ..models import architecture_of
from ..runtime import ARCHITECTURES

TYPES = {1: "float32", 6: "int32", 7: "int64", 9: "bool", 10: "float16"}
RUNS = {"language_model": "step(token, state) -> (logits (V,), state), from "
        "initial_state()",
        "many_to_one": "model(x) -> y (K,), x the ids (T,) or features (T, I) of one sequence",
        "many_to_many": "model(x) -> y (T, K), x the ids (T,) or features (T, I) of one "
        "sequence"}


def signature(values) -> dict:
    """{name: {"type", "shape"}} of graph inputs or outputs (ValueInfoProto)."""
    out = {}
    for v in values:
        t = v.type.tensor_type
        out[v.name] = {"type": TYPES.get(t.elem_type, str(t.elem_type)),
                       "shape": [d.dim_param or d.dim_value for d in t.shape.dim]}
    return out


def write(out, manifest: dict, files: dict, blobs: dict[str, bytes]) -> Path:
    """DIR with export.json (``manifest``), the JSON ``files`` ({name: value}, None: not
    written) and the binary ``blobs`` ({name: bytes})."""
    with FolderWriter(out) as tmp:
        write_text(tmp / "export.json", json.dumps(manifest, indent=2, ensure_ascii=False)
                   + "\n")
        for name, value in files.items():
            if value is not None:
                write_text(tmp / name, json.dumps(value, ensure_ascii=False) + "\n")
        for name, data in blobs.items():
            write_bytes(tmp / name, data)
    return Path(out)


def write_onnx(out, graphs: dict, manifest: dict, files: dict) -> Path:
    """The onnx folder: ``graphs`` {name: onnx.ModelProto} as NAME.onnx."""
    described = {name: {"file": f"{name}.onnx", "inputs": signature(m.graph.input),
                        "outputs": signature(m.graph.output)} for name, m in graphs.items()}
    return write(out, {"format": "onnx", **manifest, "graphs": described}, files,
                 {f"{name}.onnx": m.SerializeToString() for name, m in graphs.items()})


def write_numpy(out, model: nn.Module, manifest: dict, files: dict) -> Path:
    """The numpy folder: what ``elman.runtime`` loads (a model it runs, else an error)."""
    architecture = architecture_of(model)
    if architecture not in ARCHITECTURES or model.config.get("vectors"):
        raise bad("export", f"a model the NumPy runtime runs ({', '.join(ARCHITECTURES)}; "
                  "no piece vectors) for --format numpy (--format onnx exports every model)",
                  architecture + (" with vectors" if model.config.get("vectors") else ""))
    tensors = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    config = {"architecture": architecture, "arguments": model.config}
    usage = [f"elman.runtime.load(DIR) (NumPy alone, batch 1) runs the model: "
             f"{RUNS[architecture]}", *manifest["usage"]]
    return write(out, {"format": "numpy", **manifest, "usage": usage},
                 {"config.json": config, **files},
                 {"model.safetensors": safetensors.torch.save(tensors)})
