"""The ONNX graphs of the architectures that read and write whole sequences: the language
model (a sequence graph and a one-step graph for streaming), many-to-one, many-to-many and
the tagger; ``graphs`` gives any model's (encoder-decoders: ``elman.export.seq2seq``,
captioners: ``elman.export.captioner``).

Inputs and outputs (B batch, T time; every batch and time dimension is named, never fixed):

===============  =====================================================================
tokens, ids      (B, T) int64 token ids (a model with an embedding)
x                (B, T, I) float features (a model without one)
lengths          (B,) int64 real steps per sequence, 1..T (padding after them)
h0_l, c0_l       (D, B, H_l) float initial state of layer l (c: the LSTM's cell state)
h_l, c_l         (D, B, H_l) float final state of layer l, at each sequence's last real step
logits, y        the output layer's values
===============  =====================================================================
"""

from ..errors import bad
from ..models import LanguageModel, ManyToMany, ManyToOne, Tagger, architecture_of
from .captioner import captioner
from .frames import frames
from .graph import FLOAT, INT32, INT64, Graph
from .pieces import embed, lengths_input, linear, pool, sequence_input, steps, swap_batch_time
from .rnn import batch_state, stack, state_inputs, state_outputs
from .seq2seq import encoder_decoder


def language_model(model: LanguageModel) -> dict:
    """{"model": tokens (B, T), lengths, h0_l (c0_l) -> logits (B, T, V), h_l (c_l);
    "step": token (B,), h0_l (c0_l) -> logits (B, V), h_l (c_l)}: the step graph streams one
    token at a time, its states fed back."""
    V, rnn = model.output.out_features, model.rnn
    g = Graph("lm", "LanguageModel: next-token logits of every step; states carried")
    x = sequence_input(g, model, rnn.input_size, "tokens")
    y, finals = stack(g, rnn, x, lengths_input(g), state_inputs(g, rnn))
    g.output("logits", linear(g, model.output, swap_batch_time(g, y)), FLOAT, ["B", "T", V])
    state_outputs(g, rnn, finals)

    step = Graph("lm_step", "LanguageModel, one step: the next token's logits")
    token = step.input("token", INT64, ["B"])
    x = step.op("Unsqueeze", embed(step, model.embedding, token), step.ints([0]))  # (1, B, E)
    y, finals = stack(step, rnn, x, "", state_inputs(step, rnn))
    top = step.op("Squeeze", y, step.ints([0]))                                     # (B, H)
    step.output("logits", linear(step, model.output, top), FLOAT, ["B", V])
    state_outputs(step, rnn, finals)
    return {"model": g.build(), "step": step.build()}


def piece_vectors(g: Graph, model: ManyToOne) -> str:
    """Inputs pieces (B, T, P) int64 and piece_counts (B, T) int64 -> (B, T, D) the mean of
    each word's pieces' vectors (``ManyToOne.word_vectors``), time-major (T, B, D)."""
    pieces = g.input("pieces", INT64, ["B", "T", "P"])
    counts = g.input("piece_counts", INT64, ["B", "T"])
    table = g.op("Cast", g.weight(model.piece_vectors, "piece_vectors"), to=FLOAT)
    v = g.op("Gather", table, pieces, axis=0)                                   # (B, T, P, D)
    real = g.op("Less", steps(g, pieces, axis=2),
                g.op("Unsqueeze", counts, g.ints([2])))                         # (B, T, P)
    real = g.op("Cast", g.op("Unsqueeze", real, g.ints([3])), to=FLOAT)
    total = g.op("ReduceSum", g.op("Mul", v, real), g.ints([2]), keepdims=0)    # (B, T, D)
    n = g.op("Max", g.op("Cast", counts, to=FLOAT), g.scalar(1.0, "one_f"))     # (B, T) >= 1
    return swap_batch_time(g, g.op("Div", total, g.op("Unsqueeze", n, g.ints([2]))))


def many_to_one(model: ManyToOne) -> dict:
    """{"model": ids (B, T) (or x (B, T, I)), lengths[, pieces, piece_counts] -> y (B, K)
    from the top outputs, pooled as the model pools them}."""
    g = Graph("many_to_one", f"ManyToOne, pooling {model.pooling!r}")
    x = sequence_input(g, model, model.config["input_size"])
    if hasattr(model, "piece_vectors"):
        x = g.op("Concat", x, piece_vectors(g, model), axis=2)
    lengths = lengths_input(g)
    y, finals = stack(g, model.rnn, x, lengths)
    if model.pooling == "last":
        pooled = batch_state(g, finals[-1].h, model.rnn.num_directions)
    else:
        pooled = pool(g, model.pooling, swap_batch_time(g, y), "lengths")   # the int64 input
    g.output("y", linear(g, model.output, pooled), FLOAT, ["B", model.output.out_features])
    return {"model": g.build()}


def many_to_many(model: ManyToMany, *, states: bool = False) -> dict:
    """{"model": ids (B, T) (or x (B, T, I)), lengths[, h0_l (c0_l)] -> y (B, T, K)[, h_l
    (c_l)]}: with ``states`` the initial states are inputs and the final states outputs (to
    stream), else the graph starts from zeros."""
    g = Graph("many_to_many", "ManyToMany: one output per step")
    x = sequence_input(g, model, model.rnn.input_size)
    y, finals = stack(g, model.rnn, x, lengths_input(g),
                      state_inputs(g, model.rnn) if states else None)
    g.output("y", linear(g, model.output, swap_batch_time(g, y)), FLOAT,
             ["B", "T", model.output.out_features])
    if states:
        state_outputs(g, model.rnn, finals)
    return {"model": g.build()}


def char_words(g: Graph, model: Tagger, ids: str) -> str:
    """Inputs chars (B, T, C) int64 and char_lengths (B, T) int64 -> the character
    encoder's final states (T, B, 2 * char_hidden), time-major."""
    chars = g.input("chars", INT64, ["B", "T", "C"])
    char_lengths = g.input("char_lengths", INT64, ["B", "T"])
    C = g.op("Shape", chars, start=2)
    words = g.op("Reshape", chars, g.op("Concat", g.ints([-1]), C, axis=0))    # (B*T, C)
    x = embed(g, model.char_embedding, g.op("Transpose", words, perm=[1, 0]), "char_embedding")
    n = g.op("Max", g.op("Reshape", char_lengths, g.ints([-1])), g.ints([1]))
    _, finals = stack(g, model.char_rnn, x, g.op("Cast", n, to=INT32))
    v = batch_state(g, finals[-1].h, 2)                                         # (B*T, 2h)
    shape = g.op("Concat", g.op("Shape", ids), g.ints([-1]), axis=0)
    return swap_batch_time(g, g.op("Reshape", v, shape))


def tagger(model: Tagger) -> dict:
    """{"model": ids (B, T), lengths[, chars (B, T, C), char_lengths (B, T)] -> logits
    (B, T, K)}."""
    g = Graph("tagger", "Tagger: one tag's logits per word")
    ids = g.input("ids", INT64, ["B", "T"])
    x = embed(g, model.embedding, g.op("Transpose", ids, perm=[1, 0]))
    if hasattr(model, "char_rnn"):
        x = g.op("Concat", x, char_words(g, model, ids), axis=2)
    y, _ = stack(g, model.rnn, x, lengths_input(g))
    g.output("logits", linear(g, model.output, swap_batch_time(g, y)), FLOAT,
             ["B", "T", model.output.out_features])
    return {"model": g.build()}


GRAPHS = {"language_model": language_model, "many_to_one": many_to_one,
          "many_to_many": many_to_many, "tagger": tagger, "encoder_decoder": encoder_decoder,
          "frames": frames, "captioner": captioner}


def graphs(model) -> dict:
    """{name: onnx.ModelProto}: the graphs of a model of any exported architecture."""
    name = architecture_of(model)
    if name not in GRAPHS:
        raise bad("export", f"a model of one of {sorted(GRAPHS)}", name)
    return GRAPHS[name](model)
