"""Long-range memory benchmarks (``elman.tasks.memory``): per cell and sequence length T,
the final test figure within a fixed step budget, with the same seeds, batch and optimizer
for every cell. Cells: Elman tanh, Elman IRNN (relu, W_R the identity, Le et al. 2015),
Elman IndRNN (two layers of relu units each with its own recurrence u, |u| <= 1, after Li
et al. 2018: ``--recurrent-init indrnn --recurrent-constraint diagonal``), LSTM (torch's initialisation, or ``--chrono T``: Tallec and Ollivier's chrono
initialisation of the gate biases for the run's T) and GRU; tasks: adding (test MSE; predicting 1 always scores ~0.167; target at T=600:
MSE < 1e-3 for GRU, LSTM and an Elman variant), copy-memory (recalled symbols right) and
parity (accuracy). Every run trains with full BPTT on new sequences every step, Adam at
--lr (constant, or cosine to 0 with --lr-schedule cosine), gradient norm clipped to 1, no dropout, one torch thread; best/ is picked on
the held-out set every --eval-every steps, and the figure is its score on the test split.

    python benchmarks/memory.py                                  # adding at T=100 and 600
    python benchmarks/memory.py --lengths 600 --steps 4000 --hidden 64 --cells gru,lstm
    python benchmarks/memory.py --tasks copy-memory,parity --lengths 50
    python benchmarks/memory.py --tasks parity --parity-target every --lengths 20,50
    python benchmarks/memory.py --quick                          # seconds: tiny runs

``--parity-target every`` trains parity on the running parity at every step; its figure is
still the accuracy of the final parity (the task column reads ``parity/every``).

A row stopped by --max-minutes before its step budget is marked ``*``; a run the divergence
guard stopped reads "diverged" at the step it stopped.
"""

import argparse
import time
from pathlib import Path
from types import SimpleNamespace

import torch

from elman.training import resolve, train
from elman.training.guard import Diverged

CELLS = {
    "elman-tanh": dict(cell="elman", activation="tanh"),
    "elman-irnn": dict(cell="elman", activation="relu", recurrent_init="identity"),
    "elman-indrnn": dict(cell="elman", activation="relu", recurrent_init="indrnn",
                         recurrent_constraint="diagonal", layers=2),
    "lstm": dict(cell="lstm", activation="tanh"),
    "lstm-chrono": dict(cell="lstm", activation="tanh", chrono=True),
    "gru": dict(cell="gru", activation="tanh"),
}
FIGURE = {"adding": ("test MSE", "mse", "{:.2e}"),
          "copy-memory": ("recalled right", "accuracy", "{:.2%}"),
          "parity": ("test accuracy", "accuracy", "{:.2%}")}
CHANCE = {"adding": "~0.167", "copy-memory": "1/K", "parity": "50%"}
QUICK = dict(hidden_sizes=[16], batch_size=16, valid_size=64, eval_every=10)
CAPPED = "* stopped by --max-minutes before the step budget"


def fit(task: str, cell: str, T: int, args) -> dict:
    """Train one (task, cell, T) and score best/ on the test split: a table row."""
    settings = dict(CELLS[cell])
    layers = settings.pop("layers", 1)
    if settings.get("chrono"):
        settings["chrono"] = T                 # dependencies up to the sequence length
    target = {"target": args.parity_target} if task == "parity" else {}
    suffix = "-every" if target.get("target") == "every" else ""
    values = {"task": task, "length": T, **target, **settings, "hidden_sizes": [args.hidden] * layers,
              "batch_size": args.batch_size, "lr": args.lr, "lr_schedule": args.lr_schedule,
              "clip": 1.0, "dropout": 0.0, "max_steps": args.steps, "seed": args.seed,
              "valid_size": args.valid_size, "eval_every": args.eval_every,
              "max_minutes": args.max_minutes, "quiet": True,
              **(QUICK | {"max_steps": min(args.steps, 30)} if args.quick else {}),
              "out": str(Path(args.out) / f"{task}{suffix}-{cell}-T{T}-{time.strftime('%H%M%S')}")}
    config = resolve(None, values)
    t0 = time.monotonic()
    name, key, fmt = FIGURE[task]
    shown = f"{task}/every" if suffix else task
    row = {"task": shown, "T": T, "cell": cell, "H": ",".join(map(str, config.model.hidden_sizes)), "metric": name,
           "chance": CHANCE[task]}
    try:
        result = train(config, log=lambda *a: None)
    except Diverged as e:
        return {**row, "value": "diverged", "steps": f"{e.step:,}", "best": "-",
                "minutes": (time.monotonic() - t0) / 60}
    minutes = (time.monotonic() - t0) / 60
    batches, _ = result.task.test_data(SimpleNamespace(config=config))
    test = result.task.evaluate(result.model, batches)
    capped = result.stopped == "time budget" and result.step < config.train.max_steps
    return {**row, "value": fmt.format(test[key]),
            "steps": f"{result.step:,}" + ("*" if capped else ""),
            "best": f"{result.best_step:,}", "minutes": minutes}


def table(rows: list[dict]) -> str:
    lines = [f"{'task':<12} {'T':>5} {'cell':<12} {'H':>6} {'metric':<15} {'value':>9} "
             f"{'steps':>7} {'best at':>7} {'wall min':>8}  chance"]
    for r in rows:
        lines.append(f"{r['task']:<12} {r['T']:>5} {r['cell']:<12} {r['H']:>6} {r['metric']:<15} "
                     f"{r['value']:>9} {r['steps']:>7} {r['best']:>7} {r['minutes']:>8.1f}  "
                     f"{r['chance']}")
    if any(r["steps"].endswith("*") for r in rows):
        lines.append(CAPPED)
    return "\n".join(lines)


def choices(p: argparse.ArgumentParser, name: str, given: str, known) -> list[str]:
    items = given.split(",")
    unknown = [i for i in items if i not in known]
    if unknown:
        p.error(f"unknown {name} {unknown[0]!r}; choose among {', '.join(known)}")
    return items


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default="adding", help=f"comma-separated, among "
                   f"{', '.join(FIGURE)} (default: adding)")
    p.add_argument("--cells", default=",".join(CELLS), help="comma-separated, among "
                   f"{', '.join(CELLS)} (default: all)")
    p.add_argument("--lengths", default="100,600", help="sequence lengths T, comma-separated")
    p.add_argument("--steps", type=int, default=2000, help="the step budget of every run")
    p.add_argument("--max-minutes", type=float, help="cap each run's time (default: none)")
    p.add_argument("--hidden", type=int, default=128, help="hidden units (one layer)")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-schedule", default="constant", choices=["constant", "cosine"],
                   help="cosine: to 0 at the step budget (or --max-minutes)")
    p.add_argument("--valid-size", type=int, default=500, help="held-out (and test) sequences")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parity-target", default="end", choices=["end", "every"],
                   help="parity's --target: one answer at the end, or the running parity at "
                   "every step (default: end)")
    p.add_argument("--quick", action="store_true", help="tiny models, 30 steps: a smoke test")
    p.add_argument("--out", default="runs/bench-memory", help="folder of the run folders")
    args = p.parse_args(argv)
    tasks = choices(p, "task", args.tasks, FIGURE)
    cells = choices(p, "cell", args.cells, CELLS)
    lengths = [int(t) for t in args.lengths.split(",")]
    torch.set_num_threads(1)
    rows = []
    for task in tasks:
        for T in lengths:
            for cell in cells:
                rows.append(fit(task, cell, T, args))
                print(table(rows), flush=True)
                print(flush=True)


if __name__ == "__main__":
    main()
