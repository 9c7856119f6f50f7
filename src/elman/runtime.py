"""A NumPy runtime for trained language models: stream one token at a time without torch.

    lm = NumpyLanguageModel.load("runs/default")        # a run or checkpoint folder
    state = lm.initial_state()
    logits, state = lm.step(token_id, state)             # (V,), about one W_R @ h per layer

Reads only config.json, vocab.json and model.safetensors (through safetensors.numpy), never
imports torch, and gives the engine's outputs to float32 rounding. Batch 1, unidirectional.

Per step it does the bare matrix-vector work and nothing else: the first layer's input part
W_F e(x) + b is looked up in a table folded at load time (one row per token), and every
buffer is preallocated, so a step is one ``W_R @ h`` per layer, an add and the activation
(plus the gate arithmetic of LSTM and GRU), and the output layer.
"""

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from .errors import bad


def _sigmoid(z, out=None):
    """1 / (1 + exp(-z)), written into out (default: in place)."""
    out = z if out is None else out
    np.exp(np.negative(z, out=out), out=out)
    out += 1
    return np.reciprocal(out, out=out)


_ACT = {  # f(z) into a fresh array
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: _sigmoid(z, np.empty_like(z)),
    "identity": np.copy,
}


class _Layer:
    """One layer's weights as float32 arrays and its step; the state is h, or (h, c)."""

    def __init__(self, cell: str, activation: str, W_F, W_R, b, b_Rn=None):
        self.cell, self.f = cell, _ACT[activation]
        self.W_F, self.W_R, self.b, self.b_Rn = W_F, W_R, b, b_Rn
        self.H = W_R.shape[1]
        self.z = np.empty(W_R.shape[0], np.float32)

    def step(self, xz: np.ndarray, state):
        """xz = W_F x + b (G*H,), state -> new state (written into fresh arrays)."""
        if self.cell == "elman":
            z = np.dot(self.W_R, state, out=self.z)
            z += xz
            return self.f(z)
        if self.cell == "lstm":
            h, c = state
            z = np.dot(self.W_R, h, out=self.z)
            z += xz
            H = self.H
            _sigmoid(z[:2 * H])
            np.tanh(z[2 * H:3 * H], out=z[2 * H:3 * H])
            _sigmoid(z[3 * H:])
            c = z[H:2 * H] * c + z[:H] * z[2 * H:3 * H]
            return np.tanh(c) * z[3 * H:], c
        H = self.H
        hr = np.dot(self.W_R, state, out=self.z)
        r = _sigmoid(xz[:H] + hr[:H])
        u = _sigmoid(xz[H:2 * H] + hr[H:2 * H])
        n = np.tanh(xz[2 * H:] + r * (hr[2 * H:] + self.b_Rn))
        return n + u * (state - n)

    def zero_state(self):
        h = np.zeros(self.H, np.float32)
        return (h, h.copy()) if self.cell == "lstm" else h


class NumpyLanguageModel:
    """A LanguageModel checkpoint as NumPy arrays; ``step`` streams one token at a time."""

    def __init__(self, config: dict, tensors: dict[str, np.ndarray], tokens: list[str]):
        args = config["arguments"]
        cell, sizes = args.get("cell", "elman"), args["hidden_sizes"]
        sizes = [sizes] if isinstance(sizes, int) else sizes
        acts = args.get("activation", "tanh")
        acts = [acts] * len(sizes) if isinstance(acts, str) else acts
        t = {k: v.astype(np.float32) for k, v in tensors.items()}
        self.layers = [_Layer(cell, a, t[f"rnn.layers.{l}.W_F"], t[f"rnn.layers.{l}.W_R"],
                              t[f"rnn.layers.{l}.b"], t.get(f"rnn.layers.{l}.b_Rn"))
                       for l, a in enumerate(acts)]
        first = self.layers[0]
        self.table = t["embedding.weight"] @ first.W_F.T + first.b   # (V, G*H_1)
        self.W_O, self.b_O = t["output.weight"], t["output.bias"]
        self.tokens = tokens
        self.index = {tok: i for i, tok in enumerate(tokens)}

    @classmethod
    def load(cls, path) -> "NumpyLanguageModel":
        """Load a run folder (its best/ or checkpoint/) or a checkpoint folder."""
        d = _checkpoint_dir(Path(path))
        config = json.loads((d / "config.json").read_text(encoding="utf-8"))
        if config.get("architecture") != "language_model":
            raise bad("checkpoint", "a language_model checkpoint", config.get("architecture"))
        if config["arguments"].get("bidirectional"):
            raise bad("checkpoint", "a unidirectional model for streaming", "bidirectional")
        vocab = json.loads((d / "vocab.json").read_text(encoding="utf-8"))
        return cls(config, load_file(str(d / "model.safetensors")), vocab["tokens"])

    def initial_state(self) -> list:
        return [layer.zero_state() for layer in self.layers]

    def step(self, token: int, state: list):
        """token id, state -> (logits (V,), new state)."""
        new, x = [], None
        for l, layer in enumerate(self.layers):
            xz = self.table[token] if l == 0 else layer.W_F @ x + layer.b
            s = layer.step(xz, state[l])
            new.append(s)
            x = s[0] if isinstance(s, tuple) else s
        return self.W_O @ x + self.b_O, new


def _checkpoint_dir(p: Path) -> Path:
    for d in (p, p / "best", p / "checkpoint"):
        if (d / "model.safetensors").is_file():
            return d
    raise bad("checkpoint", "a folder holding model.safetensors, best/ or checkpoint/",
              repr(str(p)))
