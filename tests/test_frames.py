"""The frames task: IDX reading, the built-in font, sequential and moving-digit clips, a
folder of the user's clips (.npy, .npz, PNG frames), the frame encoder and model, a tiny
overfit and the command line end to end."""

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from elman.cli import main
from elman.data import clips, digit_images
from elman.errors import ElmanError
from elman.models.frames import FramesModel
from elman.tasks import get_task
from elman.training.config import ModelConfig, TrainConfig

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def idx(array: np.ndarray) -> bytes:
    """The IDX bytes of a uint8 array, written from the format's definition."""
    head = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big")
                                                   for d in array.shape)
    return head + array.astype(np.uint8).tobytes()


def test_idx_files_read_back_gzipped_or_not(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx(images)))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx(np.array([7, 1])))
    got, labels = digit_images.read_mnist(tmp_path)
    assert np.array_equal(got, images) and labels.tolist() == [7, 1]
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx(np.array([7, 1]))[:-1])
    with pytest.raises(ElmanError, match="data: expected 2 bytes of data after the header"):
        digit_images.read_mnist(tmp_path)


@pytest.mark.skipif(not MNIST.is_dir(), reason="no shared MNIST beside this checkout")
def test_the_shared_mnist_reads_as_60000_digits():
    images, labels = digit_images.read_mnist(MNIST)
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert sorted(set(labels.tolist())) == list(range(10)) and images.max() == 255


def test_font_digits_are_seeded_and_cover_the_ten_digits():
    a, la = digit_images.font_digits(40, seed=3)
    b, lb = digit_images.font_digits(40, seed=3)
    c, _ = digit_images.font_digits(40, seed=4)
    assert a.shape == (40, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, b) and np.array_equal(la, lb) and not np.array_equal(a, c)
    assert sorted(la.tolist()) == sorted(list(range(10)) * 4)
    ones = a[la == 1].astype(float).mean()
    eights = a[la == 8].astype(float).mean()
    assert eights > ones                       # an 8 has more ink than a 1


def test_sequential_rows_and_permuted_pixels():
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    rows = clips.sequential(images, np.array([4, 5, 6]))
    assert rows[1].frames.shape == (28, 1, 1, 28) and rows[1].label == "5"
    assert np.array_equal(rows[1].frames[:, 0, 0].numpy(), images[1])
    order = np.random.default_rng(1).permutation(784)
    pixels = clips.sequential(images, np.array([4, 5, 6]), pixels=True, permutation=order)
    assert pixels[2].frames.shape == (784, 1, 1, 1)
    assert np.array_equal(pixels[2].frames.flatten().numpy(), images[2].reshape(-1)[order])


def centre(frame: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(frame)
    return np.array([ys.min() + ys.max(), xs.min() + xs.max()]) / 2


def test_moving_digits_labels_follow_the_motion():
    """Each frame's label is the direction in which the ink's bounding box moved."""
    images, labels = digit_images.font_digits(20, seed=0)
    images[:, :, :] = np.where(images > 100, 255, 0)       # crisp boxes
    made = clips.moving(images, labels, 12, frames=(6, 9), size=40, digits=2, seed=5)
    steps = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
    for c in made:
        f = c.frames.numpy()[:, 0]
        assert 6 <= len(f) <= 9 and f.shape[1:] == (40, 40)
        assert c.frame_labels[0] == "start" and len(c.frame_labels) == len(f)
        digits, first = c.label.split()
        assert len(digits) == 2 and first == c.frame_labels[1]
        for t in range(1, len(f)):
            moved = np.sign(centre(f[t]) - centre(f[t - 1]))
            assert tuple(moved) == steps[c.frame_labels[t]], (c.name, t)


def write_clips(folder: Path, n: int = 8, T: int = 5, size: int = 8) -> list[str]:
    """n clips of a bright square moving right or left, as .npy, .npz and PNG frames, and
    labels.csv with frame labels; returns the clip names."""
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    rows, names = ["clip,label,frame_labels"], []
    for i in range(n):
        right = i % 2 == 0
        frames = np.zeros((T, size, size), np.uint8)
        for t in range(T):
            x = t if right else size - 2 - t
            frames[t, 2:5, x:x + 2] = 255
        kind = ("npy", "npz", "png")[i % 3]
        name = f"c{i}.{kind}" if kind != "png" else f"c{i}"
        if kind == "npy":
            np.save(folder / name, frames)
        elif kind == "npz":
            np.savez(folder / name, frames=frames)
        else:
            (folder / name).mkdir()
            for t in range(T):
                Image.fromarray(frames[t]).save(folder / name / f"{t:03d}.png")
        label = "right" if right else "left"
        rows.append(f"{name},{label},start {' '.join([label] * (T - 1))}")
        names.append(name)
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return names


def test_a_folder_of_npy_npz_and_png_clips(tmp_path):
    names = write_clips(tmp_path / "clips", n=6)
    read = clips.read_folder(tmp_path / "clips")
    assert [c.name for c in read] == names
    for c in read:
        assert c.frames.shape == (5, 1, 8, 8) and c.frames.dtype == torch.uint8
        assert c.frame_labels[0] == "start"
    assert torch.equal(read[0].frames, read[2].frames)       # the npy and the PNG folder
    rgb = np.zeros((3, 4, 6, 3), np.float32)
    assert clips.as_frames(rgb, "x").shape == (3, 3, 4, 6)


def test_the_cnn_encoder_shapes_and_padding_does_not_change_a_clip():
    torch.manual_seed(0)
    model = FramesModel([3, 12, 10], [16], 5, "gru", channels=[4, 8], frame_dim=24).eval()
    assert model.encode(torch.rand(2, 7, 3, 12, 10)).shape == (2, 7, 24)
    x = torch.rand(2, 7, 3, 12, 10)
    both = model(x, torch.tensor([7, 4]))                                   # (2, 5)
    alone = model(x[1:, :4], torch.tensor([4]))
    torch.testing.assert_close(both[1:], alone)
    per_frame = FramesModel([2, 1, 3], [8], 3, encoder="flat", per_frame=True)
    x = torch.rand(2, 6, 2, 1, 3)
    assert per_frame.rnn.input_size == 6
    torch.testing.assert_close(per_frame(x), per_frame.head(x.reshape(2, 6, 6)))
    assert per_frame(x).shape == (2, 6, 3)


def fresh(**options):
    cls = get_task("frames")
    from elman.options import make
    return cls(make(cls.Options, options))


def test_a_tiny_overfit_of_moving_digits_per_frame():
    """A CNN + GRU learns the direction of every frame of 16 moving-digit clips."""
    torch.manual_seed(0)
    task = fresh(clips="moving", target="frame", examples=16, frames_min=4, frames_max=6,
                 frame_size=20, channels=[8], frame_dim=32)
    task.setup(TrainConfig(valid_fraction=0.0, batch_size=16))
    assert task.encoder == "cnn" and task.frame_shape == (1, 20, 20)
    assert set(task.labels) <= {"start", "up", "down", "left", "right"}
    model = task.build_model(ModelConfig(hidden_sizes=[32], dropout=0.0))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(40):
        for batch in task.train_batches.epoch(step):
            loss, _ = task.loss(model, batch.x, batch.y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    metrics = task.evaluate(model, task.train_batches)
    assert metrics["accuracy"] == 1.0 and metrics["tokens"] == sum(
        len(f) for f, _ in task.train_batches.examples)


def test_predict_reads_an_image_as_training_read_it_permuted_pixels_too():
    task = fresh(examples=12, pixels=True, permute=True, data_seed=5)
    made = task.load(None)
    task.reads = task.reading(None)
    image = digit_images.font_digits(12, seed=5)[0][7]
    assert task.reads_images and made[7].frames.shape == (784, 1, 1, 1)
    assert torch.equal(task.input_clip(image, "x"), made[7].frames)
    assert not torch.equal(task.input_clip(image, "x"), made[6].frames)


def test_whole_numbers_are_pixels_0_to_255_as_json_sends_them():
    """An image sent as JSON's whole numbers (int64 here) reads as the same uint8 image; a
    clip too; integers outside 0..255 are refused."""
    task = fresh(examples=12)
    task.load(None)
    task.reads = task.reading(None)
    image = digit_images.font_digits(12, seed=5)[0][3]          # uint8 (28, 28)
    as_json = np.asarray(image.tolist())
    assert as_json.dtype == np.int64
    assert torch.equal(task.input_clip(as_json, "x"), task.input_clip(image, "x"))
    clip = np.stack([image, image])
    assert torch.equal(clips.as_frames(clip.astype(np.int64), "x"),
                       clips.as_frames(clip, "x"))
    with pytest.raises(ElmanError, match=r"x: expected integer pixels in 0\.\.255 \(or "
                       r"floats\), got integers from -1 to 2\d\d$"):
        task.input_clip(np.where(as_json == 0, -1, as_json), "x")


def test_frame_targets_need_frame_labels_and_permute_needs_pixels():
    with pytest.raises(ElmanError, match="target: expected clip for clips without a label"):
        fresh(target="frame", examples=10).load(None)
    with pytest.raises(ElmanError, match="permute: expected false unless pixels is true"):
        fresh(permute=True, examples=10).load(None)


def cli(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_train_eval_and_predict_a_folder_of_clips(tmp_path, capsys):
    names = write_clips(tmp_path / "clips", n=12)
    run = tmp_path / "run"
    cli(capsys, "train", "--task", "frames", "--data", str(tmp_path / "clips"), "--out",
        str(run), "--max-steps", "40", "--eval-every", "20", "--batch-size", "4",
        "--hidden-sizes", "16", "--channels", "4", "--frame-dim", "16", "--lr", "0.01",
        "--valid-fraction", "0.25", "--quiet")
    meta = json.loads((run / "best" / "task.json").read_text())
    assert meta == {"labels": ["left", "right"], "frame_shape": [1, 8, 8], "encoder": "cnn",
                    "reads": "clips"}
    scores = json.loads(cli(capsys, "eval", str(run), "--data", str(tmp_path / "clips"),
                            "--json"))
    assert scores["tokens"] == 12 and scores["split"] == "file"
    out = cli(capsys, "predict", str(run), "--input", str(tmp_path / "clips" / names[0]),
              str(tmp_path / "clips" / names[2]), str(tmp_path / "clips" / names[1]))
    lines = [line.split("\t") for line in out.splitlines()]
    assert [line[0] for line in lines] == [str(tmp_path / "clips" / n) for n in
                                           (names[0], names[2], names[1])]
    assert lines[0][1:] == lines[1][1:]                   # the same frames, as npy and PNGs
    labels = {line[1] for line in lines}
    assert labels <= {"left", "right"} and scores["accuracy"] >= 0.75
    exported(capsys, run, tmp_path / "export", tmp_path / "clips")
    (tmp_path / "clips" / "labels.csv").write_text(f"clip,label\n{names[0]},up\n")
    refused(capsys, "data: expected labels the model knows (left, right), got 'up' in c0.npy",
            "eval", str(run), "--data", str(tmp_path / "clips"))
    refused(capsys, "input: expected --input CLIP [CLIP ...] for a frames run, got none",
            "predict", str(run))
    np.save(tmp_path / "big.npy", np.zeros((3, 9, 9), np.uint8))
    refused(capsys, r"inputs[0]: expected frames of shape (1, 8, 8) (C, H, W), got (1, 9, 9)",
            "predict", str(run), "--input", str(tmp_path / "big.npy"))


def refused(capsys, message: str, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 2
    assert capsys.readouterr().err.strip() == f"elman: error: {message}"


def test_sequential_font_digits_train_and_predict_one_image(tmp_path, capsys):
    run = tmp_path / "run"
    cli(capsys, "train", "--task", "frames", "--examples", "60", "--out", str(run),
        "--max-steps", "2", "--hidden-sizes", "8", "--cell", "elman", "--activation", "relu",
        "--recurrent-init", "identity", "--quiet")
    assert json.loads((run / "best" / "task.json").read_text())["encoder"] == "flat"
    image = digit_images.font_digits(1, seed=9)[0][0]
    np.save(tmp_path / "digit.npy", image)
    out = cli(capsys, "predict", str(run), "--input", str(tmp_path / "digit.npy"))
    label, probability = out.split("\t")[1:]
    assert label in [str(d) for d in range(10)] and 0 < float(probability) <= 1
    from elman.cli import load_run
    loaded, restored = load_run(run)
    answer = restored.predict([loaded.model], [image])[0]
    assert answer["label"] == label
    with pytest.raises(ElmanError, match=r"inputs\[0\]: expected one image \(H, W\)"):
        restored.predict([loaded.model], [np.zeros((3, 28, 28))])
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from elman.serve.app import Served, build_app
    with TestClient(build_app([Served("seq", loaded, restored)])) as client:
        r = client.post("/v1/seq/label", json={"inputs": [image.tolist()]})
        assert r.status_code == 200, r.text
        assert r.json()["outputs"][0]["label"] == label
        r = client.post("/v1/seq/label", json={"inputs": ["/etc/passwd"]})
        assert r.status_code == 422 and r.json()["field"] == "inputs[0]", r.text
        r = client.post("/v1/seq/label", json={"inputs": [[[1, 2], [3]]]})
        assert r.status_code == 422 and "uneven" in r.json()["error"], r.text


def exported(capsys, run: Path, out: Path, folder: Path):
    """The ONNX export of a run computes what its model computes, padding included."""
    ort = pytest.importorskip("onnxruntime")
    cli(capsys, "export", str(run), "--out", str(out))
    from elman.cli import load_run
    loaded, _ = load_run(run)
    batch = clips.collate([(c.frames, 0) for c in clips.read_folder(folder)[:5]])
    batch.x.lengths[1] = 3
    with torch.no_grad():
        want = loaded.model.eval()(batch.x.x, batch.x.lengths).numpy()
    session = ort.InferenceSession(str(out / "model.onnx"))
    got, = session.run(None, {"frames": batch.x.x.numpy(), "lengths": batch.x.lengths.numpy()})
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("encoder, per_frame", [("flat", True), ("cnn", True), ("cnn", False)])
def test_the_onnx_graph_of_every_head_and_encoder(encoder, per_frame):
    ort = pytest.importorskip("onnxruntime")
    from elman.export.models import graphs
    torch.manual_seed(1)
    model = FramesModel([2, 8, 6], [6, 5], 4, "lstm", bidirectional=True, encoder=encoder,
                        channels=[3], frame_dim=7, per_frame=per_frame).eval()
    x, lengths = torch.rand(3, 5, 2, 8, 6), torch.tensor([5, 2, 4])
    with torch.no_grad():
        want = model(x, lengths)
    if per_frame:
        want = want * (torch.arange(5) < lengths[:, None])[..., None]     # padded steps: any
    session = ort.InferenceSession(graphs(model)["model"].SerializeToString())
    got, = session.run(None, {"frames": x.numpy(), "lengths": lengths.numpy()})
    if per_frame:
        got = got * (np.arange(5) < lengths.numpy()[:, None])[..., None]
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-5)
