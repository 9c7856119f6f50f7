"""elman export: the ONNX graphs built from elman's weights against the PyTorch model they
came from (onnxruntime, to 1e-5) at T = 1, the training length and 4x it, at batch 1 and in a
batch of mixed lengths, for every cell and architecture, then for a run of every task with
every cell through ``elman export``; no dimension is frozen; the NumPy format; the errors."""

import dataclasses
import json
import sys

import numpy as np
import pytest
import soundfile
import torch

from elman import ElmanError
from elman.cli import load_run, main
from elman.models import (
    EncoderDecoder,
    LanguageModel,
    ManyToMany,
    ManyToOne,
    Tagger,
    architecture_of,
)
from elman.nn import RNN
from elman.training import resolve, train

ort = pytest.importorskip("onnxruntime")
from elman.export import models as graphs_of  # noqa: E402  (needs onnx, skipped above)
from elman.export import seq2seq  # noqa: E402
from elman.export.rnn import rnn_graph  # noqa: E402

TOL = 1e-5
TRAIN_T = 5                    # the training length of the models built here
CELLS = ("elman", "lstm", "gru")


pytestmark = pytest.mark.usefixtures("one_thread")


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


# --- a run of every task through elman export --------------------------------------------

TEXT = "to be or not to be, that is the question. " * 20
REVIEWS = "".join(f"{t}\t{y}\n" for t, y in [("a great film", 1), ("dull and long", 0),
                                            ("great fun", 1), ("a boring mess", 0)] * 2)
CONLLU = "".join(f"1\t{a}\t_\tDET\t_\t_\t2\tdet\t_\t_\n2\t{b}\t_\tNOUN\t_\t_\t0\troot\t_\t_\n\n"
                 for a, b in [("The", "dog"), ("A", "cat"), ("The", "cats")])
PAIRS = "I am cold.\tJ'ai froid.\nI am tired.\tJe suis fatigué.\nWe are cold.\tNous avons froid.\n"
TUNE = [[48, 60, 64, 67], [53, 60, 65, 69], [55, 62, 67, 71]]
SMALL = {"hidden_sizes": [6, 4], "embed_dim": 4, "dropout": 0.0, "batch_size": 4,
         "max_steps": 2, "eval_every": 2, "max_minutes": None, "quiet": True}
SPEECH = {"n_mels": 8, "hop_ms": 20.0, "window_ms": 40.0, "valid_fraction": 0.5}

# task: (its settings, the file its data is, training length T); every task runs with every
# cell, its own "cell" below for the other tests
TASKS = {
    "lm": ({"cell": "gru", "seq_len": 8, "sample_length": 0}, "text.txt", 8),
    "classify": ({"cell": "lstm", "bidirectional": True, "pooling": "max"}, "reviews.tsv", 3),
    "tag": ({"cell": "elman", "bidirectional": True, "char_dim": 3, "char_hidden": 2,
             "activation": "relu"}, "train.conllu", 2),
    "forecast": ({"cell": "lstm", "window": 6, "horizon": 2,
                  "forecast_shape": "many_to_many"}, "series.csv", 6),
    "music": ({"cell": "gru", "seq_len": 6}, "pieces.json", 6),
    "digits": ({"cell": "elman", "pooling": "mean", **SPEECH}, "wavs", 12),
    "digit-sequences": ({"cell": "lstm", "bidirectional": True, "utterances": 4,
                         "valid_utterances": 2, "max_digits": 2, **SPEECH}, "wavs", 12),
    "sort": ({"cell": "gru", "length": "1-4", "vocab": 5, "valid_size": 4,
              "attention": "additive", "bidirectional": True}, None, 4),
    "reverse": ({"cell": "lstm", "length": "1-4", "vocab": 5, "valid_size": 4}, None, 4),
    "copy": ({"cell": "elman", "length": "1-4", "vocab": 5, "valid_size": 4,
              "attention": "multiplicative"}, None, 4),
    "add": ({"cell": "gru", "length": "1-2", "valid_size": 4}, None, 5),
    "translate": ({"cell": "lstm", "attention": "scaled", "valid_fraction": 0.0},
                  "pairs.tsv", 3),
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    (d / "text.txt").write_text(TEXT, encoding="utf-8")
    (d / "reviews.tsv").write_text(REVIEWS, encoding="utf-8")
    (d / "train.conllu").write_text(CONLLU, encoding="utf-8")
    (d / "pairs.tsv").write_text(PAIRS, encoding="utf-8")
    (d / "pieces.json").write_text(json.dumps([TUNE * 3, TUNE * 2, TUNE * 4]))
    values = 10 + 5 * np.sin(np.arange(60) * 2 * np.pi / 12)
    (d / "series.csv").write_text("value\n" + "".join(f"{v:.4f}\n" for v in values))
    (d / "wavs").mkdir()
    t = np.arange(1600) / 8000
    for digit in range(2):
        for speaker in ("ann", "bob"):
            wave = 0.5 * np.sin(2 * np.pi * (400 + 800 * digit) * t) * np.hanning(len(t))
            soundfile.write(d / "wavs" / f"{digit}_{speaker}_0.wav", wave.astype(np.float32),
                            8000, subtype="PCM_16")
    return d


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """trained(task, cell) -> the folder of a two-step run of that task (trained once; cell
    None: the task's own in TASKS)."""
    runs = {}

    def get(task: str, cell: str | None = None):
        settings, file, _ = TASKS[task]
        cell = cell or settings["cell"]
        if (task, cell) not in runs:
            out = tmp_path_factory.mktemp("runs") / f"{task}-{cell}"
            values = {**SMALL, **settings, "cell": cell, "task": task, "out": str(out)}
            if cell != "elman":
                values.pop("activation", None)          # gated cells take only their tanh
            if file:
                values["data"] = str(data / file)
            train(resolve(None, values), log=lambda *a: None)
            runs[task, cell] = out
        return runs[task, cell]
    return get


def exported(run, out, *flags) -> dict:
    """elman export RUN --out OUT [flags]: its export.json."""
    assert main(["export", str(run), "--out", str(out), *flags]) == 0
    return json.loads((out / "export.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_exports_graphs_that_match_its_model(task, cell, trained, tmp_path):
    run, task_ = load_run(trained(task, cell))
    manifest = exported(trained(task, cell), tmp_path)
    assert manifest["format"] == "onnx" and manifest["task"] == task and manifest["usage"]
    assert manifest["options"] == dataclasses.asdict(task_.options)
    files = {name: str(tmp_path / g["file"]) for name, g in manifest["graphs"].items()}
    check(run.model, files, TASKS[task][2])
    assert (tmp_path / "vocab.json").exists() == (task_.vocab is not None)
    if task_.meta() is not None:
        assert json.loads((tmp_path / "task.json").read_text(encoding="utf-8")) == \
            json.loads(json.dumps(task_.meta()))


def test_what_each_task_exports(trained, tmp_path):
    graphs = {task: sorted(exported(trained(task), tmp_path / task)["graphs"])
              for task in ("lm", "classify", "music", "translate")}
    assert graphs == {"lm": ["model", "step"], "classify": ["model"], "music": ["model"],
                      "translate": ["decoder_step", "encoder"]}
    music = json.loads((tmp_path / "music" / "export.json").read_text(encoding="utf-8"))
    assert {"x", "lengths", "h0_0", "h0_1"} == set(music["graphs"]["model"]["inputs"])
    assert music["graphs"]["model"]["inputs"]["x"] == {"type": "float32",
                                                       "shape": ["B", "T", 88]}
    assert (tmp_path / "lm" / "vocab.json").exists()
    assert main(["export", str(trained("lm"))]) == 0                  # default: RUN/export-onnx
    assert (trained("lm") / "export-onnx" / "step.onnx").exists()


def test_export_errors_are_one_line(trained, tmp_path, capsys, monkeypatch):
    run = str(trained("lm"))
    assert main(["export", run, "--format", "tf"]) == 2
    assert capsys.readouterr().err == ("elman: error: format: expected one of ['onnx', "
                                       "'numpy'], got 'tf'\n")
    for name in [m for m in sys.modules if m == "onnx" or m.startswith(("onnx.",
                                                                        "elman.export."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert main(["export", run, "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.startswith(
        "elman: error: export: expected the optional package onnx (pip install "
        "'elman[export]'), got ")
    assert not (tmp_path / "x").exists()


# --- the NumPy format ----------------------------------------------------------------------


def test_numpy_format_is_what_the_numpy_runtime_loads(trained, tmp_path):
    from elman.runtime import NumpyLanguageModel
    manifest = exported(trained("lm"), tmp_path, "--format", "numpy")
    assert manifest["format"] == "numpy" and "graphs" not in manifest
    lm = NumpyLanguageModel.load(tmp_path)
    run, _ = load_run(trained("lm"))
    tokens = [1, 4, 2, 2, 7]
    with torch.no_grad():
        want, _ = run.model.eval()(torch.tensor([tokens]))
    state = lm.initial_state()
    for t, token in enumerate(tokens):
        logits, state = lm.step(token, state)
        close(logits, want[0, t])


@pytest.mark.parametrize("task", ["classify", "forecast", "music", "digits",
                                  "digit-sequences"])
def test_numpy_format_runs_sequence_models_too(task, trained, tmp_path):
    from elman.runtime import load
    manifest = exported(trained(task), tmp_path, "--format", "numpy")
    assert manifest["usage"][0].startswith("elman.runtime.load(DIR)")
    model = load(tmp_path)
    run, _ = load_run(trained(task))
    for T in (1, TASKS[task][2], 4 * TASKS[task][2]):
        x = sequences(run.model.eval(), 1, T, run.model.config["input_size"])
        with torch.no_grad():
            close(model(x[0].numpy()), run.model(x)[0])


def test_numpy_format_refuses_what_the_runtime_cannot_run(trained, tmp_path, capsys):
    assert main(["export", str(trained("tag")), "--format", "numpy", "--out",
                 str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == (
        "elman: error: export: expected a model the NumPy runtime runs (language_model, "
        "many_to_one, many_to_many; no piece vectors) for --format numpy (--format onnx "
        "exports every model), got tagger\n")
    assert not (tmp_path / "x").exists()
