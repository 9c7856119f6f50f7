"""An encoder-decoder as two ONNX graphs: the encoder, run once per batch of sources, and one
decoder step, run in the caller's loop (greedy, sampling or beam search stay with the caller,
where ONNX has no reasonable way to express them).

=====================  ===============================================================
"encoder"              src (B, S) int64 ids (or x (B, S, I) features), src_lengths (B,)
                       -> h_l (c_l) (1, B, D*H_l): the decoder's initial state, layer l;
                       with attention also memory (B, S, D*H_L), the top outputs
"decoder_step"         token (B,) int64, h0_l (c0_l) (1, B, D*H_l)[, memory, src_lengths]
                       -> logits (B, V), h_l (c_l)[, weights (B, S): the attention]
=====================  ===============================================================

The loop: h0 = encoder's h, token = bos; repeat: logits, h = decoder_step(token, h, ...);
token = argmax of logits (never bos), until eos or a length limit (``EncoderDecoder.greedy``).
"""

import math

from ..models import EncoderDecoder
from ..models.attention import Attention
from .graph import FLOAT, INT64, Graph
from .pieces import embed, lengths_input, linear, real_steps, sequence_input, swap_batch_time
from .rnn import State, batch_state, stack, state_inputs, state_outputs


def decoder_state(g: Graph, final: State, directions: int) -> State:
    """An encoder layer's final State (D, B, H) -> the decoder's (1, B, D*H)."""
    if directions == 1:
        return final
    to_decoder = [g.op("Unsqueeze", batch_state(g, s, directions), g.ints([0]))
                  for s in final if s]
    return State(*to_decoder)


def encoder(model: EncoderDecoder):
    """The encoder graph (see the module doc)."""
    enc = model.encoder
    g = Graph("encoder", "EncoderDecoder's encoder: the decoder's initial state")
    x = sequence_input(g, model, enc.input_size, "src", "src")
    memory, finals = stack(g, enc, x, lengths_input(g, "src_lengths"))
    states = [decoder_state(g, f, enc.num_directions) for f in finals]
    state_outputs(g, model.decoder.rnn, states)
    if hasattr(model, "attention"):
        g.output("memory", swap_batch_time(g, memory), FLOAT, ["B", "S", enc.output_size])
    return g.build()


def scores(g: Graph, attention: Attention, query: str, memory: str) -> str:
    """e (B, S) of query (B, Q) against memory (B, S, M) (``Attention.scores``, one step)."""
    if attention.score == "additive":
        keys = linear(g, attention.W_k, memory, "W_k")                           # (B, S, Q)
        q = g.op("Unsqueeze", linear(g, attention.W_q, query, "W_q"), g.ints([1]))
        e = linear(g, attention.v, g.op("Tanh", g.op("Add", q, keys)), "v")     # (B, S, 1)
        return g.op("Squeeze", e, g.ints([2]))
    keys = linear(g, attention.W_a, memory, "W_a")                               # (B, S, Q)
    e = g.op("Squeeze", g.op("MatMul", keys, g.op("Unsqueeze", query, g.ints([2]))),
             g.ints([2]))
    if attention.score == "scaled":
        e = g.op("Div", e, g.scalar(math.sqrt(attention.W_a.out_features), "sqrt_Q"))
    return e


def attend(g: Graph, attention: Attention, query: str, memory: str,
           src_lengths: str) -> tuple[str, str]:
    """query (B, Q), memory (B, S, M), src_lengths (B,) int64 -> (attentional state h~ (B,
    Q), weights (B, S))."""
    e = g.op("Where", real_steps(g, memory, src_lengths), scores(g, attention, query, memory),
             g.scalar(float("-inf"), "minus_inf"))
    weights = g.op("Softmax", e, axis=-1)
    context = g.op("Squeeze", g.op("MatMul", g.op("Unsqueeze", weights, g.ints([1])), memory),
                   g.ints([1]))                                                  # (B, M)
    joined = g.op("Concat", context, query, axis=1)
    return g.op("Tanh", linear(g, attention.W_c, joined, "W_c")), weights


def decoder_step(model: EncoderDecoder):
    """The decoder-step graph (see the module doc)."""
    dec = model.decoder
    g = Graph("decoder_step", "EncoderDecoder's decoder, one step")
    token = g.input("token", INT64, ["B"])
    x = g.op("Unsqueeze", embed(g, dec.embedding, token), g.ints([0]))          # (1, B, E)
    y, finals = stack(g, dec.rnn, x, "", state_inputs(g, dec.rnn))
    h = g.op("Squeeze", y, g.ints([0]))                                         # (B, H)
    weights = None
    if hasattr(model, "attention"):
        memory = g.input("memory", FLOAT, ["B", "S", model.encoder.output_size])
        h, weights = attend(g, model.attention, h, memory,
                            g.input("src_lengths", INT64, ["B"]))
    g.output("logits", linear(g, dec.output, h), FLOAT, ["B", dec.output.out_features])
    state_outputs(g, dec.rnn, finals)
    if weights is not None:
        g.output("weights", weights, FLOAT, ["B", "S"])
    return g.build()


def encoder_decoder(model: EncoderDecoder) -> dict:
    """{"encoder": ..., "decoder_step": ...} (see the module doc)."""
    return {"encoder": encoder(model), "decoder_step": decoder_step(model)}
