"""The four architectures and the language model: shapes, overfitting a tiny batch, decoding,
sampling, the registry, and the two textbook summary examples."""

import pytest
import torch

from elman import ElmanError
from elman.cli.summary import summary_from_args
from elman.losses import cross_entropy, mse
from elman.models import (
    EncoderDecoder,
    LanguageModel,
    ManyToMany,
    ManyToOne,
    OneToMany,
    architecture_of,
    build,
)
from elman.nn import RNN
from elman.nn.summary import summarize


def _fit(model, loss_fn, steps=150, lr=0.03):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    return first, loss_fn().item()


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_many_to_one_overfits_and_reads_last_real_step(cell):
    torch.manual_seed(0)
    x, lengths = torch.randn(8, 6, 3), torch.tensor([6, 2, 5, 1, 6, 3, 4, 6])
    y = torch.arange(8) % 3
    model = ManyToOne(3, [16, 8], 3, cell=cell, bidirectional=True)
    first, last = _fit(model, lambda: cross_entropy(model(x, lengths), y), steps=100)
    assert last < 0.05 < first
    assert (model(x, lengths).argmax(-1) == y).all()
    garbage = x.clone()
    garbage[1, 2:] = 50.0
    torch.testing.assert_close(model(garbage, lengths), model(x, lengths))


def test_many_to_one_regression():
    torch.manual_seed(0)
    x = torch.randn(16, 5, 2)
    y = x.sum(dim=(1, 2)).unsqueeze(-1) / 4
    model = ManyToOne(2, 16, 1)
    first, last = _fit(model, lambda: mse(model(x), y), steps=200)
    assert last < 0.01 * first


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
def test_many_to_many_tags_every_step(cell):
    torch.manual_seed(0)
    tokens, lengths = torch.randint(0, 10, (6, 7)), torch.tensor([7, 7, 4, 2, 6, 7])
    tags = (tokens * 3 + 1) % 5
    model = ManyToMany(8, 16, 5, cell=cell, vocab_size=10)
    first, last = _fit(model, lambda: cross_entropy(model(tokens, lengths), tags, lengths))
    assert last < 0.05 < first
    out = model(tokens, lengths)
    assert out.shape == (6, 7, 5)
    real = torch.arange(7) < lengths[:, None]
    assert (out.argmax(-1)[real] == tags[real]).all()


@pytest.mark.parametrize("cell", ["elman", "gru"])
def test_encoder_decoder_learns_to_reverse_with_unequal_lengths(cell):
    torch.manual_seed(0)
    BOS, EOS = 0, 1
    src = torch.randint(2, 8, (12, 4))
    tgt = torch.cat([src.flip(1)[:, :3], torch.full((12, 1), EOS)], 1)  # 4 in, 3+eos out
    tgt_in = torch.cat([torch.full((12, 1), BOS), tgt[:, :-1]], 1)
    model = EncoderDecoder(8, 8, [32], input_size=16, embed_dim=16, cell=cell)
    first, last = _fit(model, lambda: cross_entropy(model(src, tgt_in), tgt), steps=250)
    assert last < 0.05 < first
    out = model.greedy(src, BOS, EOS, max_len=10)
    assert torch.equal(out, tgt)


def test_decoder_teacher_forcing_equals_step_by_step():
    torch.manual_seed(0)
    model = EncoderDecoder(6, 7, [5, 4], cell="lstm", bidirectional=True).double()
    src, tgt_in = torch.randint(0, 6, (3, 5)), torch.randint(0, 7, (3, 4))
    full = model(src, tgt_in, src_lengths=torch.tensor([5, 2, 3]))
    state = model.encode(src, torch.tensor([5, 2, 3]))
    for t in range(4):
        logits, state = model.decoder(tgt_in[:, t:t + 1], state=state)
        torch.testing.assert_close(logits[:, 0], full[:, t])


def test_one_to_many_generates_a_sequence_from_one_vector():
    torch.manual_seed(0)
    x = torch.eye(4)
    seqs = torch.tensor([[2, 3, 4, 5, 1], [5, 4, 3, 2, 1], [2, 2, 2, 2, 1], [3, 5, 3, 5, 1]])
    tgt_in = torch.cat([torch.zeros(4, 1, dtype=torch.long), seqs[:, :-1]], 1)
    model = OneToMany(4, 6, [24], embed_dim=8, cell="gru")
    first, last = _fit(model, lambda: cross_entropy(model(x, tgt_in), seqs), steps=200)
    assert last < 0.05 < first
    assert torch.equal(model.generate(x, bos=0, length=8, eos=1), seqs)


def test_language_model_overfits_and_streams_with_carried_state():
    torch.manual_seed(0)
    text = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7] * 4])
    model = LanguageModel(8, [32], embed_dim=8)
    first, last = _fit(model, lambda: cross_entropy(model(text[:, :-1])[0], text[:, 1:]))
    assert last < 0.05 * first
    out = list(model.generate([0, 1], 6, temperature=0.01))
    assert out == [2, 3, 4, 5, 6, 7]
    out = list(model.generate([0, 1], 6, top_k=1))
    assert out == [2, 3, 4, 5, 6, 7]


def test_sampling_is_seeded_and_top_k_restricts():
    model = LanguageModel(50, 16)
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    a = list(model.generate([1, 2], 20, generator=g()))
    assert a == list(model.generate([1, 2], 20, generator=g()))
    logits = torch.tensor([[0.0, 5.0, 4.0, -1.0]])
    from elman.models.decoding import sample
    draws = {int(sample(logits, 10.0, top_k=2)) for _ in range(200)}
    assert draws == {1, 2}


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=0), "temperature: expected a number > 0, got 0"),
    (dict(top_k=0), "top_k: expected an int >= 1"),
])
def test_bad_sampling_arguments(kwargs, message):
    with pytest.raises(ElmanError, match=message):
        next(LanguageModel(5, 4).generate([1], 3, **kwargs))


def test_registry_rebuilds_every_architecture_from_its_config():
    models = [ManyToOne(3, [4, 5], 2), ManyToMany(3, 4, 2, vocab_size=9),
              EncoderDecoder(5, 6, [4]), OneToMany(3, 6, 4), LanguageModel(7, [4, 4])]
    for m in models:
        again = build(architecture_of(m), m.config)
        assert [n for n, _ in again.named_parameters()] == [n for n, _ in m.named_parameters()]
    with pytest.raises(ElmanError, match="architecture: expected one of"):
        build("transformer", {})


def test_summary_textbook_example_total_68():
    s = summarize(ManyToMany(4, 5, 3))
    assert s.counts == {"input weights": 20, "recurrent weights": 25, "biases": 5,
                        "output weights": 15, "output biases": 3}
    assert s.total == 68
    assert "total" in summary_from_args(4, [5], 3) and "68" in summary_from_args(4, [5], 3)


def test_summary_shapes_by_hand():
    # 3 inputs, 7 units, 1 output, batch 64, 10 steps: W_F is 7x3, W_R 7x7, b 7; one step of
    # the batch gives z_t and a_t of 64x7; the output layer is 1x7 plus 1 bias.
    s = summarize(ManyToOne(3, 7, 1), batch_size=64, seq_len=10)
    x_row, layer, out = s.rows
    assert x_row[4] == (64, 10, 3)
    assert layer[1:] == ((7, 3), (7, 7), (7,), (64, 7), (64, 7), 21 + 49 + 7)
    assert out[1] == (1, 7) and out[3] == (1,) and out[5] == (64, 1)
    assert s.total == 21 + 49 + 7 + 7 + 1
    assert s.total == sum(p.numel() for p in ManyToOne(3, 7, 1).parameters())


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_many_to_one_pooling_ignores_padding_and_matches_by_hand(pooling):
    torch.manual_seed(0)
    model = ManyToOne(3, 4, 2, pooling=pooling).double().eval()
    x, lengths = torch.randn(2, 5, 3, dtype=torch.float64), torch.tensor([5, 3])
    out, _ = model.rnn(x, lengths)
    real = out[1, :3]
    want = real.max(0).values if pooling == "max" else real.mean(0)
    torch.testing.assert_close(model(x, lengths)[1], model.output(want))
    garbage = x.clone()
    garbage[1, 3:] = 9.0
    torch.testing.assert_close(model(garbage, lengths), model(x, lengths))
    assert build("many_to_one", model.config).pooling == pooling
    with pytest.raises(ElmanError, match="pooling: expected one of"):
        ManyToOne(3, 4, 2, pooling="attention")


def test_summary_names_nested_rnns_by_their_path():
    """Two RNNs under one module (an encoder-decoder inside a model) get distinct names."""
    from torch import nn

    class Nested(nn.Module):
        def __init__(self):
            super().__init__()
            self.message = ManyToOne(3, 4, 2)
            self.generator = nn.Module()
            self.generator.encoder = RNN(3, 4)
            self.generator.decoder = ManyToMany(3, 4, 3)

    names = [row[0] for row in summarize(Nested()).rows]
    assert {"message 1", "generator.encoder 1", "generator.decoder 1"} <= set(names)
