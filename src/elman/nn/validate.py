"""Checks at the boundary of elman.RNN: every bad input gets one line naming the argument."""

import torch

from ..errors import bad


def check_inputs(rnn, x, lengths, state):
    """Validate x (B, T, I), lengths (B,) and the initial state; return lengths as int64 or None."""
    if not isinstance(x, torch.Tensor):
        raise bad("x", "a torch.Tensor of shape (B, T, I)", type(x).__name__)
    if x.dim() != 3:
        raise bad("x", f"a 3-D tensor (B, T, I={rnn.input_size})", f"shape {tuple(x.shape)}")
    B, T, I = x.shape
    if B == 0 or T == 0:
        raise bad("x", "a non-empty batch (B >= 1, T >= 1)", f"shape {tuple(x.shape)}")
    if I != rnn.input_size:
        raise bad("x", f"{rnn.input_size} features in the last dimension", f"{I} (shape {tuple(x.shape)})")
    if not x.is_floating_point():
        raise bad("x", "a floating-point tensor", x.dtype)
    dtype = rnn.layers[0].W_F.dtype
    if x.dtype != dtype:
        raise bad("x", f"a {dtype} tensor (the weights' dtype; convert it with x.to({dtype}))",
                  x.dtype)
    values = not torch.compiler.is_compiling()  # a check of values would stop a compiled graph
    if values and not bool(torch.isfinite(x.detach().sum())) and not bool(torch.isfinite(x).all()):
        raise bad("x", "finite values", "NaN or infinite entries")  # sum first: one cheap pass
    if state is not None:
        _check_state(rnn, state, B)
    return None if lengths is None else _check_lengths(lengths, B, T, x.device, values)


def _check_lengths(lengths, B: int, T: int, device, values: bool) -> torch.Tensor:
    given = lengths
    try:
        lengths = torch.as_tensor(lengths, device=device)
    except (TypeError, ValueError, RuntimeError):
        raise bad("lengths", "integers, one per sequence", _show(given)) from None
    if lengths.shape != (B,):
        raise bad("lengths", f"shape ({B},), one length per sequence", f"shape {tuple(lengths.shape)}")
    if lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise bad("lengths", "integers", lengths.dtype)
    if values:
        lo, hi = int(lengths.min()), int(lengths.max())
        if lo < 1 or hi > T:
            raise bad("lengths", f"values in 1..T={T}", f"values in {lo}..{hi}")
    return lengths.long()


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_state(rnn, state, B: int):
    L = len(rnn.hidden_sizes)
    if not isinstance(state, (list, tuple)) or len(state) != L:
        raise bad("state", f"a list of {L} per-layer states", type(state).__name__ if not
                  isinstance(state, (list, tuple)) else f"{len(state)} entries")
    for l, (s, H) in enumerate(zip(state, rnn.hidden_sizes)):
        want = (B, rnn.num_directions * H)
        parts = s if rnn.cell == "lstm" else (s,)
        if rnn.cell == "lstm" and not (isinstance(s, tuple) and len(s) == 2):
            raise bad(f"state[{l}]", "an (h, c) tuple for cell='lstm'", type(s).__name__)
        for p in parts:
            if not isinstance(p, torch.Tensor) or tuple(p.shape) != want:
                got = tuple(p.shape) if isinstance(p, torch.Tensor) else type(p).__name__
                raise bad(f"state[{l}]", f"shape {want}", got)
            if p.dtype != rnn.layers[0].W_F.dtype:
                raise bad(f"state[{l}]", f"a {rnn.layers[0].W_F.dtype} tensor (the weights' "
                          "dtype)", p.dtype)
