"""Signal benchmarks with fixed seeds, printed as one table with the wall time of each run.

- jsb: JSB Chorales (../shared/data/jsb_chorales), valid NLL per time step for the Elman,
  LSTM and GRU cells (published test NLL: tanh RNN 8.9-9.1, GRU 8.43-8.54, LSTM 8.45-8.67;
  target <= 8.5 with some cell);
- nottingham: Nottingham folk tunes, valid NLL (published 3.1-4.1);
- sunspots: yearly sunspots (statsmodels), one-step RMSE of the last 20% of the years beside
  persistence and ARIMA on the same origins (target: beat both);
- fsdd: spoken digits (../shared/data/fsdd), the classifier's validation accuracy (target >=
  97%) and the CTC recogniser's sequence accuracy and digit error rate (``speech.py``; its
  budget is twice ``--minutes``, shared by the two models).

    python benchmarks/signals.py                       # everything, 8 minutes per model
    python benchmarks/signals.py --only jsb --minutes 4
    python benchmarks/signals.py --quick               # small models, 1 minute each

Each benchmark is a function in BENCHMARKS returning table rows; more are added by name.
"""

import argparse
import time
from pathlib import Path

import torch

from elman.training import resolve, train
from speech import bench_fsdd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MUSIC = dict(task="music", batch_size=16, seq_len=200, lr=2e-3, eval_every=50,
             lr_schedule="plateau", lr_patience=3, patience=15)
QUICK = dict(hidden_sizes=[64])


def fit(values: dict, minutes: float, quick: bool, out: Path, name: str):
    """Train one run with a fixed seed; (result, wall minutes)."""
    values = {**values, **(QUICK if quick else {}), "max_minutes": minutes, "quiet": True,
              "seed": 0, "out": str(out / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")}
    torch.set_num_threads(1)
    t0 = time.monotonic()
    result = train(*resolve(None, values), log=lambda *a: None)
    return result, (time.monotonic() - t0) / 60


def row(bench: str, model: str, metric: str, value: float, reference: str, result=None,
        minutes: float | None = None) -> dict:
    return {"benchmark": bench, "model": model, "metric": metric, "value": value,
            "reference": reference, "steps": result.step if result else None,
            "minutes": minutes}


def music(name: str, folder: str, cells: list[str], settings: dict, reference: str):
    def run(minutes: float, quick: bool, out: Path) -> list[dict]:
        rows = []
        for cell in cells:
            values = {**MUSIC, **settings, "cell": cell, "data": str(DATA / folder / "train.json"),
                      "valid": str(DATA / folder / "valid.json")}
            result, wall = fit(values, minutes, quick, out, f"{name}-{cell}")
            rows.append(row(name, cell, "valid NLL", result.valid["nll"], reference, result, wall))
            rows.append(row(name, cell, "frame acc", result.valid["accuracy"], ""))
        return rows
    return run


def sunspots(minutes: float, quick: bool, out: Path) -> list[dict]:
    values = dict(task="forecast", window=24, horizon=1, valid_fraction=0.2, cell="gru",
                  hidden_sizes=[64], dropout=0.2, batch_size=32, lr=3e-3, eval_every=25,
                  arima_order="auto")
    result, wall = fit(values, min(minutes, 2.0), quick, out, "sunspots")
    rows = []
    for model, scores in result.task.compare(result.model):
        rows.append(row("sunspots", f"gru {model}" if model == "model" else model,
                        "valid RMSE", scores["rmse"], "beat both baselines",
                        result if model == "model" else None,
                        wall if model == "model" else None))
    return rows


def fsdd(minutes: float, quick: bool, out: Path) -> list[dict]:
    return [row("fsdd", r["task"].removeprefix("FSDD ").replace(" (CTC)", ""), r["metric"],
                r["value"], r["target"], None, r["minutes"]) | {"steps": r["steps"]}
            for r in bench_fsdd(2 * minutes, quick, out)]


BENCHMARKS = {
    "sunspots": sunspots,
    "jsb": music("jsb", "jsb_chorales", ["elman", "lstm", "gru"],
                 dict(hidden_sizes=[128], dropout=0.3), "GRU 8.43-8.54, LSTM 8.45-8.67, "
                 "tanh 8.9-9.1 (test)"),
    "nottingham": music("nottingham", "nottingham", ["gru"],
                        dict(hidden_sizes=[256], dropout=0.0, batch_size=32, seq_len=100,
                             lr=3e-3, eval_every=100),
                        "3.1-4.1 (test)"),
    "fsdd": fsdd,
}


def table(rows: list[dict]) -> str:
    lines = [f"{'benchmark':<11} {'model':<16} {'metric':<26} {'value':>8} {'steps':>7} "
             f"{'wall min':>8}  reference"]
    for r in rows:
        steps = f"{r['steps']:,}" if r["steps"] is not None else ""
        wall = f"{r['minutes']:.1f}" if r["minutes"] is not None else ""
        lines.append(f"{r['benchmark']:<11} {r['model']:<16} {r['metric']:<26} "
                     f"{r['value']:>8.3f} {steps:>7} {wall:>8}  {r['reference']}".rstrip())
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(BENCHMARKS),
                   help=f"benchmarks to run, comma-separated, among {', '.join(BENCHMARKS)}")
    p.add_argument("--minutes", type=float, default=8.0, help="training budget per model")
    p.add_argument("--quick", action="store_true", help="small models, 1 minute each")
    p.add_argument("--out", default="runs/bench-signals", help="folder of the run folders")
    args = p.parse_args(argv)
    names = args.only.split(",")
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark {unknown[0]!r}; choose among {', '.join(BENCHMARKS)}")
    minutes = 1.0 if args.quick and args.minutes == 8.0 else args.minutes
    rows = []
    for name in names:
        rows += BENCHMARKS[name](minutes, args.quick, Path(args.out))
        print(table(rows), flush=True)
        print()


if __name__ == "__main__":
    main()
