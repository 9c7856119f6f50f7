"""Converters between elman.RNN and torch.nn.RNN / LSTM / GRU weights.

torch names: weight_ih_l{k}{sfx} = W_F, weight_hh_l{k}{sfx} = W_R, and two biases
b_ih, b_hh whose sum is b (for the GRU's candidate gate n, b_hh's part is b_Rn). Going to
torch, b_ih = b and b_hh = 0 (GRU: b_hh = [0, 0, b_Rn]), which computes the same function.
torch.nn layers need one width for all layers, so only equal-width stacks convert to torch.
"""

import torch
from torch import nn

from ..errors import bad
from .layer import RNN

TORCH_CLASSES = {"elman": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _cells(rnn: RNN):
    """Yield (torch name suffix, elman cell) for every layer and direction."""
    for l in range(len(rnn.layers)):
        for d, cell in enumerate(rnn.directions(l)):
            yield f"_l{l}" + ("_reverse" if d else ""), cell


@torch.no_grad()
def from_torch(module: nn.RNNBase) -> RNN:
    """Build an elman.RNN computing the same function as a batch_first torch.nn.RNN/LSTM/GRU."""
    cell = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "elman"}.get(type(module))
    if cell is None:
        raise bad("module", "a torch.nn.RNN, LSTM or GRU", type(module).__name__)
    if not module.batch_first:
        raise bad("module", "batch_first=True (elman is batch-first)", "batch_first=False")
    if getattr(module, "proj_size", 0):
        raise bad("module", "proj_size=0", module.proj_size)
    act = "relu" if cell == "elman" and module.nonlinearity == "relu" else "tanh"
    rnn = RNN(module.input_size, [module.hidden_size] * module.num_layers, cell=cell,
              activation=act, bidirectional=module.bidirectional, dropout=module.dropout)
    rnn = rnn.to(module.weight_ih_l0.dtype)
    H = module.hidden_size
    for sfx, c in _cells(rnn):
        c.W_F.copy_(getattr(module, "weight_ih" + sfx))
        c.W_R.copy_(getattr(module, "weight_hh" + sfx))
        if not module.bias:
            c.b.zero_()
            if cell == "gru":
                c.b_Rn.zero_()
            continue
        b_ih, b_hh = getattr(module, "bias_ih" + sfx), getattr(module, "bias_hh" + sfx)
        if cell == "gru":
            c.b.copy_(torch.cat([b_ih[:2 * H] + b_hh[:2 * H], b_ih[2 * H:]]))
            c.b_Rn.copy_(b_hh[2 * H:])
        else:
            c.b.copy_(b_ih + b_hh)
    return rnn


@torch.no_grad()
def to_torch(rnn: RNN) -> nn.RNNBase:
    """Build a batch_first torch.nn.RNN/LSTM/GRU computing the same function as ``rnn``."""
    if len(set(rnn.hidden_sizes)) != 1:
        raise bad("rnn", "equal widths in every layer (torch.nn layers have one hidden_size)",
                  rnn.hidden_sizes)
    acts = set(rnn.activations)
    kwargs = {}
    if rnn.cell == "elman":
        if len(acts) != 1 or not acts <= {"tanh", "relu"}:
            raise bad("rnn", "one activation, tanh or relu, for torch.nn.RNN", rnn.activations)
        kwargs["nonlinearity"] = acts.pop()
    H = rnn.hidden_sizes[0]
    module = TORCH_CLASSES[rnn.cell](
        rnn.input_size, H, num_layers=len(rnn.hidden_sizes), batch_first=True,
        bidirectional=rnn.bidirectional, dropout=rnn.dropout.p, **kwargs)
    module = module.to(rnn.layers[0].W_F.dtype)
    for sfx, c in _cells(rnn):
        getattr(module, "weight_ih" + sfx).copy_(c.W_F)
        getattr(module, "weight_hh" + sfx).copy_(c.W_R)
        getattr(module, "bias_ih" + sfx).copy_(c.b)
        b_hh = getattr(module, "bias_hh" + sfx)
        b_hh.zero_()
        if rnn.cell == "gru":
            b_hh[2 * H:] = c.b_Rn
    return module
