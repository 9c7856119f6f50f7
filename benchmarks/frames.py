"""Sequential MNIST on the shared MNIST training set with fixed seeds, from the recipe
``seq-mnist``: the validation accuracy (a seeded 10% of the 60,000 training images; the test
set is not used) of a GRU (target >= 98.5%), an LSTM and an Elman IRNN (relu, W_R = I;
target >= 95%), each image read as 28 rows of 28 pixels.

    OMP_NUM_THREADS=1 python benchmarks/frames.py            # the three cells, the recipe's steps
    python benchmarks/frames.py --cells gru --quick          # a smoke test
"""

import argparse

from recipe import CAPPED, add_arguments, fit, steps

CELLS = {"gru": ({"cell": "gru"}, ">= 0.985"),
         "lstm": ({"cell": "lstm"}, "-"),
         "irnn": ({"cell": "elman", "activation": "relu", "recurrent_init": "identity",
                   "lr": 0.001}, ">= 0.95")}
QUICK = dict(hidden_sizes=[32], examples=3000, max_steps=100, eval_every=50)


def bench(args) -> list[dict]:
    """Rows {"cell", "accuracy", "target", "steps", "minutes", "run"}, one per cell."""
    rows = []
    for name in args.cells.split(","):
        overrides, target = CELLS[name]
        result, config, wall, _ = fit("seq-mnist", {**overrides, **(QUICK if args.quick
                                                                   else {})}, args, name)
        rows.append(dict(cell=name, accuracy=result.valid["accuracy"], target=target,
                         steps=steps(result, config), minutes=wall, run=str(result.run)))
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'cell':<6} {'valid accuracy':>14} {'target':>9} {'steps':>7} {'wall min':>8}"]
    lines += [f"{r['cell']:<6} {r['accuracy']:>14.4f} {r['target']:>9} {r['steps']:>7} "
              f"{r['minutes']:>8.1f}" for r in rows]
    if any(r["steps"].endswith("*") for r in rows):
        lines.append(CAPPED)
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p, "runs/bench-frames")
    p.add_argument("--cells", default="gru,lstm,irnn", help="comma-separated: gru, lstm, irnn")
    print(table(bench(p.parse_args(argv))), flush=True)


if __name__ == "__main__":
    main()
