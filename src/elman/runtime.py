"""A NumPy runtime for trained models: stream a language model one token at a time, or run a
many-to-one or many-to-many model over one sequence, without torch.

    lm = NumpyLanguageModel.load("runs/default")        # a run, checkpoint or export folder
    state = lm.initial_state()
    logits, state = lm.step(token_id, state)             # (V,), about one W_R @ h per layer

    model = load("runs/digits/export-numpy")             # the class its architecture needs
    y = model(frames)                                    # x (T, I) or ids (T,) -> (K,) or (T, K)

Reads only config.json, vocab.json and model.safetensors (through safetensors.numpy), never
imports torch, and gives the engine's outputs to float32 rounding. Batch 1; a language model
unidirectional (``ARCHITECTURES``: what it runs). ``elman export RUN --format numpy`` writes
such a folder.

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

ARCHITECTURES = ("language_model", "many_to_one", "many_to_many")

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


def _layers(args: dict, t: dict[str, np.ndarray], prefix: str = "rnn.layers") -> list[_Layer]:
    """The layers of one direction of a model's RNN (``prefix``: its parameters' names)."""
    cell, sizes = args.get("cell", "elman"), args["hidden_sizes"]
    sizes = [sizes] if isinstance(sizes, int) else sizes
    acts = args.get("activation", "tanh")
    acts = [acts] * len(sizes) if isinstance(acts, str) else acts
    return [_Layer(cell, a, t[f"{prefix}.{l}.W_F"], t[f"{prefix}.{l}.W_R"], t[f"{prefix}.{l}.b"],
                   t.get(f"{prefix}.{l}.b_Rn")) for l, a in enumerate(acts)]


def _float32(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.astype(np.float32) for k, v in tensors.items()}


class NumpyLanguageModel:
    """A LanguageModel checkpoint as NumPy arrays; ``step`` streams one token at a time."""

    def __init__(self, config: dict, tensors: dict[str, np.ndarray], tokens: list[str]):
        t = _float32(tensors)
        self.layers = _layers(config["arguments"], t)
        first = self.layers[0]
        self.table = t["embedding.weight"] @ first.W_F.T + first.b   # (V, G*H_1)
        self.W_O, self.b_O = t["output.weight"], t["output.bias"]
        self.tokens = tokens
        self.index = {tok: i for i, tok in enumerate(tokens)}

    @classmethod
    def load(cls, path) -> "NumpyLanguageModel":
        """Load a run folder (its best/ or checkpoint/) or a checkpoint folder."""
        d = _checkpoint_dir(Path(path))
        config = _json(d / "config.json")
        if config.get("architecture") != "language_model":
            raise bad("checkpoint", "a language_model checkpoint", config.get("architecture"))
        if config["arguments"].get("bidirectional"):
            raise bad("checkpoint", "a unidirectional model for streaming", "bidirectional")
        vocab = _json(d / "vocab.json")
        return cls(config, _tensors(d / "model.safetensors"), vocab["tokens"])

    def initial_state(self) -> list:
        return [layer.zero_state() for layer in self.layers]

    def step(self, token: int, state: list):
        """token id, state -> (logits (V,), new state)."""
        if isinstance(token, bool) or not isinstance(token, (int, np.integer)) or \
                not 0 <= token < len(self.table):
            raise bad("token", f"a token id in 0..{len(self.table) - 1}", repr(token))
        new, x = [], None
        for l, layer in enumerate(self.layers):
            xz = self.table[token] if l == 0 else layer.W_F @ x + layer.b
            s = layer.step(xz, state[l])
            new.append(s)
            x = s[0] if isinstance(s, tuple) else s
        return self.W_O @ x + self.b_O, new


def _scan(layer: _Layer, x: np.ndarray) -> np.ndarray:
    """One direction of one layer over a sequence: x (T, I) -> outputs (T, H)."""
    xz = x @ layer.W_F.T + layer.b                                    # (T, G*H)
    state, out = layer.zero_state(), []
    for t in range(len(xz)):
        state = layer.step(xz[t], state)
        out.append(state[0] if isinstance(state, tuple) else state)
    return np.stack(out)


class NumpySequenceModel:
    """A ManyToOne or ManyToMany checkpoint as NumPy arrays: one whole sequence in, its
    output out (``__call__``); a bidirectional layer also reads it backwards."""

    def __init__(self, config: dict, tensors: dict[str, np.ndarray]):
        args, t = config["arguments"], _float32(tensors)
        if args.get("vectors"):
            raise bad("checkpoint", "a model without pretrained piece vectors for the NumPy "
                      "runtime", "vectors")
        self.forward_layers = _layers(args, t)
        self.reverse_layers = _layers(args, t, "rnn.layers_reverse") \
            if args.get("bidirectional") else None
        self.embedding = t.get("embedding.weight")                  # (V, I) or None
        self.W_O, self.b_O = t["output.weight"], t["output.bias"]
        self.pooling = args.get("pooling", "last") \
            if config["architecture"] == "many_to_one" else None

    def inputs(self, x) -> np.ndarray:
        """Token ids (T,) (a model with an embedding) or features (T, I) -> (T, I)."""
        x = np.asarray(x)
        if self.embedding is not None:
            V = len(self.embedding)
            expected = f"a non-empty 1-D array of token ids in 0..{V - 1}"
            if x.ndim != 1 or not len(x) or not np.issubdtype(x.dtype, np.integer):
                raise bad("x", expected, f"shape {x.shape} {x.dtype}")
            if x.min() < 0 or x.max() >= V:
                raise bad("x", expected, f"ids in {x.min()}..{x.max()}")
            return self.embedding[x]
        I = self.forward_layers[0].W_F.shape[1]
        if x.ndim != 2 or not len(x) or x.shape[1] != I:
            raise bad("x", f"a (T, {I}) array of features, T >= 1", f"shape {x.shape}")
        return x.astype(np.float32)

    def __call__(self, x) -> np.ndarray:
        """x: ids (T,) or features (T, I) -> y (K,) (many-to-one) or (T, K) (many-to-many)."""
        x = self.inputs(x)
        for l, layer in enumerate(self.forward_layers):
            out = _scan(layer, x)                                     # (T, H)
            last = out[-1]
            if self.reverse_layers is not None:
                back = _scan(self.reverse_layers[l], x[::-1])[::-1]   # (T, H), in time order
                out, last = np.concatenate([out, back], axis=1), np.concatenate([last, back[0]])
            x = out
        if self.pooling is None:
            return x @ self.W_O.T + self.b_O
        pooled = {"last": last, "max": x.max(axis=0), "mean": x.mean(axis=0)}[self.pooling]
        return self.W_O @ pooled + self.b_O


def load(path) -> NumpyLanguageModel | NumpySequenceModel:
    """A run, checkpoint or ``elman export --format numpy`` folder as the NumPy model of its
    architecture (one of ``ARCHITECTURES``)."""
    d = _checkpoint_dir(Path(path))
    config = _json(d / "config.json")
    architecture = config.get("architecture")
    if architecture == "language_model":
        return NumpyLanguageModel.load(d)
    if architecture not in ARCHITECTURES:
        raise bad("checkpoint", f"a model of one of {list(ARCHITECTURES)}", architecture)
    return NumpySequenceModel(config, _tensors(d / "model.safetensors"))


def _json(path: Path) -> dict:
    """A JSON object of a checkpoint folder (config.json, vocab.json), or a checkpoint error."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise bad("checkpoint", f"a readable JSON file {str(path)!r}",
                  f"{type(e).__name__}: {e}") from None
    if not isinstance(value, dict):
        raise bad("checkpoint", f"a JSON object in {str(path)!r}", type(value).__name__)
    return value


def _tensors(path: Path) -> dict[str, np.ndarray]:
    """The weights of model.safetensors, all finite, or a checkpoint error naming the file."""
    try:
        tensors = load_file(str(path))
    except Exception as e:    # safetensors raises its own error types for corrupt files
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise bad("checkpoint", f"a valid safetensors file at {str(path)!r}",
                  f"a corrupt file ({first})") from None
    for name, t in tensors.items():
        if np.issubdtype(t.dtype, np.floating) and not np.isfinite(t).all():
            raise bad("checkpoint", f"finite weights in {str(path)!r}",
                      f"NaN or infinite values in {name}")
    return tensors


def _checkpoint_dir(p: Path) -> Path:
    for d in (p, p / "best", p / "checkpoint"):
        if (d / "model.safetensors").is_file():
            return d
    raise bad("checkpoint", "a folder holding model.safetensors, best/ or checkpoint/",
              repr(str(p)))
