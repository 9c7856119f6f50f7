"""The files the catalogue's rows read, written once per test module into a folder of their
own (``make``), so that no row can touch the repository: a copy of the committed fixture
runs and data (tests/fixtures/v0 and v1, runs and data, at the same relative paths: the rows
run from that folder), and in ``bad/`` the broken files and run copies: ``FILES`` {name:
(content, what it is)}, ``FOLDERS`` {name: ({file: content}, what it is)} and ``RUNS`` {name:
(fixture run copied (a run name of v0 or v1), what was broken, how)}."""

import io
import json
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
VERSIONS = ("v0", "v1")          # the fixture folders copied; their run names differ


def wav(samples, rate: int = 8000, subtype: str = "PCM_16") -> bytes:
    import soundfile
    buf = io.BytesIO()
    soundfile.write(buf, np.asarray(samples, dtype=np.float32), rate, format="WAV",
                    subtype=subtype)
    return buf.getvalue()


def tone(seconds: float = 0.15, hz: float = 440.0, rate: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * hz * t)


def png(height: int = 8, width: int = 12) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width), 200, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG file of a few bytes whose header claims a huge grey image (a decompression
    bomb: Pillow refuses to open it)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0,
                                                              0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def conllu(*rows: str) -> str:
    """CoNLL-U lines from 'ID FORM UPOS' rows (the other columns '_')."""
    out = []
    for row in rows:
        if not row:
            out.append("")
            continue
        i, form, upos = row.split()
        out.append("\t".join([i, form, form.lower(), upos, "_", "_", "0", "dep", "_", "_"]))
    return "\n".join(out) + "\n"


SENTENCE = ("1 The DET", "2 cat NOUN", "3 sat VERB")

FILES = {
    # text: lm, and any file read as text
    "latin1.txt": ("café au lait".encode("latin-1"), "Latin-1, not UTF-8"),
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"  \n\n\t\n", "only whitespace"),
    "one-char.txt": (b"a", "one character"),
    "unknown.txt": ("\u2603\u2603\u2603 snowmen".encode(), "characters the lm run never saw"),
    # config files
    "unknown-key.yaml": ("learning_rate: 3\n", "a key no section has"),
    "section-key.yaml": ("model:\n  colour: red\n", "an unknown key in a section"),
    "broken.yaml": ("model: [unclosed\n", "not YAML"),
    "broken.toml": ("lr = \n", "not TOML"),
    "list.yaml": ("- 1\n- 2\n", "a list, not a mapping"),
    "settings.json": ("{}\n", "JSON, not YAML or TOML"),
    "bad-value.yaml": ("hidden_sizes: [4, x]\n", "a width that is not a number"),
    "unknown-task.yaml": ("task: nope\n", "a task that does not exist"),
    "tag-vectors.yaml": ("task: tag\nvectors: wordllama\n", "a setting of classify, for tag"),
    "latin1.yaml": ("lr: 0.001 # café\n".encode("latin-1"), "Latin-1 YAML"),
    # classify
    "no-label.tsv": ("sentence\tlabel\na good film\t1\nno label here\n", "a row without label"),
    "empty-label.tsv": ("a good film\t1\na bad film\t \n", "a row with an empty label"),
    "empty-text.tsv": ("a good film\t1\n\t0\n", "a row with an empty text"),
    "carriage-return.tsv": ("a good\rfilm\t1\nbad\t0\n", "a lone CR inside a field"),
    "header-only.tsv": ("sentence\tlabel\n", "a header and no rows"),
    "one-label.tsv": ("a good film\t1\nanother good film\t1\nfine\t1\n", "one label only"),
    "new-label.tsv": ("a good film\tmaybe\n", "a label the classify run does not know"),
    "three-columns.tsv": ("a\tb\tc\nx\ty\tz\n", "a header a, b, c (no column named text)"),
    # tag
    "no-tag.conllu": (conllu(*SENTENCE[:2], "3 sat _"), "'_' in the UPOS column"),
    "nine-columns.conllu": ("1\tThe\tthe\tDET\t_\t_\t0\tdep\t_\n", "a line of 9 columns"),
    "bad-id.conllu": (conllu("x The DET"), "an ID that is not a number"),
    "comments.conllu": ("# sent_id = 1\n# text = nothing\n", "comments and no sentence"),
    "one-tag.conllu": (conllu("1 a NOUN", "2 b NOUN", "", "1 c NOUN"), "one tag only"),
    "new-tag.conllu": (conllu("1 The DET", "2 cat XYZ"), "a tag the tag run does not know"),
    # forecast
    "inf.csv": ("value\n" + "".join(f"{i % 7}\n" for i in range(40)) + "inf\n",
                "an infinite value"),
    "huge.csv": ("value\n" + "".join(f"{i % 7}\n" for i in range(40)) + "1e400\n",
                 "a value past float64 (read as infinity)"),
    "text-value.csv": ("value\n1\n2\nabc\n4\n", "a value that is not a number"),
    "gap.csv": ("t,value\n1,1\n2,\n3,3\n", "a missing value"),
    "two-numeric.csv": ("a,b\n1,2\n3,4\n", "two numeric columns and no --column"),
    "empty.csv": (b"", "empty"),
    "header-only.csv": ("value\n", "a header and no rows"),
    "short.csv": ("value\n1\n2\n3\n4\n5\n", "5 values (a window of 12 needs more)"),
    "dup-times.csv": ("t,value\n1,1\n1,2\n2,3\n", "a time twice"),
    "bad-times.csv": ("t,value\n2020-01-01,1\nsoon,2\n", "a time that is not a date"),
    "all-missing.csv": ("t,value\n1,\n2,\n", "no values at all"),
    # music
    "music-object.json": ('{"pieces": []}', "an object, not a list of pieces"),
    "music-empty.json": ("[]", "no pieces"),
    "music-short.json": ("[[[60]]]", "a piece of one step"),
    "music-pitch.json": ("[[[60], [200]]]", "pitch 200, off the piano"),
    "music-float.json": ("[[[60.5], [60]]]", "a pitch that is not an integer"),
    "music-bool.json": ("[[[true], [60]]]", "true as a pitch"),
    "music-step.json": ("[[60, [61]]]", "a step that is not a list"),
    "music-broken.json": ("[[[60]", "not JSON"),
    # translate
    "no-tab.tsv": ("I am cold.\tJ'ai froid.\nhello world\n", "a line without a tab"),
    "empty-target.tsv": ("I am cold.\tJ'ai froid.\nhello\t \n", "a line with an empty target"),
    "empty-source.tsv": ("I am cold.\tJ'ai froid.\n \tbonjour\n", "a line with an empty source"),
    # predict inputs of sort, add, translate
    "sort-bad.txt": ("5 3 9 1\n5 x 1\n", "a token that is not an integer (line 2)"),
    "sort-long.txt": ("1 2 3 4 5 6 7\n", "7 numbers (the sort run saw at most 4)"),
    "add-bad.txt": ("1 - 2\n", "a minus sign"),
    "long-sentence.txt": (" ".join(["cold"] * 60) + "\n", "a 60-word sentence"),
    # WAV files
    "empty.wav": (lambda: wav([]), "a WAV file with no samples"),
    "short.wav": (lambda: wav(tone(0.002)), "16 samples, less than one analysis window"),
    "nan.wav": (lambda: wav([0.1, float("nan")] * 400, subtype="FLOAT"), "float samples, NaN"),
    "text.wav": (b"RIFF not really a wav file", "not a WAV file"),
    # images (caption, frames)
    "bomb.png": (png_bomb, "a PNG of 100,000 x 100,000 pixels in 68 bytes"),
    "cut.png": (lambda: png(28, 56)[:60], "the first 60 bytes of a PNG"),
    "digit-nan.npy": (lambda: npy(np.full((28, 28), np.nan, np.float32)), "a 28 x 28 image "
                      "of NaN"),
    "digit-wide.npy": (lambda: npy(np.zeros((28, 20), np.uint8)), "a 28 x 20 image"),
    # inputs of the memory runs
    "adding-three.txt": ("0.1* 0.2* 0.3*\n", "three marked values"),
    "copy-memory-long.txt": ("1 2\n1 2 3\n", "3 symbols on line 2 (the run recalls 2)"),
    "parity-text.txt": ("0110\nyes\n", "a word, not bits (line 2)"),
}


def npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def clip(T: int = 3, size: int = 4):
    return lambda: npy(np.zeros((T, size, size), np.uint8))


FOLDERS = {
    "wavs-empty": ({}, "a folder without WAV files"),
    "wavs-names": ({"hello.wav": lambda: wav(tone())}, "a WAV file named hello.wav"),
    "wavs-corrupt": ({"1_alice_0.wav": b"not a wav", "2_alice_0.wav": lambda: wav(tone())},
                     "a corrupt WAV file"),
    "wavs-two-digits": ({"12_alice_0.wav": lambda: wav(tone())}, "a recording of two digits"),
    "wavs-one-digit": ({f"3_alice_{i}.wav": lambda: wav(tone()) for i in range(4)},
                       "recordings of one digit"),
    "wavs-new-digit": ({"7_alice_0.wav": lambda: wav(tone())},
                       "digit 7, which the digits run never heard"),
    "wavs-empty-file": ({"1_alice_0.wav": lambda: wav([]), "2_alice_0.wav": lambda: wav(tone())},
                        "a WAV file with no samples"),
    "clips-no-csv": ({"a.npy": clip()}, "a clip and no labels.csv"),
    "clips-no-header": ({"a.npy": clip(), "labels.csv": "a.npy,1\n"},
                        "labels.csv without a header"),
    "clips-missing": ({"labels.csv": "clip,label\nb.npy,1\n"}, "a clip that is not there"),
    "clips-shape": ({"a.npy": lambda: npy(np.zeros(5)), "labels.csv": "clip,label\na.npy,1\n"},
                    "an array of shape (5,), not frames"),
    "clips-pickle": ({"a.npy": lambda: npy(np.array([{"x": 1}] * 3, dtype=object)),
                      "labels.csv": "clip,label\na.npy,1\n"}, "a pickled object array"),
    "clips-frame-labels": ({"a.npy": clip(), "labels.csv":
                            "clip,label,frame_labels\na.npy,1,x y\n"},
                           "2 frame labels for 3 frames"),
    "clips-sizes": ({"a.npy": clip(), "b.npy": clip(size=5),
                     "labels.csv": "clip,label\na.npy,1\nb.npy,2\n"},
                    "clips of 4 x 4 and 5 x 5 frames"),
    "clips-no-frame-labels": ({"a.npy": clip(), "b.npy": clip(),
                               "labels.csv": "clip,label\na.npy,1\nb.npy,2\n"},
                              "clips without frame_labels"),
    "clips-npz-two": ({"a.npz": lambda: npz(a=np.zeros((3, 4, 4)), b=np.zeros((3, 4, 4))),
                       "labels.csv": "clip,label\na.npz,1\n"}, "an .npz of two arrays"),
    "clips-text": ({"a.npy": lambda: npy(np.array([["a"] * 4] * 4 * 3).reshape(3, 4, 4)),
                    "labels.csv": "clip,label\na.npy,1\n"}, "an array of strings"),
    "clips-nan": ({"a.npy": lambda: npy(np.full((3, 4, 4), np.nan)),
                   "labels.csv": "clip,label\na.npy,1\n"}, "NaN pixels"),
    "clips-not-png": ({"a/0.png": b"not a png", "labels.csv": "clip,label\na,1\n"},
                      "a frame that is not a PNG"),
    "clips-no-png": ({"a/notes.txt": b"x", "labels.csv": "clip,label\na,1\n"},
                     "a clip folder without PNG frames"),
    "clips-no-label": ({"a.npy": clip(), "labels.csv": "clip,label\na.npy, \n"},
                       "a clip without a label"),
    "clips-one-label": ({"a.npy": clip(), "b.npy": clip(),
                         "labels.csv": "clip,label\na.npy,1\nb.npy,1\n"}, "one label only"),
    "mnist-gzip": ({"train-images-idx3-ubyte.gz": b"\x1f\x8bnot gzip",
                    "train-labels-idx1-ubyte": b"\x00\x00\x08\x01\x00\x00\x00\x00"},
                   "MNIST images that are not gzip despite the name"),
    "mnist-no-labels": ({"train-images-idx3-ubyte": b"\x00\x00\x08\x01\x00\x00\x00\x00"},
                        "MNIST images without the labels file"),
    "mnist-corrupt": ({"train-images-idx3-ubyte": b"\x00\x00\x0d\x03junk",
                       "train-labels-idx1-ubyte": b"\x00\x00\x08\x01\x00\x00\x00\x00"},
                      "MNIST images whose header is not IDX bytes"),
    # caption: folders of images with captions.tsv, MNIST's IDX files
    "captions-no-tab": ({"captions.tsv": "a.png a grey box\n", "a.png": png},
                        "a captions.tsv line without a tab"),
    "captions-missing": ({"captions.tsv": "a.png\ta grey box\nb.png\tanother\n", "a.png": png},
                         "a caption of an image that is not there"),
    "captions-corrupt": ({"captions.tsv": "a.png\ta grey box\n", "a.png": b"not a png"},
                         "an image file that is no image"),
    "captions-empty": ({"captions.tsv": ""}, "an empty captions.tsv"),
    "mnist-not-gzip": ({"train-images-idx3-ubyte.gz": b"not gzip",
                       "train-labels-idx1-ubyte.gz": b"not gzip"}, "IDX files that are not gzip"),
    "prepared-new": ({"prepared.json": '{"format": 2}', "tokens.bin": b"",
                      "vocab.json": "{}"}, "a prepared folder of a newer format"),
    "prepared-short": ({"prepared.json": json.dumps(
        {"format": 1, "dtype": "uint8", "count": 10, "level": "char", "lowercase": False,
         "min_count": 1, "sources": [], "sha256": ""}), "tokens.bin": b"abcde",
        "vocab.json": '{"level": "char", "unk": "a", "tokens": ["a", "b"]}'},
        "a prepared folder whose tokens.bin is shorter than its count"),
    "prepared-chars": ({"prepared.json": json.dumps(
        {"format": 1, "dtype": "uint8", "count": 4, "level": "char", "lowercase": False,
         "min_count": 1, "sources": [], "sha256": ""}), "tokens.bin": b"\x00\x01\x01\x00",
        "vocab.json": '{"level": "char", "unk": "a", "tokens": ["a", "b"]}'},
        "a prepared folder of 4 characters"),
}


def json_edit(path: str, change):
    """An edit of a run copy: load the JSON file at ``path``, ``change`` it in place, save."""
    def edit(run: Path):
        p = run / path
        data = json.loads(p.read_text(encoding="utf-8"))
        change(data)
        p.write_text(json.dumps(data), encoding="utf-8")
    return edit


def tensors_edit(path: str, change):
    """An edit of a run copy's safetensors file."""
    def edit(run: Path):
        import safetensors.torch
        p = run / path
        tensors = safetensors.torch.load(p.read_bytes())
        change(tensors)
        p.write_bytes(safetensors.torch.save(tensors))
    return edit


def write(path: str, content: bytes):
    def edit(run: Path):
        (run / path).write_bytes(content)
    return edit


def remove(path: str):
    def edit(run: Path):
        p = run / path
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return edit


def nan_weight(tensors):
    tensors["rnn.layers.0.W_R"][0, 0] = float("nan")


def step_ten(state):
    state["step"] = "ten"


RUNS = {
    "lm-nan": ("lm", "a NaN in best/ W_R", tensors_edit("best/model.safetensors", nan_weight)),
    "lm-inf": ("lm", "an infinity in best/ output.bias", tensors_edit(
        "best/model.safetensors", lambda t: t["output.bias"].fill_(float("inf")))),
    "lm-int": ("lm", "best/ output.bias stored as int64", tensors_edit(
        "best/model.safetensors", lambda t: t.update({"output.bias": t["output.bias"].long()}))),
    "lm-missing-tensor": ("lm", "best/ without output.bias", tensors_edit(
        "best/model.safetensors", lambda t: t.pop("output.bias"))),
    "lm-corrupt": ("lm", "best/model.safetensors is not safetensors",
                   write("best/model.safetensors", b"not a safetensors file")),
    "lm-empty": ("lm", "no best/ and no checkpoint/",
                 lambda run: [remove("best")(run), remove("checkpoint")(run)]),
    "lm-config-broken": ("lm", "best/config.json is not JSON",
                         write("best/config.json", b"{\"architecture\": ")),
    "lm-config-missing": ("lm", "no best/config.json", remove("best/config.json")),
    "lm-config-list": ("lm", "best/config.json is a JSON list", write("best/config.json", b"[]")),
    "lm-format-new": ("lm", "best/config.json: format 3 (a newer elman's)", json_edit(
        "best/config.json", lambda c: c.update(format=3))),
    "lm-format-old": ("lm", "best/config.json: format 0 (older than any elman reads)",
                      json_edit("best/config.json", lambda c: c.update(format=0))),
    "lm-format-none": ("lm", "best/config.json without format", json_edit(
        "best/config.json", lambda c: c.pop("format"))),
    "lm-no-architecture": ("lm", "best/config.json without architecture", json_edit(
        "best/config.json", lambda c: c.pop("architecture"))),
    "lm-architecture": ("lm", "best/config.json names a transformer", json_edit(
        "best/config.json", lambda c: c.update(architecture="transformer"))),
    "lm-architecture-list": ("lm", "best/config.json: architecture []", json_edit(
        "best/config.json", lambda c: c.update(architecture=[]))),
    "lm-arguments-list": ("lm", "best/config.json: arguments [1]", json_edit(
        "best/config.json", lambda c: c.update(arguments=[1]))),
    "lm-train-number": ("lm", "best/config.json in the flat format, train 1", json_edit(
        "best/config.json", lambda c: c.update(train=1, task="lm"))),
    "lm-arguments": ("lm", "best/config.json: hidden_sizes [-1]", json_edit(
        "best/config.json", lambda c: c["arguments"].update(hidden_sizes=[-1]))),
    "lm-arguments-key": ("lm", "best/config.json: an argument colour", json_edit(
        "best/config.json", lambda c: c["arguments"].update(colour="red"))),
    "lm-huge": ("lm", "best/config.json: hidden_sizes [1000000000]", json_edit(
        "best/config.json", lambda c: c["arguments"].update(hidden_sizes=[10**9]))),
    "lm-big": ("lm", "best/config.json: hidden_sizes [20000], the weights are of 4", json_edit(
        "best/config.json", lambda c: c["arguments"].update(hidden_sizes=[20000]))),
    "lm-shape": ("lm", "best/config.json: hidden_sizes [5], the weights are of 4", json_edit(
        "best/config.json", lambda c: c["arguments"].update(hidden_sizes=[5]))),
    "lm-task": ("lm", "config.json names the task nope", lambda run: [json_edit(
        f"{d}/config.json", lambda c: c.update(task="nope"))(run) for d in ("best",
                                                                           "checkpoint")]),
    "lm-setting": ("lm", "best/config.json: train.lr -1", json_edit(
        "best/config.json", lambda c: c["train"].update(lr=-1))),
    "lm-vocab-missing": ("lm", "no best/vocab.json", remove("best/vocab.json")),
    "lm-vocab-broken": ("lm", "best/vocab.json is not JSON", write("best/vocab.json", b"{")),
    "lm-vocab-twice": ("lm", "best/vocab.json lists a token twice", json_edit(
        "best/vocab.json", lambda v: v["tokens"].__setitem__(2, v["tokens"][1]))),
    "lm-vocab-short": ("lm", "best/vocab.json has one token fewer than the embedding",
                       json_edit("best/vocab.json", lambda v: v["tokens"].pop())),
    "lm-vocab-list": ("lm", "best/vocab.json is a list", write("best/vocab.json", b"[]")),
    "lm-step": ("lm", 'checkpoint/trainer_state.json: "step": "ten"', json_edit(
        "checkpoint/trainer_state.json", step_ten)),
    "lm-best-score": ("lm", 'checkpoint/trainer_state.json: "best_score": "low"', json_edit(
        "checkpoint/trainer_state.json", lambda s: s.update(best_score="low"))),
    "lm-rng": ("lm", "checkpoint/trainer_state.json: rng not base64", json_edit(
        "checkpoint/trainer_state.json", lambda s: s.update(rng="not base64!"))),
    "lm-world": ("lm", "checkpoint/trainer_state.json: world_size 2 (2 processes)",
                 json_edit("checkpoint/trainer_state.json", lambda s: s.update(world_size=2))),
    "lm-world-text": ("lm", 'checkpoint/trainer_state.json: "world_size": "two"', json_edit(
        "checkpoint/trainer_state.json", lambda s: s.update(world_size="two"))),
    "lm-no-step": ("lm", "checkpoint/trainer_state.json without step", json_edit(
        "checkpoint/trainer_state.json", lambda s: s.pop("step"))),
    "lm-state-missing": ("lm", "no checkpoint/trainer_state.json",
                         remove("checkpoint/trainer_state.json")),
    "lm-state-list": ("lm", "checkpoint/trainer_state.json is a list",
                      write("checkpoint/trainer_state.json", b"[1, 2]")),
    "lm-optimizer": ("lm", "checkpoint/optimizer.safetensors is not safetensors",
                     write("checkpoint/optimizer.safetensors", b"garbage")),
    "lm-stream": ("lm", "checkpoint/stream_state.safetensors is not safetensors",
                  write("checkpoint/stream_state.safetensors", b"garbage")),
    "lm-no-checkpoint": ("lm", "best/ only, no checkpoint/", remove("checkpoint")),
    "lm-data": ("lm", "checkpoint/config.json trained on another text", json_edit(
        "checkpoint/config.json", lambda c: c["train"].update(
            data="tests/fixtures/v0/data/pairs.tsv"))),
    "classify-average": ("classify", "no checkpoint/average.safetensors (the run has ema)",
                         remove("checkpoint/average.safetensors")),
    "classify-labels": ("classify", "no best/task.json (the labels)", remove("best/task.json")),
    "digits-task": ("digits", "best/task.json without the normaliser", json_edit(
        "best/task.json", lambda m: m.pop("normaliser"))),
    "forecast-scaler": ("forecast", 'best/task.json: "mean": "high"', json_edit(
        "best/task.json", lambda m: m.update(mean="high"))),
    "translate-task": ("translate", "no best/task.json (the target vocabulary)",
                       remove("best/task.json")),
    "frames-task": ("frames", "best/task.json without frame_shape", json_edit(
        "best/task.json", lambda m: m.pop("frame_shape"))),
    "frames-labels": ("frames", "best/task.json lists 3 labels, the model has 10 outputs",
                      json_edit("best/task.json", lambda m: m.update(labels=["a", "b", "c"]))),
    "caption-task": ("caption", "no best/task.json (the longest caption)",
                     remove("best/task.json")),
    "caption-vocab": ("caption", "best/vocab.json without </s>", json_edit(
        "best/vocab.json", lambda v: v["tokens"].remove("</s>"))),
    "reply-replies": ("reply", "best/task.json: replies 5", json_edit(
        "best/task.json", lambda m: m.update(replies=5))),
    "reply-task": ("reply", "no best/task.json (the candidate replies)",
                   remove("best/task.json")),
    "parity-length": ("parity", "best/config.json: task.length 0", json_edit(
        "best/config.json", lambda c: c["task"].update(length=0))),
}


def materialise(content):
    content = content() if callable(content) else content
    return content.encode("utf-8") if isinstance(content, str) else content


def make(root: Path) -> Path:
    """Copy the fixture runs and data to ``root``/tests/fixtures/v0 and v1 and write FILES,
    FOLDERS and the RUNS copies under ``root``/bad (returned)."""
    copy = root / FIXTURES.relative_to(ROOT)
    for version in VERSIONS:
        for part in ("runs", "data"):
            shutil.copytree(FIXTURES / version / part, copy / version / part)
    root = root / "bad"
    root.mkdir()
    for name, (content, _) in FILES.items():
        (root / name).write_bytes(materialise(content))
    for name, (files, _) in FOLDERS.items():
        (root / name).mkdir()
        for file, content in files.items():
            (root / name / file).parent.mkdir(exist_ok=True)       # "clip/0.png": a subfolder
            (root / name / file).write_bytes(materialise(content))
    (root / "runs").mkdir()
    for name, (source, _, edit) in RUNS.items():
        found = [copy / v / "runs" / source for v in VERSIONS
                 if (copy / v / "runs" / source).is_dir()]
        shutil.copytree(found[0], root / "runs" / name)
        edit(root / "runs" / name)
    return root
