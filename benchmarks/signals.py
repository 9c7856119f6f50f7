"""Signal benchmarks with fixed seeds, from the shipped recipes, printed as one table with
the wall time of each run (one torch thread per run).

- jsb: the recipe ``jsb-chorales``, valid NLL per time step for the Elman, LSTM and GRU
  cells (published test NLL: tanh RNN 8.9-9.1, GRU 8.43-8.54, LSTM 8.45-8.67; target <= 8.5
  with some cell);
- nottingham: the recipe ``nottingham``, valid NLL (published 3.1-4.1);
- sunspots: the recipe ``sunspots``, one-step RMSE of the last 20% of the years beside
  persistence and ARIMA on the same origins (target: beat both);
- fsdd: the recipes ``fsdd-digits`` and ``fsdd-digit-sequences`` (``speech.py``).

    python benchmarks/signals.py                       # everything, the recipes' step counts
    python benchmarks/signals.py --only jsb --max-minutes 4
    python benchmarks/signals.py --quick               # small models, few steps

Each benchmark is a function in BENCHMARKS returning table rows; more are added by name.
"""

import argparse

import torch

from recipe import CAPPED, add_arguments, fit, steps
from speech import bench_fsdd

QUICK = dict(hidden_sizes=[32], max_steps=100)


def row(bench: str, model: str, metric: str, value: float, reference: str,
        steps: str | None = None, minutes: float | None = None) -> dict:
    return {"benchmark": bench, "model": model, "metric": metric, "value": value,
            "reference": reference, "steps": steps, "minutes": minutes}


def music(recipe: str, cells: list[str], reference: str):
    def run(args) -> list[dict]:
        rows = []
        for cell in cells:
            overrides = {**(QUICK if args.quick else {}), "cell": cell}
            result, config, wall, _ = fit(recipe, overrides, args, f"{recipe}-{cell}")
            rows.append(row(recipe, cell, "valid NLL", result.valid["nll"], reference,
                            steps(result, config), wall))
            rows.append(row(recipe, cell, "frame acc", result.valid["accuracy"], ""))
        return rows
    return run


def sunspots(args) -> list[dict]:
    result, config, wall, _ = fit("sunspots", QUICK if args.quick else {}, args, "sunspots")
    rows = []
    for model, scores in result.task.compare(result.model):
        mine = model == "model"
        rows.append(row("sunspots", "gru model" if mine else model, "valid RMSE",
                        scores["rmse"], "beat both baselines",
                        steps(result, config) if mine else None, wall if mine else None))
    return rows


def fsdd(args) -> list[dict]:
    return [row("fsdd", r["task"].removeprefix("FSDD ").replace(" (CTC)", ""), r["metric"],
                r["value"], r["target"], r["steps"], r["minutes"]) for r in bench_fsdd(args)]


BENCHMARKS = {
    "sunspots": sunspots,
    "jsb": music("jsb-chorales", ["elman", "lstm", "gru"],
                 "GRU 8.43-8.54, LSTM 8.45-8.67, tanh 8.9-9.1 (test)"),
    "nottingham": music("nottingham", ["gru"], "3.1-4.1 (test)"),
    "fsdd": fsdd,
}


def table(rows: list[dict]) -> str:
    lines = [f"{'benchmark':<12} {'model':<16} {'metric':<26} {'value':>8} {'steps':>7} "
             f"{'wall min':>8}  reference"]
    for r in rows:
        wall = f"{r['minutes']:.1f}" if r["minutes"] is not None else ""
        lines.append(f"{r['benchmark']:<12} {r['model']:<16} {r['metric']:<26} "
                     f"{r['value']:>8.3f} {r['steps'] or '':>7} {wall:>8}  "
                     f"{r['reference']}".rstrip())
    if any((r["steps"] or "").endswith("*") for r in rows):
        lines.append(CAPPED)
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p, "runs/bench-signals")
    p.add_argument("--only", default=",".join(BENCHMARKS),
                   help=f"benchmarks to run, comma-separated, among {', '.join(BENCHMARKS)}")
    args = p.parse_args(argv)
    names = args.only.split(",")
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark {unknown[0]!r}; choose among {', '.join(BENCHMARKS)}")
    torch.set_num_threads(1)
    rows = []
    for name in names:
        rows += BENCHMARKS[name](args)
        print(table(rows), flush=True)
        print()


if __name__ == "__main__":
    main()
