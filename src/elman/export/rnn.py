"""elman.RNN as ONNX: one native ``RNN``, ``LSTM`` or ``GRU`` node per layer, both directions
in the node, chained time-major.

Weights (elman's layout: ``elman.nn.cells``; ONNX's: W [D, G*H, I], R [D, G*H, H],
B [D, 2*G*H] = [Wb; Rb], gates in ONNX's order):

=====  ===============  ==============  ==========================================
cell   elman gates      ONNX gates      biases (Wb; Rb)
=====  ===============  ==============  ==========================================
elman  -                -               b; 0
lstm   i, f, g, o       i, o, f, c      b (reordered); 0
gru    r, z, n          z, r, h         b (reordered); [0, 0, b_Rn], linear_before_reset=1
=====  ===============  ==============  ==========================================

elman's GRU applies the reset gate to the recurrent product plus b_Rn, r * (W_Rn h + b_Rn),
which is ONNX's ``linear_before_reset=1``. An Elman layer's activation f is the node's
``activations`` (tanh -> Tanh, relu -> Relu, sigmoid -> Sigmoid, identity -> Affine(1, 0)).
Dropout is left out (inference). ``sequence_lens`` gives ONNX what elman's ``lengths`` do:
padded steps output 0 and keep the state, and the reverse direction reads each sequence from
its last real step.

States are ONNX's: layer l's h (and an LSTM's c) is (D, B, H_l); elman's (B, D*H_l) is its
transpose, directions side by side.
"""

from typing import NamedTuple

import numpy as np

from ..errors import bad
from ..nn import RNN
from ..nn.cells import Cell
from .graph import FLOAT, Graph, Shape, as_array
from .pieces import lengths_input, swap_batch_time

OPS = {"elman": "RNN", "lstm": "LSTM", "gru": "GRU"}
ACTIVATIONS = {"tanh": "Tanh", "relu": "Relu", "sigmoid": "Sigmoid", "identity": "Affine"}
ORDER = {"elman": [0], "lstm": [0, 3, 1, 2], "gru": [1, 0, 2]}   # ONNX gate k = elman gate


class State(NamedTuple):
    """One layer's state as graph values: h (D, B, H_l) and, for the LSTM, c (else "")."""

    h: str
    c: str = ""


def gates(cell: Cell, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One direction's (W (G*H, I), R (G*H, H), B (2*G*H,)) in ONNX's gate order."""
    H, order = cell.hidden_size, ORDER[kind]
    pick = np.concatenate([np.arange(k * H, (k + 1) * H) for k in order])
    W, R, b = as_array(cell.W_F)[pick], as_array(cell.W_R)[pick], as_array(cell.b)[pick]
    recurrent = np.zeros_like(b)
    if kind == "gru":
        recurrent[2 * H:] = as_array(cell.b_Rn)
    return W, R, np.concatenate([b, recurrent])


def activation(rnn: RNN, l: int) -> dict:
    """The node attributes of layer l's activation (Elman cells; gated cells use ONNX's
    defaults, which are theirs)."""
    if rnn.cell != "elman":
        return {}
    name = rnn.activations[l]
    if name not in ACTIVATIONS:
        raise bad("activation", f"one ONNX can express ({', '.join(ACTIVATIONS)})", repr(name))
    attrs = {"activations": [ACTIVATIONS[name]] * rnn.num_directions}
    if name == "identity":
        attrs |= {"activation_alpha": [1.0] * rnn.num_directions,
                  "activation_beta": [0.0] * rnn.num_directions}
    return attrs


def layer(g: Graph, rnn: RNN, l: int, x: str, lengths: str, state: State | None):
    """Layer l over time-major x (T, B, I_l): (Y (T, D, B, H_l), final State)."""
    cells = rnn.directions(l)
    W, R, B = (np.stack(parts) for parts in zip(*(gates(c, rnn.cell) for c in cells)))
    inputs = [x, g.weight(W, f"W_{l}"), g.weight(R, f"R_{l}"), g.weight(B, f"B_{l}"), lengths,
              state.h if state else ""]
    if rnn.cell == "lstm":
        inputs.append(state.c if state else "")
    attrs = activation(rnn, l)
    if rnn.cell == "gru":
        attrs["linear_before_reset"] = 1
    outs = g.op(OPS[rnn.cell], *inputs, outputs=3 if rnn.cell == "lstm" else 2,
                hint=f"layer{l}", hidden_size=rnn.hidden_sizes[l],
                direction="bidirectional" if rnn.bidirectional else "forward", **attrs)
    return outs[0], State(*outs[1:])


def merge_directions(g: Graph, y: str, directions: int) -> str:
    """Y (T, D, B, H) -> (T, B, D*H): the directions side by side, as elman's outputs."""
    if directions == 1:
        return g.op("Squeeze", y, g.ints([1]))
    return g.op("Reshape", g.op("Transpose", y, perm=[0, 2, 1, 3]), g.ints([0, 0, -1]))


def stack(g: Graph, rnn: RNN, x: str, lengths: str = "",
          states: list[State] | None = None) -> tuple[str, list[State]]:
    """Time-major x (T, B, I), lengths (B,) int32 or "" (all T), initial states (one State
    per layer) or None (zeros) -> (top outputs (T, B, D*H_L), final States)."""
    finals = []
    for l in range(len(rnn.layers)):
        y, final = layer(g, rnn, l, x, lengths, states[l] if states else None)
        x = merge_directions(g, y, rnn.num_directions)
        finals.append(final)
    return x, finals


def state_shapes(rnn: RNN, l: int) -> Shape:
    return [rnn.num_directions, "B", rnn.hidden_sizes[l]]


def state_inputs(g: Graph, rnn: RNN) -> list[State]:
    """Graph inputs ``h0_{l}`` (and ``c0_{l}``), (D, B, H_l) each, per layer."""
    lstm = rnn.cell == "lstm"
    return [State(g.input(f"h0_{l}", FLOAT, state_shapes(rnn, l)),
                  g.input(f"c0_{l}", FLOAT, state_shapes(rnn, l)) if lstm else "")
            for l in range(len(rnn.layers))]


def state_outputs(g: Graph, rnn: RNN, finals: list[State]):
    """Graph outputs ``h_{l}`` (and ``c_{l}``), (D, B, H_l) each, per layer."""
    for l, s in enumerate(finals):
        g.output(f"h_{l}", s.h, FLOAT, state_shapes(rnn, l))
        if s.c:
            g.output(f"c_{l}", s.c, FLOAT, state_shapes(rnn, l))


def rnn_graph(rnn: RNN, name: str = "rnn"):
    """elman.RNN alone: x (B, T, I), lengths (B,) int64, h0_l (c0_l) -> y (B, T, D*H_L),
    h_l (c_l); states (D, B, H_l)."""
    g = Graph(name, "elman.RNN: batch-first x and y; states (D, B, H_l) per layer")
    x = swap_batch_time(g, g.input("x", FLOAT, ["B", "T", rnn.input_size]))
    y, finals = stack(g, rnn, x, lengths_input(g), state_inputs(g, rnn))
    g.output("y", swap_batch_time(g, y), FLOAT, ["B", "T", rnn.output_size])
    state_outputs(g, rnn, finals)
    return g.build()


def batch_state(g: Graph, h: str, directions: int) -> str:
    """A final h (D, B, H) -> (B, D*H), elman's layout (a many-to-one's "last" pick: the
    forward direction at each sequence's last real step, the reverse at its first)."""
    if directions == 1:
        return g.op("Squeeze", h, g.ints([0]))
    return g.op("Reshape", g.op("Transpose", h, perm=[1, 0, 2]), g.ints([0, -1]))
