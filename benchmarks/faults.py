"""Kill -9 harness: a training run killed at random moments, each time resumed, against the
same run uninterrupted.

    python benchmarks/faults.py                    # 20 kills, seed 0
    python benchmarks/faults.py --kills 5 --steps 200 --out /tmp/faults

Each attempt starts ``elman train`` as a fresh process (``--resume RUN``, or the first
command again where no run folder with a config was left: a kill before the run's config is
written) and sends SIGKILL after a random delay (seeded, ``delay``): a run's first kill
aims at its first start, before or around its first checkpoints; every fourth of the others
at a process's start (imports, data, loading the checkpoint); the rest at its training
(steps, evaluations, checkpoint writes, and the final validation and plot when the run gets
there). Every ``--per-run`` kills a new run starts. After every kill it checks what a later process reads: the run's
config.json, checkpoint/ and best/ (loaded in full), metrics.jsonl (a torn last line is
allowed: the reader skips it) and left-over temporary files. When the kills are done, a last
resume finishes the run, and its files are compared byte for byte with the uninterrupted
run's (``elapsed`` and ``tokens_per_s`` aside). One torch thread per process, so the runs are
bit-identical where resuming is exact.

Prints one table: the kills by where they landed, resumes, restarts, corrupt files and
bit-identity. Not a timed test: each attempt pays for a fresh interpreter (~3-5 s).
"""

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

TEXT = ("The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. "
        * 200)
TIMING = ("elapsed", "tokens_per_s")


def command(args, run: Path, resume: bool) -> list[str]:
    flags = ["--data", str(Path(args.out) / "text.txt"), "--hidden-sizes", "256",
             "--embed-dim", "32", "--batch-size", "32", "--seq-len", "64", "--max-steps",
             str(args.steps), "--eval-every", str(args.eval_every), "--max-minutes", "none",
             "--sample-length", "0", "--quiet", "--seed", "0"]
    base = [sys.executable, "-m", "elman.cli", "train"]
    return base + (["--resume", str(run), "--max-steps", str(args.steps)] if resume else
                   ["--out", str(run), *flags])


def env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def reference(args) -> tuple[float, float]:
    """Run the uninterrupted run (after a short one that warms the caches); (its wall
    seconds, the seconds before its training)."""
    warm = argparse.Namespace(**{**vars(args), "steps": args.eval_every})
    subprocess.run(command(warm, Path(args.out) / "warm-up", False), env=env(),
                   capture_output=True, check=True)
    run = Path(args.out) / "reference"
    t0, start = time.monotonic(), None
    proc = subprocess.Popen(command(args, run, False), env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        if start is None and (run / "config.json").exists():
            start = time.monotonic() - t0       # the run folder is there: training begins
        time.sleep(0.01)
    if proc.returncode != 0:
        sys.exit(f"the reference run failed: {proc.stderr.read().strip()}")
    return time.monotonic() - t0, start


def delay(rng: random.Random, k: int, start: float, train: float, args) -> tuple[float, str]:
    """The delay of a run's kill number ``k`` and what it aims at: a run's first kill, its
    first start up to its first checkpoints; every fourth other kill, the process's start
    (imports, data, loading the checkpoint); the rest, its training, in windows that spread
    a run's kills over its steps."""
    if k == 0:
        return rng.uniform(0.0, start + 2.0 * train * args.eval_every / args.steps), "first"
    if k % 4 == 0:
        return rng.uniform(0.0, start), "start"
    return start + rng.uniform(0.0, 2.0 * train / args.per_run), "training"


def inspect(run: Path) -> dict:
    """What a kill left: {"step": checkpoint step or None, "folder": "none", "empty",
    "config" or "checkpoint", "corrupt": [...], "torn": metrics lines skipped, "temp": count}."""
    from elman.io import atomic, checkpoint
    from elman.training.metrics import read
    out = {"step": None, "corrupt": [], "torn": 0, "temp": 0}
    if not run.is_dir():
        return {**out, "folder": "none"}
    out["temp"] = sum(1 for p in run.rglob(".*") if ".tmp" in p.name)
    for name, load in (("config.json", lambda: json.loads((run / "config.json").read_text())),
                       ("checkpoint/", lambda: checkpoint.load(run / "checkpoint", True)),
                       ("best/", lambda: checkpoint.load(run / "best"))):
        path = run / name.rstrip("/")
        if not atomic.resolve(path).exists():
            continue
        try:
            loaded = load()
        except Exception as e:                  # anything a later process could not read
            out["corrupt"].append(f"{name}: {type(e).__name__}: {e}")
            continue
        if name == "checkpoint/":
            out["step"] = loaded.trainer_state["step"]
    if (run / "metrics.jsonl").exists():
        lines = (run / "metrics.jsonl").read_text().splitlines()
        out["torn"] = len(lines) - len(read(run / "metrics.jsonl"))
    out["folder"] = "checkpoint" if out["step"] is not None else \
        "config" if (run / "config.json").exists() else "empty"
    return out


def attempt(args, run: Path, delay: float) -> tuple[str, int | None]:
    """Start the run (or resume it) and kill it after ``delay`` seconds; (how it went, exit
    code when it ended by itself)."""
    state = inspect(run)
    resume = state["folder"] in ("config", "checkpoint")
    if state["folder"] == "empty":
        run.rmdir()                         # killed between mkdir and config.json: train again
    proc = subprocess.Popen(command(args, run, resume), env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return ("resume" if resume else "start"), None
    err = proc.stderr.read()
    if proc.returncode != 0:
        sys.exit(f"a run ended with {proc.returncode}: {err.strip()}")
    return "finished", 0


def compare(a: Path, b: Path) -> list[str]:
    """The files of two finished runs that differ (timing fields aside)."""
    diffs = []
    for rel in ("checkpoint/model.safetensors", "checkpoint/optimizer.safetensors",
                "checkpoint/stream_state.safetensors", "best/model.safetensors"):
        if (a / rel).read_bytes() != (b / rel).read_bytes():
            diffs.append(rel)
    sa, sb = (json.loads((r / "checkpoint" / "trainer_state.json").read_text()) for r in (a, b))
    if {k: v for k, v in sa.items() if k != "elapsed"} != \
            {k: v for k, v in sb.items() if k != "elapsed"}:
        diffs.append("checkpoint/trainer_state.json")
    ma, mb = ([{k: v for k, v in json.loads(line).items() if k not in TIMING}
               for line in (r / "metrics.jsonl").read_text().splitlines()] for r in (a, b))
    if ma != mb:
        diffs.append("metrics.jsonl")
    return diffs


LANDED = ("before the run folder had its config", "before the run's first checkpoint",
          "after the last step (final validation, plot)",
          "in a file or checkpoint write (temporary files left)")


def where(left: dict, aim: str, steps: int) -> list[str]:
    """The rows a kill counts in, from what it left."""
    rows = [f"aimed at {aim}"]
    if left["folder"] in ("none", "empty"):
        rows.append(f"  {LANDED[0]}")
    elif left["folder"] == "config":
        rows.append(f"  {LANDED[1]}")
    elif left["step"] == steps:
        rows.append(f"  {LANDED[2]}")
    if left["temp"]:
        rows.append(f"  {LANDED[3]}")
    return rows


def chaos(args, wall: float, start: float, rng: random.Random) -> dict:
    """Kill runs until ``args.kills`` kills; finish and compare each run."""
    kills, report, corrupt, runs = 0, Counter(), [], 0
    while kills < args.kills:
        runs += 1
        run, first = Path(args.out) / f"run{runs}", True
        for k in range(min(args.per_run, args.kills - kills)):
            wait, aim = delay(rng, k, start, wall - start, args)
            how, _ = attempt(args, run, wait)
            left = inspect(run)
            if args.verbose:
                print(f"{run.name}: {how}, {aim} {wait:.2f} s: {left}", file=sys.stderr)
            if how == "finished":
                report["finished before its kill"] += 1
                break
            kills += 1
            report.update(where(left, aim, args.steps))
            report["resumes" if how == "resume" else "first starts" if first else
                   "starts again"] += 1
            first = False
            corrupt += left["corrupt"]
            report["torn"] += left["torn"]
        if inspect(run)["step"] != args.steps or not (run / "loss.png").exists():
            attempt(args, run, 3600.0)          # the last resume, to the end
            report["resumes"] += 1
        diffs = compare(Path(args.out) / "reference", run)
        report["identical"] += not diffs
        if diffs:
            report[f"run{runs} differs: {', '.join(diffs)}"] += 1
    return {"kills": kills, "runs": runs, "corrupt": corrupt, "report": report}


def table(out: dict, args, ref_seconds: float, wall: float) -> str:
    r = out["report"]
    rows = [("kills (SIGKILL)", out["kills"]),
            ("aimed at a run's first start, up to its first checkpoints", r["aimed at first"]),
            ("aimed at a resumed process's start (imports, data, loading the checkpoint)",
             r["aimed at start"]),
            ("aimed at training (steps, evaluations, checkpoints, final validation, plot)",
             r["aimed at training"]),
            *[(f"- of all kills, {k}", r[f"  {k}"]) for k in LANDED],
            ("processes resumed (--resume RUN; without a checkpoint it starts over)",
             r["resumes"]),
            ("processes of the first command: a run's first, or again (no config.json left)",
             f"{r['first starts']}, {r['starts again']}"),
            ("runs finished before their kill", r["finished before its kill"]),
            ("corrupt files (could not be loaded)", len(out["corrupt"])),
            ("torn metrics.jsonl last lines (skipped by the reader)", r["torn"]),
            ("runs, and those bit-identical to the uninterrupted run",
             f"{out['runs']}, {r['identical']}")]
    rows += [(k, v) for k, v in sorted(r.items()) if " differs" in k]
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    head = (f"finished {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {cpu}, {os.cpu_count()} cores, "
            f"seed {args.seed}: a GRU 256 language model (batches of 32 x 64), {args.steps} "
            f"steps, a checkpoint every {args.eval_every}; uninterrupted {ref_seconds:.1f} s; "
            f"harness {wall / 60:.1f} min")
    lines = [head, "", "| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    lines += [f"corrupt: {c}" for c in out["corrupt"]]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--eval-every", type=int, default=10)
    p.add_argument("--per-run", type=int, default=5, help="kills of one run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/faults", help="a new or empty folder")
    p.add_argument("--verbose", action="store_true", help="a line per attempt on stderr")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        sys.exit(f"--out {out}: expected a new or empty folder")
    (out / "text.txt").write_text(TEXT, encoding="utf-8")
    t0 = time.monotonic()
    wall, start = reference(args)
    result = chaos(args, wall, start, random.Random(args.seed))
    print(table(result, args, wall, time.monotonic() - t0))


if __name__ == "__main__":
    main()
