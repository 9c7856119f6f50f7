"""The NumPy reference: a hand-computed example, BPTT against finite differences,
the merged form, padding invariance and the promise that it never imports torch."""

import ast
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import elman.reference as ref
from elman.errors import ElmanError
from elman.reference import (
    check_gradients,
    loss_and_gradients,
    numerical_gradient,
    output_forward,
    rnn_backward,
    rnn_forward,
)

REFERENCE_DIR = Path(ref.__file__).parent
TOL = 1e-6


# ---------------------------------------------------------------- (1) by hand


def test_hand_computed_forward_and_backward():
    # I = 2, H = 2, T = 2, B = 1, tanh, h0 = 0
    W_F = [[0.1, 0.2], [-0.3, 0.4]]
    W_R = [[0.5, -0.1], [0.2, 0.3]]
    b = [0.05, -0.05]
    x1, x2 = [1.0, 2.0], [0.5, -1.0]

    # t = 1: z = W_F x1 + W_R 0 + b
    z1 = [0.1 * 1.0 + 0.2 * 2.0 + 0.05,      # 0.55
          -0.3 * 1.0 + 0.4 * 2.0 - 0.05]     # 0.45
    a1 = [math.tanh(z1[0]), math.tanh(z1[1])]
    # t = 2: z = W_F x2 + W_R a1 + b
    z2 = [0.1 * 0.5 + 0.2 * -1.0 + 0.5 * a1[0] - 0.1 * a1[1] + 0.05,
          -0.3 * 0.5 + 0.4 * -1.0 + 0.2 * a1[0] + 0.3 * a1[1] - 0.05]
    a2 = [math.tanh(z2[0]), math.tanh(z2[1])]

    layers = [{"W_F": np.array(W_F), "W_R": np.array(W_R), "b": np.array(b)}]
    x = np.array([[x1, x2]])
    cache = rnn_forward(x, layers, "tanh")
    np.testing.assert_allclose(cache.z[0][0], [z1, z2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(cache.a[0][0], [a1, a2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(cache.final[0][0], a2, rtol=0, atol=1e-15)

    # Loss L = a2[0] + a2[1]: dL/da2 = (1, 1), dL/da1 = 0 directly.
    dz2 = [1 - a2[0] ** 2, 1 - a2[1] ** 2]                  # tanh' = 1 - a^2
    da1 = [W_R[0][0] * dz2[0] + W_R[1][0] * dz2[1],          # W_R^T dz2
           W_R[0][1] * dz2[0] + W_R[1][1] * dz2[1]]
    dz1 = [da1[0] * (1 - a1[0] ** 2), da1[1] * (1 - a1[1] ** 2)]
    dW_F = [[dz2[i] * x2[j] + dz1[i] * x1[j] for j in range(2)] for i in range(2)]
    dW_R = [[dz2[i] * a1[j] + dz1[i] * 0.0 for j in range(2)] for i in range(2)]
    db = [dz2[0] + dz1[0], dz2[1] + dz1[1]]
    dx1 = [W_F[0][j] * dz1[0] + W_F[1][j] * dz1[1] for j in range(2)]
    dx2 = [W_F[0][j] * dz2[0] + W_F[1][j] * dz2[1] for j in range(2)]
    dh0 = [W_R[0][j] * dz1[0] + W_R[1][j] * dz1[1] for j in range(2)]

    d_a_top = np.array([[[0.0, 0.0], [1.0, 1.0]]])
    grads = rnn_backward(cache, d_a_top)
    np.testing.assert_allclose(grads.layers[0]["W_F"], dW_F, rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.layers[0]["W_R"], dW_R, rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.layers[0]["b"], db, rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.x[0], [dx1, dx2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.h0[0][0], dh0, rtol=0, atol=1e-15)

    # The same loss put on the final state instead gives the same gradients.
    via_final = rnn_backward(cache, d_final=[np.array([[1.0, 1.0]])])
    np.testing.assert_allclose(via_final.layers[0]["W_R"], dW_R, rtol=0, atol=1e-15)


def test_activations_match_their_definitions():
    z = np.array([-2.0, -0.5, 0.3, 1.7, 800.0, -800.0])
    a = ref.activations.apply("sigmoid", z)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(a, 1 / (1 + np.exp(-z)))
    for name in ref.ACTIVATIONS:
        a = ref.activations.apply(name, z[:4])
        numeric = (ref.activations.apply(name, z[:4] + 1e-6)
                   - ref.activations.apply(name, z[:4] - 1e-6)) / 2e-6
        np.testing.assert_allclose(ref.activations.derivative(name, a), numeric, atol=1e-8)


# ---------------------------------------------------------------- (2) BPTT vs finite differences


def make_model(seed, widths, activations, I=3, K=4, B=3, T=5, lengths=True, h0=True):
    """Random float64 model; for relu, redraw until every real |z| > 1e-3 (no kinks)."""
    names = [activations] * len(widths) if isinstance(activations, str) else activations
    for attempt in range(50):
        rng = np.random.default_rng(1000 * seed + attempt)
        layers, below = [], I
        for H in widths:
            layers.append({"W_F": rng.normal(0, 0.8, (H, below)),
                           "W_R": rng.normal(0, 0.5, (H, H)),
                           "b": rng.normal(0, 0.3, H)})
            below = H
        model = {
            "x": rng.normal(0, 1, (B, T, I)),
            "layers": layers,
            "activations": activations,
            "W_O": rng.normal(0, 0.5, (K, widths[-1])),
            "b_O": rng.normal(0, 0.2, K),
            "h0": [rng.normal(0, 0.5, (B, H)) for H in widths] if h0 else None,
            "lengths": np.array([T, 2, 1][:B] + [T] * (B - 3)) if lengths else None,
        }
        if "relu" not in names or away_from_kink(model):
            return model, rng
    raise AssertionError("no relu model away from the kink")


def away_from_kink(model):
    cache = rnn_forward(model["x"], model["layers"], model["activations"],
                        model["h0"], model["lengths"])
    return all(np.abs(z[cache.mask > 0]).min() > 1e-3 for z in cache.z)


def make_targets(rng, loss, many_to_one, B=3, T=5, K=4, lengths=None):
    shape = (B,) if many_to_one else (B, T)
    if loss == "cross_entropy":
        targets = rng.integers(0, K, shape)
        if lengths is not None and not many_to_one:
            targets[np.arange(T)[None, :] >= lengths[:, None]] = -1  # garbage at padding
        return targets
    if loss == "mse":
        return rng.normal(0, 1, shape + (K,))
    return rng.integers(0, 2, shape + (K,)).astype(np.float64)


def assert_gradients_ok(model, targets, loss, many_to_one=False, merged=False):
    errors = check_gradients(model["x"], model["layers"], model["activations"], model["W_O"],
                             model["b_O"], targets, loss=loss, h0=model["h0"],
                             lengths=model["lengths"], many_to_one=many_to_one, merged=merged)
    L = len(model["layers"])
    expected = {"x", "W_O", "b_O"} | {f"h0.{l}" for l in range(L)} | {
        f"layers.{l}.{k}" for l in range(L) for k in ("W_F", "W_R", "b")}
    assert set(errors) == expected
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{worst}: relative error {errors[worst]:.2e}  {errors}"


@pytest.mark.parametrize("widths", [[3], [4, 6], [5, 3, 4]])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "identity"])
def test_bptt_matches_finite_differences_per_activation(widths, activation):
    model, rng = make_model(len(widths), widths, activation)
    targets = make_targets(rng, "cross_entropy", False, lengths=model["lengths"])
    assert_gradients_ok(model, targets, "cross_entropy")


@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "padded"])
@pytest.mark.parametrize("loss, many_to_one", [
    ("cross_entropy", False), ("mse", False), ("binary_cross_entropy", False),
    ("cross_entropy", True), ("mse", True)])
def test_bptt_matches_finite_differences_per_loss(loss, many_to_one, with_lengths):
    model, rng = make_model(7, [4, 3], ["sigmoid", "tanh"], lengths=with_lengths)
    targets = make_targets(rng, loss, many_to_one, lengths=model["lengths"])
    assert_gradients_ok(model, targets, loss, many_to_one)


def test_bptt_mixed_activations_no_h0_merged():
    model, rng = make_model(11, [5, 3, 4], ["relu", "identity", "tanh"], h0=False)
    targets = make_targets(rng, "cross_entropy", True)
    assert_gradients_ok(model, targets, "cross_entropy", many_to_one=True, merged=True)


def test_numerical_gradient_restores_the_array():
    w = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = w.copy()
    g = numerical_gradient(lambda: float((w ** 3).sum()), w)
    np.testing.assert_array_equal(w, before)
    np.testing.assert_allclose(g, 3 * before ** 2, rtol=1e-8)


def test_loss_values_match_plain_formulas():
    rng = np.random.default_rng(3)
    y = rng.normal(0, 3, (2, 3, 4))
    k = rng.integers(0, 4, (2, 3))
    mask = np.array([[1, 1, 1], [1, 0, 0]])
    p = np.exp(y) / np.exp(y).sum(-1, keepdims=True)
    ce = -sum(np.log(p[b, t, k[b, t]]) for b in range(2) for t in range(3) if mask[b, t]) / 2
    assert ref.cross_entropy(y, k, mask)[0] == pytest.approx(ce, rel=1e-12)
    t01 = rng.integers(0, 2, (2, 3, 4)).astype(float)
    s = 1 / (1 + np.exp(-y))
    bce = -((t01 * np.log(s) + (1 - t01) * np.log(1 - s)).sum(-1) * mask).sum() / 2
    assert ref.binary_cross_entropy(y, t01, mask)[0] == pytest.approx(bce, rel=1e-12)
    target = rng.normal(size=(2, 3, 4))
    assert ref.mse(y, target, mask)[0] == pytest.approx(
        (((y - target) ** 2).sum(-1) * mask).sum() / 2, rel=1e-12)
    # many-to-one: (B, K) is one step per sequence
    assert ref.cross_entropy(y[:, 0], k[:, 0])[0] == pytest.approx(
        ref.cross_entropy(y[:, :1], k[:, :1])[0], rel=1e-15)
    # log-sum-exp: huge logits stay finite
    value, grad = ref.cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert value == pytest.approx(2000.0) and np.isfinite(grad).all()
    value, grad = ref.binary_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([[0.0, 1.0]]))
    assert value == pytest.approx(2000.0) and np.isfinite(grad).all()


# ---------------------------------------------------------------- (3) merged form


def test_merged_form_equals_two_matrix_form():
    model, _ = make_model(5, [4, 6, 3], ["tanh", "relu", "sigmoid"])
    args = (model["x"], model["layers"], model["activations"], model["h0"], model["lengths"])
    split, merged = rnn_forward(*args), rnn_forward(*args, merged=True)
    for field in ("a", "z", "h", "final"):
        for s, m in zip(getattr(split, field), getattr(merged, field)):
            np.testing.assert_allclose(m, s, rtol=0, atol=1e-12)
    d_top = np.random.default_rng(0).normal(size=split.a[-1].shape)
    g_split, g_merged = rnn_backward(split, d_top), rnn_backward(merged, d_top)
    for name, value in g_split.flat().items():
        np.testing.assert_allclose(g_merged.flat()[name], value, rtol=0, atol=1e-12)


# ---------------------------------------------------------------- (4) padding


def test_padding_changes_nothing_real():
    rng = np.random.default_rng(9)
    I, widths, lengths = 3, [4, 5], np.array([3, 2])
    model, _ = make_model(9, widths, "tanh", I=I, B=2, T=3, lengths=False)
    layers, h0 = model["layers"], model["h0"]
    short = rng.normal(size=(2, 3, I))
    long = rng.normal(0, 50, (2, 7, I))              # garbage everywhere ...
    long[0, :3], long[1, :2] = short[0], short[1, :2]  # ... but at the real steps

    a = rnn_forward(short, layers, "tanh", h0, lengths)
    b = rnn_forward(long, layers, "tanh", h0, lengths)
    for l in range(len(widths)):
        np.testing.assert_array_equal(b.a[l][:, :3], a.a[l])
        np.testing.assert_array_equal(b.a[l][:, 3:], 0.0)
        np.testing.assert_array_equal(b.a[l][1, 2:], 0.0)
        np.testing.assert_array_equal(b.final[l], a.final[l])
        # each sequence alone, unpadded, gives the same outputs and final state
        for s, n in enumerate(lengths):
            alone = rnn_forward(short[s:s + 1, :n], layers, "tanh", [h[s:s + 1] for h in h0])
            np.testing.assert_allclose(b.a[l][s, :n], alone.a[l][0], rtol=0, atol=1e-15)
            np.testing.assert_allclose(b.final[l][s], alone.final[l][0], rtol=0, atol=1e-15)

    # loss and gradients too, whatever the targets at padded steps hold
    targets_short = rng.integers(0, 4, (2, 3))
    targets_long = rng.integers(-5, 50, (2, 7))
    targets_long[0, :3], targets_long[1, :2] = targets_short[0], targets_short[1, :2]
    common = dict(activations="tanh", W_O=model["W_O"], b_O=model["b_O"], h0=h0, lengths=lengths)
    va, ga = loss_and_gradients(short, layers, targets=targets_short, **common)
    vb, gb = loss_and_gradients(long, layers, targets=targets_long, **common)
    assert vb == va
    for name, value in ga.items():
        if name == "x":
            np.testing.assert_array_equal(gb["x"][:, :3], value)
            np.testing.assert_array_equal(gb["x"][:, 3:], 0.0)
        else:
            np.testing.assert_allclose(gb[name], value, rtol=0, atol=1e-15)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("change, argument", [
    (lambda m: m.update(activations="softsign"), "activations[0]"),
    (lambda m: m.update(activations=["tanh"]), "activations"),
    (lambda m: m["layers"][1].update(W_F=np.zeros((3, 5))), "layers[1].W_F"),
    (lambda m: m["layers"][0].update(W_R=np.zeros((4, 3))), "layers[0].W_R"),
    (lambda m: m.update(x=np.zeros((3, 5))), "x"),
    (lambda m: m.update(h0=[np.zeros((3, 4))]), "h0"),
    (lambda m: m.update(h0=[np.zeros((3, 4)), np.zeros((2, 3))]), "h0[1]"),
    (lambda m: m.update(lengths=np.array([5, 6, 1])), "lengths"),
    (lambda m: m.update(lengths=np.array([5.0, 2.0, 1.0])), "lengths"),
])
def test_bad_arguments_raise_elman_error(change, argument):
    model, _ = make_model(2, [4, 3], "tanh")
    change(model)
    with pytest.raises(ElmanError, match="^" + re.escape(argument) + ": expected"):
        rnn_forward(model["x"], model["layers"], model["activations"], model["h0"],
                    model["lengths"])


def test_bad_loss_and_output_arguments_raise_elman_error():
    with pytest.raises(ElmanError, match="^targets: expected"):
        ref.cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 3)))          # float targets
    with pytest.raises(ElmanError, match="^targets: expected class indices"):
        ref.cross_entropy(np.zeros((2, 3, 4)), np.full((2, 3), 4))
    with pytest.raises(ElmanError, match="^mask: expected"):
        ref.mse(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), mask=np.ones((3, 2)))
    with pytest.raises(ElmanError, match="^W_O: expected"):
        output_forward(np.zeros((2, 3, 4)), np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ElmanError, match="^loss: expected"):
        loss_and_gradients(np.zeros((1, 2, 3)), [{"W_F": np.zeros((2, 3)), "W_R": np.zeros((2, 2)),
                           "b": np.zeros(2)}], "tanh", np.zeros((2, 2)), np.zeros(2),
                           np.zeros((1, 2), int), loss="hinge")


# ---------------------------------------------------------------- (5) NumPy only


def test_no_reference_module_imports_torch():
    files = sorted(REFERENCE_DIR.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "activations.py", "forward.py",
                                       "bptt.py", "losses.py", "gradcheck.py"}
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:  # relative: elman's own
                names = [node.module]
            else:
                continue
            assert not any(n.split(".")[0] == "torch" for n in names), f"{file.name} imports {names}"


def test_reference_imports_without_torch_in_a_subprocess():
    # A bare ``elman`` package object, so that elman/__init__.py (which imports torch)
    # never runs; elman.reference and elman.errors are then loaded from their files.
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('elman')\n"
        f"pkg.__path__ = [{str(REFERENCE_DIR.parent)!r}]\n"
        "sys.modules['elman'] = pkg\n"
        "import elman.reference as ref\n"
        "import numpy as np\n"
        "c = ref.rnn_forward(np.zeros((1, 2, 3)), [{'W_F': np.ones((2, 3)), "
        "'W_R': np.ones((2, 2)), 'b': np.ones(2)}], 'tanh')\n"
        "assert c.final[0].shape == (1, 2)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'torch')\n"
        "assert not bad, bad[:3]\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
