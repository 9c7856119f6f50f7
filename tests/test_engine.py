"""elman.RNN against torch.nn with copied weights, converters, padding, merged form, errors."""

import pytest
import torch
from torch import nn

from elman import RNN, ElmanError, from_torch, to_torch

TORCH = {"elman": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _packed_run(module, x, lengths):
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, final = module(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, final


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_matches_torch_with_copied_weights(cell, bidirectional):
    torch.manual_seed(0)
    ref = TORCH[cell](3, 6, num_layers=2, batch_first=True, bidirectional=bidirectional).double()
    rnn = from_torch(ref)
    x = torch.randn(4, 7, 3, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([7, 3, 1, 5])
    want, want_final = _packed_run(ref, x, lengths)
    got, finals = rnn(x, lengths)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    h_n = want_final[0] if cell == "lstm" else want_final  # (L*D, B, H)
    D = 2 if bidirectional else 1
    for l, s in enumerate(finals):
        h = s[0] if cell == "lstm" else s
        torch.testing.assert_close(h, torch.cat(list(h_n[l * D:(l + 1) * D]), dim=-1), rtol=0, atol=1e-12)
    g_want = torch.autograd.grad(want.sum(), [x, ref.weight_hh_l0])
    g_got = torch.autograd.grad(got.sum(), [x, rnn.layers[0].W_R])
    for a, b in zip(g_got, g_want):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_converters_round_trip(cell):
    rnn = RNN(4, [5, 5], cell=cell, bidirectional=True).double()
    back = from_torch(to_torch(rnn))
    for (n1, p1), (n2, p2) in zip(rnn.named_parameters(), back.named_parameters()):
        assert n1 == n2
        assert torch.equal(p1, p2), n1


def test_relu_elman_converts_and_unequal_widths_refuse():
    rnn = RNN(2, [3, 3], activation="relu").double()
    x = torch.randn(2, 4, 2, dtype=torch.float64)
    torch.testing.assert_close(to_torch(rnn)(x)[0], rnn(x)[0])
    with pytest.raises(ElmanError, match="rnn: expected equal widths"):
        to_torch(RNN(2, [3, 4]))
    with pytest.raises(ElmanError, match="rnn: expected one activation"):
        to_torch(RNN(2, [3, 3], activation=["tanh", "sigmoid"]))


def test_parameters_carry_textbook_names_and_widths():
    rnn = RNN(4, [10, 20])
    shapes = {n: tuple(p.shape) for n, p in rnn.named_parameters()}
    assert shapes == {"layers.0.W_F": (10, 4), "layers.0.W_R": (10, 10), "layers.0.b": (10,),
                      "layers.1.W_F": (20, 10), "layers.1.W_R": (20, 20), "layers.1.b": (20,)}
    out, finals = rnn(torch.randn(2, 3, 4))
    assert out.shape == (2, 3, 20)
    assert [tuple(f.shape) for f in finals] == [(2, 10), (2, 20)]


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_merged_form_equals_two_matrix_form(cell):
    rnn = RNN(3, 5, cell=cell).double()
    c = rnn.layers[0]
    x, h = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64)
    merged = torch.cat([x, h], dim=1) @ c.W.t() + c.b
    two = x @ c.W_F.t() + h @ c.W_R.t() + c.b
    torch.testing.assert_close(merged, two, rtol=0, atol=1e-12)
    if cell == "elman":
        torch.testing.assert_close(c(x, h), torch.tanh(merged), rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_real_steps(cell, bidirectional):
    torch.manual_seed(1)
    rnn = RNN(3, [4, 6], cell=cell, bidirectional=bidirectional).double()
    x = torch.randn(1, 5, 3, dtype=torch.float64)
    out, finals = rnn(x)
    padded = torch.cat([x, 100 * torch.randn(1, 4, 3, dtype=torch.float64)], dim=1)
    padded = torch.cat([padded, torch.randn(1, 9, 3, dtype=torch.float64)])  # a second, full sequence
    out_p, finals_p = rnn(padded, torch.tensor([5, 9]))
    torch.testing.assert_close(out_p[:1, :5], out, rtol=0, atol=1e-12)
    assert torch.all(out_p[0, 5:] == 0)
    for f, fp in zip(finals, finals_p):
        for a, b in zip(f if cell == "lstm" else (f,), fp if cell == "lstm" else (fp,)):
            torch.testing.assert_close(b[:1], a, rtol=0, atol=1e-12)


def test_initial_state_and_step_continue_a_sequence():
    rnn = RNN(2, [3, 4], cell="lstm").double()
    x = torch.randn(2, 6, 2, dtype=torch.float64)
    full, _ = rnn(x)
    _, state = rnn(x[:, :4])
    a, state = rnn.step(x[:, 4], state)
    torch.testing.assert_close(a, full[:, 4])
    b, _ = rnn(x[:, 5:], state=state)
    torch.testing.assert_close(b[:, 0], full[:, 5])


def test_dropout_between_layers_only_in_training():
    rnn = RNN(3, [8, 8], dropout=0.5).double()
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    rnn.eval()
    torch.testing.assert_close(rnn(x)[0], rnn(x)[0])
    rnn.train()
    assert not torch.equal(rnn(x)[0], rnn(x)[0])


BAD_INPUTS = [
    (lambda r: r(torch.randn(3, 4)), r"x: expected a 3-D tensor .* got shape \(3, 4\)"),
    (lambda r: r(torch.randn(2, 3, 5)), r"x: expected 4 features .* got 5"),
    (lambda r: r(torch.randn(0, 3, 4)), r"x: expected a non-empty batch"),
    (lambda r: r(torch.randn(2, 0, 4)), r"x: expected a non-empty batch"),
    (lambda r: r(torch.full((1, 2, 4), float("nan"))), r"x: expected finite values, got NaN"),
    (lambda r: r(torch.full((1, 2, 4), float("inf"))), r"x: expected finite values"),
    (lambda r: r(torch.randn(2, 3, 4), torch.tensor([3, 4])), r"lengths: expected values in 1..T=3, got values in 3..4"),
    (lambda r: r(torch.randn(2, 3, 4), torch.tensor([0, 2])), r"lengths: expected values in 1..T=3"),
    (lambda r: r(torch.randn(2, 3, 4), torch.tensor([1, 2, 3])), r"lengths: expected shape \(2,\)"),
    (lambda r: r(torch.randn(2, 3, 4), state=[torch.zeros(2, 5)]), r"state\[0\]: expected shape \(2, 6\)"),
    (lambda r: r(torch.randn(2, 3, 4), state=[]), r"state: expected a list of 1 per-layer states"),
]


@pytest.mark.parametrize("call,message", BAD_INPUTS)
def test_bad_inputs_get_one_line_errors(call, message):
    with pytest.raises(ElmanError, match=message) as e:
        call(RNN(4, 6))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("kwargs,message", [
    (dict(cell="transformer"), r"cell: expected one of \['elman', 'lstm', 'gru'\], got 'transformer'"),
    (dict(activation="swish"), r"activation: expected one of .*, got 'swish'"),
    (dict(cell="lstm", activation="relu"), r"activation: expected 'tanh' for cell='lstm'"),
    (dict(activation=["tanh"] * 3), r"activation: expected one name or 2 names"),
    (dict(dropout=1.5), r"dropout: expected a probability"),
])
def test_bad_construction_gets_one_line_errors(kwargs, message):
    with pytest.raises(ElmanError, match=message):
        RNN(4, [6, 6], **kwargs)


def test_bad_sizes():
    with pytest.raises(ElmanError, match="hidden_sizes: expected a positive int"):
        RNN(4, [6, 0])
    with pytest.raises(ElmanError, match="input_size: expected a positive int"):
        RNN(0, 6)
