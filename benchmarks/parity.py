"""Parity of short training runs across versions of elman: the same seeded recipes trained
through the command line, one table row per run with the last row of its metrics.jsonl
(step, train and validation loss, learning rate and the task's figures: accuracy, bpc,
exact_match, token_accuracy, bleu, chrf, rmse, mae, nll, digit_error_rate), each to 6
significant digits. Run it with the old code and the new, and compare the tables.

Standard library only: it calls ``PYTHON -c "...elman.cli.main..." train ...`` as a
subprocess with flat flags, so the same script drives any version of the command line.

    python benchmarks/parity.py > benchmarks/parity_before.txt      # all runs, ~5 min on 2 cores
    python benchmarks/parity.py --only sort,add --out /tmp/parity
    python benchmarks/parity.py --python .venv/bin/python --compare benchmarks/parity_before.txt

The recipes are the default job (60 steps) and, per task, the model and data settings of
benchmarks/text.py, speech.py, seq2seq.py and signals.py, cut to 20 steps evaluated every 10,
without a time budget, with smaller models where the benchmark's would take long (see
RECIPES). digits and digit-sequences read a subset of FSDD (the recordings with index 5-7,
the lowest there, of every speaker and digit: 180 files, symlinked into OUT/fsdd-subset);
translate keeps the eng_fra pairs of at most 5 words per side. Torch runs with --threads threads
(OMP_NUM_THREADS, MKL_NUM_THREADS), as results can depend on the thread count. Lines starting
with # are not part of the table: the elman the interpreter imports, the times, the command
lines (--verbose) and the comparison (--compare).
"""

import argparse
import json
import math
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; from elman.cli import main; sys.exit(main(sys.argv[1:]))"
SHORT = ["--max-steps", "20", "--eval-every", "10", "--max-minutes", "none"]
COLUMNS = ["step", "train_loss", "valid_loss", "lr", "accuracy", "bpc", "exact_match",
           "token_accuracy", "bleu", "chrf", "rmse", "mae", "nll", "digit_error_rate"]
FSDD_INDICES = range(5, 8)      # recordings {digit}_{speaker}_{index}.wav with index 5..7


def flags(**values) -> list[str]:
    """--flag value pairs, lists joined with commas."""
    out = []
    for k, v in values.items():
        v = ",".join(map(str, v)) if isinstance(v, list) else v
        out += ["--" + k.replace("_", "-"), str(v)]
    return out


# per run: the flags after `elman train` (data paths relative to --data-root, as {data}/...)
RECIPES = {
    # the main job: char LM of the built-in pydoc corpus, default model (gru 384)
    "default": ["--max-steps", "60", "--eval-every", "30", "--max-minutes", "none",
                "--sample-length", "0"],
    # word LM (no benchmark of its own): tinyshakespeare, a smaller default-like model
    "lm-word": flags(task="lm", level="word", data="{data}/tinyshakespeare/input.txt",
                     min_count=2, hidden_sizes=[128], embed_dim=64, sample_length=0) + SHORT,
    # benchmarks/text.py SETTINGS["classify"], gru, bidirectional, plateau (lr_patience 3)
    "classify": flags(task="classify", data="{data}/sst2/train.tsv",
                      valid="{data}/sst2/dev.tsv", embed_dim=128, hidden_sizes=[128],
                      dropout=0.5, embed_dropout=0.3, lowercase="true", min_count=2,
                      weight_decay=1e-5, batch_size=32, lr=1e-3, pooling="max", cell="gru",
                      bidirectional="true", lr_schedule="plateau", lr_patience=3,
                      patience=12) + SHORT,
    # benchmarks/text.py SETTINGS["tag"] with its QUICK widths, gru, bidirectional
    "tag": flags(task="tag", data="{data}/ud_english_ewt/en_ewt-ud-train.conllu",
                 valid="{data}/ud_english_ewt/en_ewt-ud-dev.conllu", embed_dim=64,
                 hidden_sizes=[64], char_dim=16, char_hidden=16, dropout=0.33,
                 embed_dropout=0.2, word_dropout=0.25, batch_size=32, lr=2e-3, cell="gru",
                 bidirectional="true", lr_schedule="plateau", lr_patience=3,
                 patience=12) + SHORT,
    # benchmarks/speech.py SETTINGS["digits"] with its QUICK width, on the FSDD subset
    "digits": flags(task="digits", data="{fsdd}", cell="lstm", hidden_sizes=[48],
                    bidirectional="true", pooling="mean", dropout=0.3, embed_dropout=0.1,
                    batch_size=32, lr=2e-3, lr_patience=3, patience=12, features="logmel",
                    n_mels=40, hop_ms=10.0, window_ms=25.0, lr_schedule="plateau") + SHORT,
    # benchmarks/speech.py SETTINGS["digit-sequences"] with its QUICK settings, FSDD subset
    "digit-sequences": flags(task="digit-sequences", data="{fsdd}", cell="lstm",
                             hidden_sizes=[48], bidirectional="true", dropout=0.3,
                             embed_dropout=0.1, batch_size=32, lr=2e-3, utterances=320,
                             valid_utterances=100, max_digits=5, lr_patience=3, patience=12,
                             features="logmel", n_mels=40, hop_ms=10.0, window_ms=25.0,
                             lr_schedule="plateau") + SHORT,
    # benchmarks/signals.py sunspots (the built-in series)
    "forecast": flags(task="forecast", window=24, horizon=1, valid_fraction=0.2, cell="gru",
                      hidden_sizes=[64], dropout=0.2, batch_size=32, lr=3e-3,
                      arima_order="auto") + SHORT,
    # benchmarks/signals.py jsb (MUSIC + hidden 128, dropout 0.3), gru
    "music": flags(task="music", data="{data}/jsb_chorales/train.json",
                   valid="{data}/jsb_chorales/valid.json", cell="gru", hidden_sizes=[128],
                   dropout=0.3, batch_size=16, seq_len=200, lr=2e-3, lr_schedule="plateau",
                   lr_patience=3, patience=15) + SHORT,
    # benchmarks/seq2seq.py SORT (cosine to 0 at step 20)
    "sort": flags(task="sort", length="10", vocab=100, valid_size=1000, cell="gru",
                  hidden_sizes=[256], embed_dim=64, attention="multiplicative", dropout=0.0,
                  batch_size=128, lr=2e-3, lr_schedule="cosine") + SHORT,
    # add (no benchmark of its own): the SORT model on 1-3 digit numbers, a smaller valid set
    "add": flags(task="add", length="1-3", valid_size=200, cell="gru", hidden_sizes=[128],
                 embed_dim=32, attention="additive", dropout=0.0, batch_size=64, lr=2e-3,
                 lr_schedule="cosine", teacher_forcing=1.0, teacher_forcing_final=0.5,
                 teacher_forcing_steps=20) + SHORT,
    # benchmarks/seq2seq.py TRANSLATE (attention) with its quick settings: <= 5 words,
    # 500 subwords, widths 64/32; warmup 5 of the 20 steps
    "translate": flags(task="translate", data="{data}/eng_fra/eng-fra.txt", max_words=5,
                       valid_fraction=0.02, lowercase="true", subwords=500, min_count=1,
                       cell="gru", hidden_sizes=[64], bidirectional="true", embed_dim=32,
                       dropout=0.2, label_smoothing=0.1, batch_size=128, lr=3e-3,
                       lr_schedule="cosine", warmup=5, attention="additive") + SHORT,
}


def fsdd_subset(data_root: Path, out: Path) -> Path:
    """A folder of symlinks to the FSDD recordings with index in FSDD_INDICES."""
    source = data_root / "fsdd" / "recordings"
    if not source.is_dir():
        sys.exit(f"parity: FSDD recordings not found at {source}")
    folder = out / "fsdd-subset"
    folder.mkdir(parents=True, exist_ok=True)
    for wav in sorted(source.glob("*.wav")):
        digit, speaker, index = wav.stem.split("_")
        link = folder / wav.name
        if int(index) in FSDD_INDICES and not link.exists():
            link.symlink_to(wav.resolve())
    return folder


def fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool) or isinstance(v, int):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.6g}"


def width(column: str) -> int:
    return max(11, len(column))


def row_line(name: str, row: dict) -> str:
    return f"{name:<16}" + "".join(f" {fmt(row.get(c)):>{width(c)}}" for c in COLUMNS)


def header() -> str:
    return f"{'run':<16}" + "".join(f" {c:>{width(c)}}" for c in COLUMNS)


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def train(name: str, args, fsdd: Path | None, env: dict) -> tuple[str, float, float]:
    run = Path(args.out) / name
    if run.exists() and any(run.iterdir()):
        sys.exit(f"parity: {run} exists and is not empty (give another --out)")
    argv = [a.format(data=args.data_root, fsdd=fsdd) for a in RECIPES[name]]
    cmd = [args.python, "-c", CLI, "train", *argv, "--quiet", "--seed", "0", "--out", str(run)]
    if args.verbose:
        print("# " + shlex.join(cmd[3:]), flush=True)
    t0, cpu0 = time.monotonic(), child_cpu()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall, cpu = time.monotonic() - t0, child_cpu() - cpu0
    if done.returncode != 0:
        err = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        return f"{name:<16} FAILED (exit {done.returncode}): {err}", wall, cpu
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()
            if line.strip()]
    return row_line(name, rows[-1]), wall, cpu


def compare(before: Path, after: list[str]) -> int:
    """Print the runs whose row differs from the one in ``before``; the count of them."""
    old = {line.split()[0]: line for line in before.read_text().splitlines()
           if line.strip() and not line.startswith("#")}
    differ = 0
    print("\n# compared with " + str(before))
    for line in after:
        name = line.split()[0]
        if name == "run":
            continue
        if old.get(name, "").split() == line.split():
            print(f"# {name}: same")
            continue
        differ += 1
        a, b = old.get(name, "(missing)").split()[1:], line.split()[1:]
        diffs = []
        for col, x, y in zip(COLUMNS, a, b):
            if x != y:
                try:
                    rel = abs(float(x) - float(y)) / max(abs(float(x)), 1e-12)
                    diffs.append(f"{col} {x} -> {y} (rel {rel:.1e})")
                except ValueError:
                    diffs.append(f"{col} {x} -> {y}")
        print(f"# {name}: DIFFERS: " + ("; ".join(diffs) or "row shape changed"))
    return differ


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data"),
                   help="the shared data folder (default: ../shared/data from the repo root)")
    p.add_argument("--out", default=None, help="folder of the run folders (default: a "
                   "temporary folder, deleted at the end)")
    p.add_argument("--python", default=sys.executable, help="the interpreter that runs "
                   "elman.cli (default: this one); PYTHONPATH is passed on")
    p.add_argument("--only", default=None, help=f"runs, comma-separated, among "
                   f"{', '.join(RECIPES)}")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    p.add_argument("--compare", metavar="FILE", help="a saved output of this script: say "
                   "which rows differ (exit 1 if any)")
    p.add_argument("--verbose", action="store_true", help="print each command (as # lines)")
    args = p.parse_args(argv)
    names = args.only.split(",") if args.only else list(RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        p.error(f"unknown run {unknown[0]!r}; choose among {', '.join(RECIPES)}")
    args.data_root = str(Path(args.data_root).resolve())
    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory(prefix="elman-parity-")
        args.out = tmp.name
    Path(args.out).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
           "MKL_NUM_THREADS": str(args.threads)}
    fsdd = fsdd_subset(Path(args.data_root), Path(args.out)) if {
        "digits", "digit-sequences"} & set(names) else None
    which = subprocess.run([args.python, "-c", "import elman, torch; print(elman.__file__, "
                            "'torch', torch.__version__)"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    print(f"# {args.python}: elman {which.stdout.strip() or which.stderr.strip()}", flush=True)
    lines, walls = [header()], []
    print(lines[0], flush=True)
    t0 = time.monotonic()
    for name in names:
        line, wall, cpu = train(name, args, fsdd, env)
        lines.append(line)
        walls.append(f"{name} {wall:.0f}s ({cpu:.0f}s cpu)")
        print(line, flush=True)
    print(f"# wall: {', '.join(walls)}; total {time.monotonic() - t0:.0f}s, "
          f"{child_cpu():.0f}s cpu ({args.threads} torch threads)")
    failed = sum("FAILED" in line for line in lines)
    differ = compare(Path(args.compare), lines) if args.compare else 0
    if tmp is not None:
        tmp.cleanup()
    return 1 if failed or differ else 0


if __name__ == "__main__":
    sys.exit(main())
