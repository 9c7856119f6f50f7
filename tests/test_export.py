"""elman export: the ONNX graphs built from elman's weights against the PyTorch model they
came from (onnxruntime, to 1e-5) at T = 1, the training length and 4x it, at batch 1 and in a
batch of mixed lengths, for every cell and architecture; no dimension is frozen; the
errors."""

import numpy as np
import pytest
import torch

from elman import ElmanError
from elman.models import (
    EncoderDecoder,
    LanguageModel,
    ManyToMany,
    ManyToOne,
    Tagger,
    architecture_of,
)
from elman.nn import RNN

ort = pytest.importorskip("onnxruntime")
from elman.export import models as graphs_of  # noqa: E402  (needs onnx, skipped above)
from elman.export import seq2seq  # noqa: E402
from elman.export.rnn import rnn_graph  # noqa: E402

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


def sequences(model, B: int, T: int, width: int) -> torch.Tensor:
    """Random inputs of a model: ids of its embedding, or features (B, T, width)."""
    table = getattr(model, "embedding", None)
    if isinstance(table, torch.nn.Embedding):
        return torch.randint(0, table.num_embeddings, (B, T))
    return torch.randn(B, T, width)


def feed_name(model) -> str:
    return "ids" if isinstance(getattr(model, "embedding", None), torch.nn.Embedding) else "x"


# --- each architecture against its graphs -----------------------------------------------


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


@torch.no_grad()
def check_language_model(model: LanguageModel, graphs: dict, T_train: int):
    s, step = session(graphs["model"]), session(graphs["step"])
    for T, lengths in cases(T_train):
        states, feeds = random_states(model.rnn, len(lengths))
        tokens = sequences(model, len(lengths), T, 0)
        want, finals = model(tokens, lengths, states)
        got = run(s, {"tokens": tokens, "lengths": lengths, **feeds})
        close(got["logits"], want)
        close_states(got, finals, model.rnn)
    tokens = sequences(model, 2, 2 * T_train, 0)                     # stream token by token
    want, finals = model(tokens)
    _, feeds = random_states(model.rnn, 2)
    feeds = {k: torch.zeros_like(v) for k, v in feeds.items()}
    for t in range(tokens.shape[1]):
        got = run(step, {"token": tokens[:, t], **feeds})
        close(got["logits"], want[:, t])
        feeds = {k.replace("_", "0_", 1): v for k, v in got.items() if k != "logits"}
    close_states(got, finals, model.rnn)


@torch.no_grad()
def check_many_to_one(model: ManyToOne, graphs: dict, T_train: int):
    s = session(graphs["model"])
    for T, lengths in cases(T_train):
        B = len(lengths)
        x = sequences(model, B, T, model.config["input_size"])
        feeds, extra = {feed_name(model): x, "lengths": lengths}, {}
        if hasattr(model, "piece_vectors"):
            N, P = model.piece_vectors.shape[0], 3
            extra = {"pieces": torch.randint(0, N, (B, T, P)),
                     "piece_counts": torch.randint(0, P + 1, (B, T))}
        want = model(x, lengths, **extra)
        close(run(s, feeds | extra)["y"], want)


@torch.no_grad()
def check_many_to_many(model: ManyToMany, graphs: dict, T_train: int):
    s = session(graphs["model"])
    streams = "h0_0" in [i.name for i in s.get_inputs()]
    for T, lengths in cases(T_train):
        x = sequences(model, len(lengths), T, model.config["input_size"])
        states, feeds = random_states(model.rnn, len(lengths)) if streams else (None, {})
        h, finals = model.rnn(model.embed(x), lengths, states)
        got = run(s, {feed_name(model): x, "lengths": lengths, **feeds})
        close(got["y"], model.output(h))
        if streams:
            close_states(got, finals, model.rnn)


@torch.no_grad()
def check_tagger(model: Tagger, graphs: dict, T_train: int):
    s = session(graphs["model"])
    for T, lengths in cases(T_train):
        B = len(lengths)
        ids = sequences(model, B, T, 0)
        feeds = {"ids": ids, "lengths": lengths}
        if hasattr(model, "char_rnn"):
            C = 4
            feeds |= {"chars": torch.randint(0, model.char_embedding.num_embeddings, (B, T, C)),
                      "char_lengths": torch.randint(1, C + 1, (B, T))}
        want = model(ids, lengths, feeds.get("chars"), feeds.get("char_lengths"))
        close(run(s, feeds)["logits"], want)


@torch.no_grad()
def check_encoder_decoder(model: EncoderDecoder, graphs: dict, T_train: int):
    encoder, step = session(graphs["encoder"]), session(graphs["decoder_step"])
    V = model.decoder.output.out_features
    for S, lengths in cases(T_train):
        B = len(lengths)
        src = sequences(model, B, S, model.encoder.input_size)
        context = model.start(src, lengths)
        got = run(encoder, {"src": src, "src_lengths": lengths})
        feeds = close_states(got, context.state, model.decoder.rnn)
        memory = {}
        if context.memory is not None:
            close(got["memory"], context.memory)
            memory = {"memory": got["memory"], "src_lengths": lengths}
        token = torch.randint(0, V, (B,))
        for _ in range(3):                                     # three steps of greedy decoding
            logits, context, weights = model.step(token, context)
            got = run(step, {"token": token, **feeds, **memory})
            close(got["logits"], logits)
            if weights is not None:
                close(got["weights"], weights)
            feeds = close_states(got, context.state, model.decoder.rnn)
            token = logits.argmax(-1)


CHECKS = {"language_model": check_language_model, "many_to_one": check_many_to_one,
          "many_to_many": check_many_to_many, "tagger": check_tagger,
          "encoder_decoder": check_encoder_decoder}


def check(model, graphs: dict, T_train: int = TRAIN_T):
    model.eval()
    CHECKS[architecture_of(model)](model, graphs, T_train)


# --- the stack and the architectures, every cell -----------------------------------------


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


def test_no_batch_or_time_dimension_is_frozen():
    """Every batch and time dimension of every graph is named; one session runs every
    length (a frozen one would be refused or wrong at T it was not exported with)."""
    torch.manual_seed(0)
    models = [LanguageModel(7, [5, 4], 3, "gru"), ManyToOne(3, 4, 2, "lstm", pooling="max"),
              Tagger(7, 3, 4, 2, "elman", char_vocab_size=5, char_dim=2, char_hidden=3),
              EncoderDecoder(7, 6, 4, 3, 3, "lstm", bidirectional=True,
                             attention="additive")]
    for model in models:
        for graph in graphs_of.graphs(model.eval()).values():
            for value in list(graph.graph.input) + list(graph.graph.output):
                dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
                named = [d for d in dims if isinstance(d, str)]
                assert "B" in named, (graph.graph.name, value.name, dims)
    rnn = RNN(2, 3).eval()
    s = session(rnn_graph(rnn))
    for T in (1, 2, 7, 33, 64):
        x = torch.randn(2, T, 2)
        with torch.no_grad():
            want, _ = rnn(x)
        close(run(s, {"x": x, "lengths": torch.tensor([T, T]),
                      "h0_0": np.zeros((1, 2, 3), np.float32)})["y"], want)


@pytest.mark.parametrize("cell", CELLS)
def test_language_model_sequence_and_step_graphs(cell):
    torch.manual_seed(1)
    model = LanguageModel(9, [6, 4], 5, cell)
    check(model, graphs_of.graphs(model))


@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
@pytest.mark.parametrize("cell", CELLS)
def test_many_to_one_picks_the_last_real_step_or_pools(cell, pooling):
    torch.manual_seed(2)
    for bidirectional in (False, True):
        model = ManyToOne(4, [5, 3], 3, cell, bidirectional=bidirectional, vocab_size=8,
                          pooling=pooling)
        check(model, graphs_of.graphs(model))
    model = ManyToOne(2, 4, 3, cell, pooling=pooling)                  # features in
    check(model, graphs_of.graphs(model))


def test_many_to_one_with_piece_vectors():
    torch.manual_seed(3)
    model = ManyToOne(4, 5, 2, "gru", vocab_size=8, vectors=[11, 3], bidirectional=True)
    model.piece_vectors.copy_(torch.randn(11, 3))
    check(model, graphs_of.graphs(model))


@pytest.mark.parametrize("cell", CELLS)
def test_many_to_many_from_zeros_or_streaming_states(cell):
    torch.manual_seed(4)
    model = ManyToMany(3, [4, 5], 2, cell, bidirectional=True)
    check(model, graphs_of.graphs(model))
    model = ManyToMany(3, [4, 5], 2, cell)
    check(model, graphs_of.many_to_many(model, states=True))


@pytest.mark.parametrize("cell", CELLS)
def test_tagger_with_and_without_the_character_encoder(cell):
    torch.manual_seed(5)
    for chars in (None, 6):
        model = Tagger(9, 4, [5], 3, cell, char_vocab_size=chars, char_dim=3, char_hidden=2)
        check(model, graphs_of.graphs(model))


@pytest.mark.parametrize("cell", CELLS)
def test_encoder_graph_and_decoder_step_graph(cell):
    torch.manual_seed(6)
    for attention in ("none", "additive", "multiplicative", "scaled"):
        model = EncoderDecoder(8, 7, [5, 4], 3, 3, cell, bidirectional=attention != "none",
                               attention=attention)
        check(model, seq2seq.encoder_decoder(model))
    model = EncoderDecoder(None, 7, 4, 3, 3, cell)                      # features in
    check(model, seq2seq.encoder_decoder(model))


def test_an_activation_onnx_cannot_express_is_one_line():
    rnn = RNN(2, 3)
    rnn.activations = ["softsign"]
    with pytest.raises(ElmanError, match=r"^activation: expected one ONNX can express "
                       r"\(tanh, relu, sigmoid, identity\), got 'softsign'$"):
        rnn_graph(rnn)
