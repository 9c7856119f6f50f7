"""elman export: the ONNX graphs built from elman's weights against the PyTorch model they
came from (onnxruntime, to 1e-5) at T = 1, the training length and 4x it, at batch 1 and in a
batch of mixed lengths, for every cell; the errors."""

import numpy as np
import pytest
import torch

from elman import ElmanError
from elman.nn import RNN

ort = pytest.importorskip("onnxruntime")
from elman.export.rnn import rnn_graph  # noqa: E402  (needs onnx, skipped above)

TOL = 1e-5
TRAIN_T = 5                    # the training length of the models built here
CELLS = ("elman", "lstm", "gru")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """torch on one thread: its oneDNN LSTM on a shared machine takes seconds otherwise."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- running graphs ----------------------------------------------------------------------


def session(graph):
    """An onnxruntime session of a ModelProto or an .onnx file, one thread."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    source = graph if isinstance(graph, str) else graph.SerializeToString()
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def run(s, feeds: dict) -> dict:
    """{output name: array} of a session on ``feeds`` (tensors or arrays)."""
    feeds = {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in feeds.items()}
    return dict(zip([o.name for o in s.get_outputs()], s.run(None, feeds)))


def close(got, want):
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else want
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL)


def cases(T_train: int):
    """(T, lengths) at T = 1, T_train and 4 T_train: batch 1, and a batch of mixed lengths."""
    for T in (1, T_train, 4 * T_train):
        yield T, torch.tensor([T])
        yield T, torch.tensor([T, max(1, T // 2), 1, max(1, T - 1)])


def random_states(rnn: RNN, B: int) -> tuple[list, dict]:
    """(elman's states, the graph's h0_l (c0_l) feeds) of random initial states."""
    D, states, feeds = rnn.num_directions, [], {}
    for l, H in enumerate(rnn.hidden_sizes):
        parts = [torch.randn(D, B, H) for _ in range(2 if rnn.cell == "lstm" else 1)]
        for name, p in zip("hc", parts):
            feeds[f"{name}0_{l}"] = p
        joined = [p.transpose(0, 1).reshape(B, D * H) for p in parts]
        states.append(tuple(joined) if rnn.cell == "lstm" else joined[0])
    return states, feeds


def close_states(got: dict, finals: list, rnn: RNN) -> dict:
    """Check the graph's h_l (c_l) against elman's finals; the feeds of the next call."""
    D, feeds = rnn.num_directions, {}
    for l, final in enumerate(finals):
        for name, s in zip("hc", final if isinstance(final, tuple) else (final,)):
            value = got[f"{name}_{l}"]
            close(value, s.reshape(s.shape[0], D, -1).transpose(0, 1))
            feeds[f"{name}0_{l}"] = value
    return feeds


@torch.no_grad()
def check_rnn(rnn: RNN, graph, T_train: int = TRAIN_T):
    s = session(graph)
    for T, lengths in cases(T_train):
        states, feeds = random_states(rnn, len(lengths))
        x = torch.randn(len(lengths), T, rnn.input_size)
        want, finals = rnn(x, lengths, states)
        got = run(s, {"x": x, "lengths": lengths, **feeds})
        close(got["y"], want)
        close_states(got, finals, rnn)


# --- the stack, every cell ----------------------------------------------------------------


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_the_stack_is_one_native_node_per_layer_matching_the_engine(cell, bidirectional):
    torch.manual_seed(0)
    activation = ["relu", "identity", "sigmoid"] if cell == "elman" else "tanh"
    rnn = RNN(3, [6, 4, 5], cell, activation, bidirectional).eval()
    graph = rnn_graph(rnn)
    ops = [n.op_type for n in graph.graph.node if n.op_type in ("RNN", "LSTM", "GRU")]
    assert ops == [{"elman": "RNN", "lstm": "LSTM", "gru": "GRU"}[cell]] * 3
    check_rnn(rnn, graph)


def test_an_activation_onnx_cannot_express_is_one_line():
    rnn = RNN(2, 3)
    rnn.activations = ["softsign"]
    with pytest.raises(ElmanError, match=r"^activation: expected one ONNX can express "
                       r"\(tanh, relu, sigmoid, identity\), got 'softsign'$"):
        rnn_graph(rnn)
