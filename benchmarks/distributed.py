"""Steps per second of data-parallel training (``elman train --nproc N``) against one process
with the same global batch.

    python benchmarks/distributed.py                         # the main job's model, 60 steps
    python benchmarks/distributed.py --steps 200 --batch-size 16 --hidden-sizes 512

Runs, each a fresh ``elman train`` of the lm task on the built-in corpus with batch N x B in
all (``--batch-size`` B per process), no dropout, one evaluation of one batch at the end:
one process with one thread and with N threads (OMP_NUM_THREADS), then N processes of one
thread each. Each run's figure is its steps over the ``elapsed`` of its last metrics line
(training time: the imports, the data and the start of the processes left out). Prints one
table.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def run(out: Path, nproc: int, threads: int, args) -> float:
    """Steps per second of one run."""
    argv = [sys.executable, "-m", "elman", "train", "--task", "lm", "--out", str(out),
            "--hidden-sizes", args.hidden_sizes, "--seq-len", str(args.seq_len),
            "--batch-size", str(args.batch_size * (args.nproc // nproc)), "--dropout", "0",
            "--max-steps", str(args.steps), "--eval-every", str(args.steps),
            "--eval-batches", "1", "--max-minutes", "none", "--sample-length", "0", "--quiet",
            *(["--nproc", str(nproc)] if nproc > 1 else [])]
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": str(threads)}
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").open()]
    return rows[-1]["step"] / rows[-1]["elapsed"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=32, help="B, rows per process")
    p.add_argument("--seq-len", type=int, default=100)
    p.add_argument("--hidden-sizes", default="384")
    args = p.parse_args()
    n = args.nproc
    print(f"lm, GRU {args.hidden_sizes}, {n} x {args.batch_size} rows x {args.seq_len} steps a "
          f"batch, {args.steps} steps; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores\n")
    print("| run | steps/s | vs 1 process, 1 thread |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        for name, nproc, threads in ((f"1 process x {n * args.batch_size}, 1 thread", 1, 1),
                                     (f"1 process x {n * args.batch_size}, {n} threads", 1, n),
                                     (f"{n} processes x {args.batch_size}, 1 thread each",
                                      n, 1)):
            rate = run(Path(tmp) / f"{nproc}-{threads}", nproc, threads, args)
            base = base or rate
            print(f"| {name} | {rate:.2f} | {rate / base:.2f} |", flush=True)


if __name__ == "__main__":
    main()
