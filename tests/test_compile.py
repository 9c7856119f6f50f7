"""PyTorch 2: the fast path's operators (``elman.nn.ops``) pass torch.library.opcheck;
elman.RNN compiled with fullgraph=True equals eager in outputs and every gradient for the
three cells, with lengths and bidirectional; one compiled graph serves every T; an exported
elman.RNN runs at other T and B than it was exported with.

The gradient checks compile with backend="aot_eager" (the graphs AOTAutograd makes, run
without code generation); one test runs inductor, whose C++ compile takes seconds a graph."""

import pytest
import torch
from torch._dynamo.utils import counters
from torch.export import Dim, export

from elman import RNN
from elman.nn import ops

CELLS = ["elman", "lstm", "gru"]
LENGTHS = [6, 3, 1, 5]


@pytest.fixture(autouse=True)
def fresh_dynamo():
    """Every test compiles its own models: without a reset, RNN.forward's cache of graphs
    would fill up across tests."""
    torch._dynamo.reset()
    counters.clear()


def _operator_inputs(cell: str, T=3, B=2, I=3, H=4):
    """(scan, inputs of its forward operator): one layer direction, tiny, a padded row."""
    torch.manual_seed(0)
    r = torch.randn
    G = {"elman": 1, "lstm": 4, "gru": 3}[cell]
    x, W_F, b, W_R, h0 = r(T, B, I), r(G * H, I), r(G * H), r(G * H, H), r(B, H)
    mask = torch.arange(T)[:, None] < torch.tensor([T, 1])
    if cell == "elman":
        return ops.ELMAN, [x, W_F, b, W_R, h0, mask, "tanh"]
    if cell == "lstm":
        return ops.LSTM, [x, W_F, b, W_R, h0, r(B, H), mask]
    return ops.GRU, [x, W_F, b, W_R, r(H), h0, mask]


def _backward_inputs(cell: str, inputs: list, output, needs: list):
    """Inputs of the backward operator for the forward's inputs and output: gradients arriving
    at the outputs (None for an unused final c), then what setup keeps."""
    if cell == "elman":
        x, W_F, _, W_R, h0, mask, activation = inputs
        return [torch.randn_like(output), x, W_F, output, W_R, h0, mask, activation, needs]
    if cell == "lstm":
        x, W_F, _, W_R, h0, c0, mask = inputs
        Hs, h, _, gates, Cs, Tc = output
        return [torch.randn_like(Hs), torch.randn_like(h), None, x, W_F, gates, Hs, Cs, Tc, W_R,
                h0, c0, mask, needs]
    x, W_F, _, W_R, _, h0, mask = inputs
    S, h, rzn, hn = output
    return [torch.randn_like(S), None, x, W_F, rzn, hn, S, W_R, h0, mask, needs]


@pytest.mark.parametrize("cell", CELLS)
def test_the_operators_pass_opcheck(cell):
    """Schema (no input written), fake shapes and strides against the real ones, the
    autograd registration, and the operators traced by AOTAutograd with dynamic shapes."""
    scan, inputs = _operator_inputs(cell)
    grad_inputs = [t.requires_grad_() if isinstance(t, torch.Tensor) and t.is_floating_point()
                   else t for t in inputs]
    torch.library.opcheck(scan.op, grad_inputs)
    backward = getattr(torch.ops.elman, f"{cell}_scan_backward").default
    output = scan.op(*inputs)
    output = output.detach() if cell == "elman" else [o.detach() for o in output]
    inputs = [t.detach() if isinstance(t, torch.Tensor) else t for t in inputs]
    for needs in ([True, True, True], [False, True, False]):
        torch.library.opcheck(backward, _backward_inputs(cell, inputs, output, needs))


def _loss(out, finals):
    """A loss that reads every output step and every final state (h and c of an LSTM)."""
    loss = (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum()
    for f in finals:
        for p in (f if isinstance(f, tuple) else (f,)):
            loss = loss + (p ** 2).sum()
    return loss


def _outputs_and_grads(model, rnn, x, lengths):
    out, finals = model(x, lengths)
    return out, torch.autograd.grad(_loss(out, finals), [x, *rnn.parameters()])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional,padded", [(False, False), (False, True), (True, True)])
def test_compiled_fullgraph_equals_eager(cell, bidirectional, padded):
    torch.manual_seed(1)
    rnn = RNN(3, [5, 4], cell=cell, bidirectional=bidirectional)
    x = torch.randn(4, 6, 3, requires_grad=True)
    lengths = torch.tensor(LENGTHS) if padded else None
    compiled = torch.compile(rnn, fullgraph=True, backend="aot_eager")
    out, grads = _outputs_and_grads(compiled, rnn, x, lengths)
    out_eager, grads_eager = _outputs_and_grads(rnn, rnn, x, lengths)
    torch.testing.assert_close(out, out_eager, rtol=1e-5, atol=1e-5)
    for g, e in zip(grads, grads_eager, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-5)


def test_inductor_compiles_one_graph_for_every_sequence_length():
    """inductor, dynamic=True: forward and backward at T = 5, 9 and 2 from one graph, equal
    to eager; a graph made for one T would be made again for the next."""
    torch.manual_seed(2)
    rnn = RNN(3, [5, 4], cell="lstm")
    compiled = torch.compile(rnn, fullgraph=True, dynamic=True)
    for T in (5, 9, 2):
        x = torch.randn(3, T, 3, requires_grad=True)
        lengths = torch.tensor([T, 2, 1])
        out, grads = _outputs_and_grads(compiled, rnn, x, lengths)
        out_eager, grads_eager = _outputs_and_grads(rnn, rnn, x, lengths)
        torch.testing.assert_close(out, out_eager, rtol=1e-5, atol=1e-5)
        for g, e in zip(grads, grads_eager, strict=True):
            torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-5)
    assert counters["stats"]["unique_graphs"] == 1


def test_a_compiled_rnn_still_checks_shapes():
    """The checks of values (finite x, lengths in 1..T) run in eager mode only; those of
    shapes run while dynamo traces, and their message comes with its error."""
    compiled = torch.compile(RNN(3, [4]), fullgraph=True, backend="aot_eager")
    with pytest.raises(Exception, match=r"lengths: expected shape \(2,\)"):
        compiled(torch.randn(2, 5, 3), torch.tensor([5, 2, 1]))


T_EXPORT = 6


@pytest.fixture(scope="module", params=CELLS)
def exported(request):
    """(eager model, exported with x (B, T, I) and lengths (B,), B and T dynamic): a
    bidirectional stack, so that the reversal within lengths is traced too."""
    torch._dynamo.reset()
    torch.manual_seed(3)
    rnn = RNN(3, [5, 4], cell=request.param, bidirectional=True).eval()
    B, T = Dim("B", min=1, max=256), Dim("T", min=1, max=4096)
    program = export(rnn, (torch.randn(4, T_EXPORT, 3), torch.tensor(LENGTHS)),
                     dynamic_shapes={"x": {0: B, 1: T}, "lengths": {0: B}})
    return rnn, program


def test_the_exported_program_keeps_B_and_T_symbolic(exported):
    _, program = exported
    x = next(n for n in program.graph.nodes if n.op == "placeholder" and n.name == "x")
    B, T, I = x.meta["val"].shape
    assert isinstance(B, torch.SymInt) and isinstance(T, torch.SymInt) and I == 3


@pytest.mark.parametrize("T,B", [(1, 4), (T_EXPORT, 4), (4 * T_EXPORT, 4), (4 * T_EXPORT, 7)])
def test_the_exported_program_runs_at_other_lengths(exported, T, B):
    """At T=1, the export length and 4x it (and another batch size), with and without padding,
    equal to eager; a program with T frozen at the export length would refuse these inputs."""
    rnn, program = exported
    torch.manual_seed(T)
    x = torch.randn(B, T, 3)
    for lengths in (torch.full((B,), T), torch.randint(1, T + 1, (B,))):
        with torch.no_grad():
            want = rnn(x, lengths)
            got = program.module()(x, lengths)
        torch.testing.assert_close(got[0], want[0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got[1], want[1], rtol=1e-5, atol=1e-5)


def test_the_plain_loop_cannot_be_exported_with_a_dynamic_T():
    """backend="loop" writes its T steps into the graph: fine for one T, refused for a
    dynamic one (the default backend exports the operators instead)."""
    rnn = RNN(3, [4], backend="loop")
    with pytest.raises(Exception, match="specialized"):
        export(rnn, (torch.randn(2, T_EXPORT, 3),), dynamic_shapes={"x": {1: Dim("T", min=1)}})
