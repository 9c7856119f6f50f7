"""The caption task: composites whose captions name the digits where they are drawn, the
image readers (captions.tsv folders, MNIST's IDX), the one-to-many decoder fed the image
vector (step by step = teacher forcing, beam 1 = greedy), a tiny overfit with BLEU 100,
and the CLI end to end (train, eval, caption, the HTTP route's method)."""

import gzip
import io
import json
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from elman.cli import main
from elman.cli.run import load_run
from elman.data.composites import CELL, NAMES, compose, glyph_digits
from elman.data.digit_images import is_mnist, read_idx, read_mnist
from elman.data.images import parse_captions, read_captions
from elman.data.tokenizers import Words
from elman.errors import ElmanError
from elman.models import Captioner, OneToMany
from elman.tasks.caption import exact_share

# digit d drawn as a 28 x 28 square of brightness 20 (d + 1): where it landed tells which
SQUARES = np.stack([np.full((CELL, CELL), 20 * (d + 1), np.uint8) for d in range(10)])


def found(values: np.ndarray) -> list[int]:
    """The digits met along values (a line of maxima across the canvas), each CELL wide."""
    seen, i = [], 0
    while i < len(values):
        if values[i]:
            seen.append(int(values[i]) // 20 - 1)
            i += CELL
        else:
            i += 1
    return seen


@pytest.mark.parametrize("seed", range(3))
def test_a_row_is_captioned_left_to_right(seed):
    images, captions = compose(SQUARES, np.arange(10), 20, np.random.default_rng(seed),
                               layout="row", min_digits=2, max_digits=4, height=40, width=120)
    assert images.shape == (20, 1, 40, 120) and images.dtype == np.uint8
    for image, caption in zip(images[:, 0], captions):
        left_to_right = found(image.max(axis=0))            # brightest of every column
        assert caption == " ".join(NAMES[d] for d in left_to_right)
        assert 2 <= len(left_to_right) <= 4
        assert (image > 0).sum() == len(caption.split()) * CELL * CELL   # none overlap


def test_above_names_the_top_digit_first_with_its_article():
    images, captions = compose(SQUARES, np.arange(10), 30, np.random.default_rng(1),
                               layout="above", height=60, width=40)
    for image, caption in zip(images[:, 0], captions):
        top, bottom = found(image.max(axis=1))
        a = "an" if top == 8 else "a"
        b = "an" if bottom == 8 else "a"
        assert caption == f"{a} {NAMES[top]} above {b} {NAMES[bottom]}"
    mixed = compose(SQUARES, np.arange(10), 40, np.random.default_rng(2), height=64,
                    width=128)[1]
    assert {"above" in c for c in mixed} == {True, False}


def test_glyphs_are_seeded_and_vary():
    a, la = glyph_digits(50, np.random.default_rng(4))
    b, lb = glyph_digits(50, np.random.default_rng(4))
    assert np.array_equal(a, b) and np.array_equal(la, lb) and a.shape == (50, 28, 28)
    same = [i for i in range(50) if la[i] == la[0]]
    assert len({a[i].tobytes() for i in same}) == len(same)        # no two alike


@pytest.mark.parametrize("kwargs,message", [
    (dict(layout="row", max_digits=5, width=128), "max_digits: expected at most width // 28 "
     "= 4 digits in a row"),
    (dict(layout="above", height=50), "height: expected at least 56 pixels"),
    (dict(layout="row", min_digits=3, max_digits=2), "min_digits: expected an int in "
     "1..max_digits"),
    (dict(layout="diagonal"), "layout: expected one of"),
])
def test_a_canvas_too_small_for_the_layout_is_refused(kwargs, message):
    with pytest.raises(ElmanError, match=message):
        compose(SQUARES, np.arange(10), 1, np.random.default_rng(0), **kwargs)


def idx(array: np.ndarray) -> bytes:
    head = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(struct.pack(">I", n)
                                                             for n in array.shape)
    return gzip.compress(head + array.astype(np.uint8).tobytes())


def mnist_folder(tmp_path, n=30):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(idx(images))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(idx(labels))
    return images, labels


def test_mnist_idx_files_round_trip(tmp_path):
    images, labels = mnist_folder(tmp_path)
    assert is_mnist(str(tmp_path))
    got_images, got_labels = read_mnist(str(tmp_path))
    assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)
    (tmp_path / "x.gz").write_bytes(gzip.compress(b"\x00\x00\x0d\x01" + b"\x00" * 8))
    with pytest.raises(ElmanError, match="an IDX file of unsigned bytes"):
        read_idx(tmp_path / "x.gz")


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def test_a_captions_folder_groups_captions_by_image_and_resizes(tmp_path):
    (tmp_path / "a.png").write_bytes(png(np.full((10, 20), 255, np.uint8)))
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 255
    (tmp_path / "b.png").write_bytes(png(rgb))
    (tmp_path / "captions.tsv").write_text("a.png#0\tA white box\nb.png\tred\n\n"
                                           "a.png#1\twhite\n")
    rows = read_captions(str(tmp_path), (1, 4, 6))
    assert [(r.name, r.captions) for r in rows] == [("a.png", ["A white box", "white"]),
                                                    ("b.png", ["red"])]
    assert rows[0].image.shape == (1, 4, 6) and int(rows[0].image.min()) == 255
    assert int(rows[1].image.max()) == round(255 * 0.299)          # red in grey (ITU-R 601)
    assert read_captions(str(tmp_path), (3, 4, 6))[1].image[:, 0, 0].tolist() == [255, 0, 0]


@pytest.mark.parametrize("text,message", [
    ("a.png red\n", "image<TAB>caption on every line, got a line without a tab at c.tsv:1"),
    ("a.png\t \n", "an empty caption at c.tsv:1"),
    ("\n\n", "some image<TAB>caption lines"),
])
def test_bad_captions_lines_name_the_line(text, message):
    with pytest.raises(ElmanError, match=message):
        parse_captions(text, "c.tsv")


def test_the_decoder_fed_the_image_steps_as_it_reads_whole_captions():
    torch.manual_seed(0)
    model = OneToMany(5, 7, [6, 4], embed_dim=3, cell="lstm", feed_input=True).eval()
    x, tgt_in = torch.randn(2, 5), torch.randint(0, 7, (2, 4))
    full = model(x, tgt_in)                                           # (2, 4, 7)
    context = (model.initial_state(x), x)
    for t in range(4):
        logits, context, _ = model.step(tgt_in[:, t], context)
        torch.testing.assert_close(logits, full[:, t])
    assert model.feed.weight.shape == (3, 5) and OneToMany(5, 7, [6]).feed is None


def test_beam_of_width_one_is_greedy():
    torch.manual_seed(1)
    model = Captioner(1, 16, 24, 9, [12], embed_dim=4, conv_channels=[4, 4], image_dim=8,
                      feed_image=True).eval()
    images = torch.rand(5, 1, 16, 24)
    greedy = model.greedy(images, 0, 1, 6)
    assert model.beam(images, 0, 1, 6, width=1) == greedy
    assert all(0 not in ids and 1 not in ids for ids in greedy)
    assert model(images, torch.zeros(5, 3, dtype=torch.long)).shape == (5, 3, 9)
    with pytest.raises(ElmanError, match=r"images: expected a float \(B, C, H, W\) = "
                       r"\(B, 1, 16, 24\) tensor, got \(5, 1, 24, 16\)"):
        model(images.transpose(2, 3), torch.zeros(5, 3, dtype=torch.long))


def test_exact_match_compares_words_with_any_reference():
    words = Words(lowercase=True)
    assert exact_share(["One two", "three", "four"], [["one  two"], ["x", "Three"], ["five"]],
                       words) == pytest.approx(2 / 3)


def captions_folder(path):
    """Four images, each a bar somewhere else, with one or two captions."""
    path.mkdir()
    lines = []
    for k, caption in enumerate(["left bar of the box", "right bar of the box",
                                 "top bar of the box", "bottom bar of the box"]):
        image = np.zeros((16, 24), np.uint8)
        if k < 2:
            image[:, 2 + 14 * k:8 + 14 * k] = 255
        else:
            image[2 + 8 * (k - 2):6 + 8 * (k - 2), :] = 255
        (path / f"{k}.png").write_bytes(png(image))
        lines.append(f"{k}.png\t{caption}")
    lines.append("0.png\tleft side of the box")
    (path / "captions.tsv").write_text("\n".join(lines) + "\n")
    return path


TINY = ["--height", "16", "--width", "24", "--conv-channels", "4,8", "--image-dim", "16",
        "--hidden-sizes", "32", "--embed-dim", "8", "--dropout", "0", "--quiet"]


def test_cli_trains_evaluates_and_captions(tmp_path, capsys):
    data = str(captions_folder(tmp_path / "bars"))
    run = str(tmp_path / "run")
    assert main(["train", "--task", "caption", "--data", data, "--valid", data, "--out", run,
                 "--max-steps", "40", "--eval-every", "20", "--lr", "0.01",
                 "--lr-schedule", "constant", *TINY]) == 0
    capsys.readouterr()
    assert main(["eval", run, "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["exact"] == 1.0 and scores["bleu"] == pytest.approx(100.0)
    assert scores["images"] == 4 and scores["split"] == "valid"
    assert main(["eval", run, "--beam", "3"]) == 0
    assert "exact match: 1.0000" in capsys.readouterr().out
    assert main(["caption", run, f"{data}/1.png"]) == 0
    assert capsys.readouterr().out == "right bar of the box\n"
    assert main(["caption", run, f"{data}/2.png", f"{data}/3.png", "--beam", "2",
                 "--output", str(tmp_path / "out.txt")]) == 0
    assert (tmp_path / "out.txt").read_text() == (f"{data}/2.png\ttop bar of the box\n"
                                                 f"{data}/3.png\tbottom bar of the box\n")
    assert main(["export", run, "--out", str(tmp_path / "onnx")]) == 0
    assert {"encoder.onnx", "decoder_step.onnx", "vocab.json"} <= {
        p.name for p in (tmp_path / "onnx").iterdir()}
    assert "image (B, D)" in " ".join(json.loads((tmp_path / "onnx" / "export.json")
                                                 .read_text())["usage"])
    capsys.readouterr()
    assert main(["export", run, "--format", "numpy"]) == 2
    assert "export: expected a model the NumPy runtime runs" in capsys.readouterr().err
    pytest.importorskip("fastapi")
    from test_serve import Server

    from elman.serve.app import Served, build_app
    loaded, task = load_run(run)                       # as elman serve loads it
    with Server(build_app([Served("bars", loaded, task)])) as client:
        files = [("file", (f"{k}.png", (tmp_path / "bars" / f"{k}.png").read_bytes()))
                 for k in (1, 3)]
        r = client.post("/v1/bars/caption?beam=2", files=files)
        assert r.status_code == 200, r.text
        assert r.json()["outputs"] == [{"caption": "right bar of the box"},
                                       {"caption": "bottom bar of the box"}]
        r = client.post("/v1/bars/caption", files=[("file", ("x.png", b"not an image"))])
        assert r.status_code == 422 and r.json()["field"] == "file", r.text


def test_the_default_trains_on_generated_composites(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["train", "--task", "caption", "--out", run, "--examples", "40",
                 "--valid-examples", "10", "--max-steps", "2", "--eval-every", "2",
                 "--conv-channels", "4,4,4,4", "--hidden-sizes", "8", "--embed-dim", "4",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "composites of the built-in digit font" in out and "10 valid images" in out


def test_mnist_composites_validate_on_held_out_digits(tmp_path):
    from elman.tasks.caption import CaptionTask, Options
    from elman.training.config import TrainConfig
    images = np.stack([np.full((28, 28), i + 1, np.uint8) for i in range(40)])  # value = which
    labels = (np.arange(40) % 10).astype(np.uint8)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(idx(images))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(idx(labels))
    task = CaptionTask(Options(examples=30, valid_examples=12))
    task.setup(TrainConfig(data=str(tmp_path), valid_fraction=0.25, split_seed=3))
    used = [{int(v) for e in batches.examples for v in e.image.unique() if v}
            for batches in (task.train_batches, task.valid_batches)]
    assert len(used[1]) <= 10 and not used[0] & used[1]          # 10 digits held out
    assert len(task.valid_batches.examples) == 12 and task.n_train == 30
    assert set(task.vocab.tokens) <= {"<unk>", "<s>", "</s>", "a", "an", "above", *NAMES}
    again = CaptionTask(Options(examples=30, valid_examples=12))
    again.setup(TrainConfig(data=str(tmp_path), valid_fraction=0.25, split_seed=3))
    assert again.fingerprint == task.fingerprint


@pytest.mark.parametrize("cell,feed", [("gru", True), ("lstm", False), ("elman", True)])
def test_onnx_graphs_decode_as_the_model_does(cell, feed):
    ort = pytest.importorskip("onnxruntime")
    from elman.export.models import graphs
    torch.manual_seed(2)
    model = Captioner(1, 16, 24, 9, [12, 6], embed_dim=4, cell=cell, conv_channels=[4, 3],
                      image_dim=8, feed_image=feed)
    model(torch.rand(5, 1, 16, 24) * 2 - 1, torch.ones(5, 2, dtype=torch.long))  # BN's stats
    model.eval()
    assert float(model.encoder.convs[1].running_var.min()) != 1.0
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    run = {name: ort.InferenceSession(g.SerializeToString(), options,
                                      providers=["CPUExecutionProvider"])
           for name, g in graphs(model).items()}
    images = torch.rand(3, 1, 16, 24) * 2 - 1
    got = dict(zip([o.name for o in run["encoder"].get_outputs()],
                   run["encoder"].run(None, {"images": images.numpy()})))
    v = model.encoder(images)
    state = model.caption.initial_state(v)
    np.testing.assert_allclose(got["image"], v.detach().numpy(), atol=1e-5)
    context = (state, v)
    token = torch.zeros(3, dtype=torch.long)
    names = [o.name for o in run["decoder_step"].get_outputs()]
    feeds = {k: got[k] for k in got if k != "image"}
    for _ in range(4):                                   # greedy, fed back on both sides
        step_feeds = {"token": token.numpy(), **{k.replace("_", "0_"): a for k, a in
                                                  feeds.items()}}
        if feed:
            step_feeds["image"] = got["image"]
        out = dict(zip(names, run["decoder_step"].run(None, step_feeds)))
        logits, context, _ = model.caption.step(token, context)
        np.testing.assert_allclose(out["logits"], logits.detach().numpy(), atol=1e-5)
        token = logits.argmax(-1)
        feeds = {k: a for k, a in out.items() if k != "logits"}
