"""Spoken-digit benchmarks on ../shared/data/fsdd with fixed seeds: the digit classifier's
validation accuracy (target >= 97%) and the CTC recogniser's sequence accuracy and digit error
rate on utterances of 1-5 joined validation recordings, greedy and with prefix beam search.
The validation split holds out 10% of every (speaker, digit) group (``elman.data.audio``).

    OMP_NUM_THREADS=1 python benchmarks/speech.py               # 20 minutes: 8 classifier,
                                                               # 12 CTC
    python benchmarks/speech.py --minutes 5 --quick             # smaller models: a smoke test

``bench_fsdd(minutes, quick)`` returns the table's rows (for ``benchmarks/signals.py``).
"""

import argparse
import time
from pathlib import Path

from elman.training import resolve, train

FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd" / "recordings"
SHARE = {"digits": 0.4, "digit-sequences": 0.6}        # of the time budget
BEAM = 8

SETTINGS = {
    "digits": dict(task="digits", cell="lstm", hidden_sizes=[128], bidirectional=True,
                   pooling="mean", dropout=0.3, embed_dropout=0.1, batch_size=32, lr=2e-3,
                   eval_every=80, lr_patience=3, patience=12),
    "digit-sequences": dict(task="digit-sequences", cell="lstm", hidden_sizes=[128],
                            bidirectional=True, dropout=0.3, embed_dropout=0.1, batch_size=32,
                            lr=2e-3, utterances=1600, valid_utterances=400, max_digits=5,
                            eval_every=100, lr_patience=3, patience=12),
}
QUICK = {"digits": dict(hidden_sizes=[48]),
         "digit-sequences": dict(hidden_sizes=[48], utterances=320, valid_utterances=100)}


def run(task: str, minutes: float, quick: bool, out: Path, data: Path = FSDD):
    """Train one model; (result, wall minutes)."""
    values = {**SETTINGS[task], **(QUICK[task] if quick else {}), "data": str(data),
              "features": "logmel", "n_mels": 40, "hop_ms": 10.0, "window_ms": 25.0,
              "max_minutes": minutes, "quiet": True, "seed": 0, "lr_schedule": "plateau",
              "out": str(out / f"{task}-{time.strftime('%Y%m%d-%H%M%S')}")}
    config = resolve(None, values)
    t0 = time.monotonic()
    result = train(config, log=lambda *a: None)
    return result, (time.monotonic() - t0) / 60


def bench_fsdd(minutes: float = 20.0, quick: bool = False,
               out: Path = Path("runs/bench-speech")) -> list[dict]:
    """Rows {"task", "cell", "metric", "value", "target", "minutes", "steps", "run"}: the
    classifier's validation accuracy, then the recogniser's sequence accuracy and digit error
    rate, greedy and with beam search. ``minutes``: the training budget of both together."""
    if not FSDD.is_dir():
        raise FileNotFoundError(f"FSDD recordings not found at {FSDD}")
    rows = []
    result, wall = run("digits", minutes * SHARE["digits"], quick, out)
    cell = f"{result.model.rnn.cell} bi"
    rows.append(dict(task="FSDD digits", cell=cell, metric="valid accuracy",
                     value=result.valid["accuracy"], target=">= 0.97", minutes=wall,
                     steps=result.step, run=str(result.run)))
    result, wall = run("digit-sequences", minutes * SHARE["digit-sequences"], quick, out)
    t0 = time.monotonic()
    beam = result.task.evaluate(result.model, beam=BEAM)
    wall += (time.monotonic() - t0) / 60
    cell = f"{result.model.rnn.cell} bi"
    for how, scores in (("greedy", result.valid), (f"beam {BEAM}", beam)):
        for metric in ("accuracy", "digit_error_rate"):
            name = "sequence accuracy" if metric == "accuracy" else "digit error rate"
            rows.append(dict(task="FSDD digit sequences (CTC)", cell=cell,
                             metric=f"{name}, {how}", value=scores[metric], target="-",
                             minutes=wall, steps=result.step, run=str(result.run)))
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'task':<27} {'cell':<8} {'metric':<32} {'value':>7} {'target':>7} "
             f"{'steps':>6} {'wall min':>8}"]
    lines += [f"{r['task']:<27} {r['cell']:<8} {r['metric']:<32} {r['value']:>7.4f} "
              f"{r['target']:>7} {r['steps']:>6,} {r['minutes']:>8.1f}" for r in rows]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=20.0, help="total training budget")
    p.add_argument("--quick", action="store_true", help="small models and data")
    p.add_argument("--out", default="runs/bench-speech", help="folder of the run folders")
    args = p.parse_args(argv)
    print(table(bench_fsdd(args.minutes, args.quick, Path(args.out))), flush=True)


if __name__ == "__main__":
    main()
