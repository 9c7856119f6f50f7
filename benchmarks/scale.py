"""Corpora larger than memory: ``elman prepare`` a generated corpus of about 10 MB and one of
at least 4 GB, train the same language model on each for the same steps, and print each
process's peak RSS (``os.wait4``: the process alone) and its tokens/s. Memory stays flat in
the corpus size when the two training rows are within 10% of each other.

    python benchmarks/scale.py                        # char level, 10 MB and 4 GB, in /tmp
    python benchmarks/scale.py --sizes 10M,200M --level word
    python benchmarks/scale.py --sizes 10M,100M --steps 50 --keep   # keep the folders

The corpus is English-like sentences of a seeded vocabulary, written in blocks of 16 MiB
(eight different blocks in a seeded order), generated into --dir (default /tmp/elman-scale;
removed afterwards unless --keep). One thread per process (OMP_NUM_THREADS=1).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BLOCK = 16 << 20
UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def size_of(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]?)", text.strip().upper())
    if not m:
        raise SystemExit(f"--sizes: expected sizes such as 10M,4G, got {text!r}")
    return int(float(m.group(1)) * UNITS.get(m.group(2), 1))


def blocks(seed: int = 0, count: int = 8) -> list[bytes]:
    """``count`` different 16 MiB blocks of sentences over a seeded vocabulary of 5,000 words
    (Zipf-like frequencies), each ending in a newline."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlucmfwypvbgkjqxz"))
    vocab = ["".join(rng.choice(letters, size=rng.integers(1, 9))) for _ in range(5000)]
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    out = []
    for _ in range(count):
        words = rng.choice(len(vocab), size=BLOCK // 5, p=p)
        text = []
        for i, sentence in enumerate(np.split(words, np.arange(12, len(words), 12))):
            text.append(" ".join(vocab[w] for w in sentence).capitalize() + (
                ".\n" if i % 5 == 4 else ". "))
        out.append("".join(text).encode("utf-8")[:BLOCK - 1] + b"\n")
    return out


def write_corpus(path: Path, size: int, pieces: list[bytes], seed: int = 1):
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        written = 0
        while written < size:
            piece = pieces[int(rng.integers(len(pieces)))][:size - written]
            f.write(piece)
            written += len(piece)


def measured(argv: list[str]) -> tuple[str, float, float]:
    """(stdout, peak RSS in MiB, wall seconds) of ``python -m elman.cli ARGV``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-m", "elman.cli", *argv], env=env,
                         stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"elman {' '.join(argv)} failed with {p.returncode}:\n{out}")
    return out, usage.ru_maxrss / 1024, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10M,4G", help="corpus sizes (default: 10M,4G)")
    ap.add_argument("--level", default="char", help="char, word or subword (2000 pieces; "
                    "default: char)")
    ap.add_argument("--steps", type=int, default=300, help="training steps (default: 300)")
    ap.add_argument("--dir", default="/tmp/elman-scale", help="where the corpora go")
    ap.add_argument("--keep", action="store_true", help="keep the corpora and folders")
    args = ap.parse_args()
    sizes = [size_of(s) for s in args.sizes.split(",")]
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < 2.2 * max(sizes):
        raise SystemExit(f"{folder}: {free / 2**30:.1f} GiB free, need about "
                         f"{2.2 * max(sizes) / 2**30:.1f}")
    pieces = blocks()
    rows = []
    try:
        for size in sizes:
            text, prepared = folder / f"corpus-{size}.txt", folder / f"prepared-{size}"
            t0 = time.monotonic()
            write_corpus(text, size, pieces)
            made = time.monotonic() - t0
            out, prep_rss, prep_s = measured(["prepare", "--data", str(text), "--out",
                                              str(prepared), "--level", args.level])
            count = int(re.search(r": ([\d,]+) ", out).group(1).replace(",", ""))
            text.unlink()
            train = ["train", "--task", "lm", "--level", args.level, "--data", str(prepared),
                     "--hidden-sizes", "128", "--embed-dim", "32", "--batch-size", "32",
                     "--seq-len", "100", "--max-steps", str(args.steps), "--eval-every",
                     str(args.steps), "--valid-fraction", "0", "--max-minutes", "none",
                     "--sample-length", "0", "--tensorboard", "false", "--quiet",
                     "--out", str(folder / f"run-{size}")]
            out, rss, wall = measured(train)
            speed = float(re.search(r"([\d,]+) tokens/s", out).group(1).replace(",", ""))
            rows.append((size, count, made, prep_s, prep_rss, wall, rss, speed))
            shutil.rmtree(folder / f"run-{size}", ignore_errors=True)
            if not args.keep:
                shutil.rmtree(prepared, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"level {args.level}, GRU [128], embedding 32, batches of 32 x 100, {args.steps} "
          "steps, one thread")
    print(f"{'corpus':>10} {'tokens':>15} {'write s':>8} {'prepare s':>10} {'prep tok/s':>12} "
          f"{'prep RSS MiB':>13} {'train s':>8} {'train RSS MiB':>14} {'train tok/s':>12}")
    for size, count, made, prep_s, prep_rss, wall, rss, speed in rows:
        print(f"{size / 2**20:>8,.0f}Mi {count:>15,} {made:>8.1f} {prep_s:>10.1f} "
              f"{count / prep_s:>12,.0f} {prep_rss:>13,.0f} {wall:>8.1f} {rss:>14,.0f} "
              f"{speed:>12,.0f}")
    if len(rows) > 1:
        small, large = rows[0][6], rows[-1][6]
        print(f"train peak RSS, largest / smallest corpus: {large / small:.3f} "
              f"({'within' if abs(large / small - 1) <= 0.10 else 'NOT within'} 10%)")


if __name__ == "__main__":
    main()
