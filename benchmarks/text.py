"""Text benchmarks on the shared data with fixed seeds, from the recipes ``ud-upos`` (UD
English EWT UPOS tagging, train -> dev accuracy; target 94.6%), ``sst2`` and
``sst2-wordllama`` (SST-2 sentiment, train.tsv -> dev.tsv accuracy; target 85%), each for
the Elman, LSTM and GRU cells. Prints a table with the wall time of each run.

    python benchmarks/text.py                           # every recipe, cell and one seed
    python benchmarks/text.py --tasks tag --cells gru --max-minutes 10
    python benchmarks/text.py --quick                   # smaller models, 200 steps: a smoke test
    python benchmarks/text.py --tasks classify --vectors wordllama --cells gru --seeds 4
                                                        # + the ensemble of 4 seeds (as
                                                        # elman eval RUN --ensemble RUN...)
"""

import argparse

import torch

from recipe import CAPPED, add_arguments, fit, steps

RECIPES = {"tag": "ud-upos", "classify": "sst2"}
VECTORS = {"wordllama": "sst2-wordllama"}              # classify with pretrained vectors
QUICK = {"tag": dict(embed_dim=64, hidden_sizes=[64], char_dim=16, char_hidden=16,
                     max_steps=200),
         "classify": dict(embed_dim=64, hidden_sizes=[64], max_steps=200)}
NAMES = {"ud-upos": "UD EWT UPOS", "sst2": "SST-2", "sst2-wordllama": "SST-2 +wordllama"}


def run(task: str, cell: str, seed: int, args) -> dict:
    recipe = VECTORS[args.vectors] if task == "classify" and args.vectors != "none" \
        else RECIPES[task]
    overrides = {**(QUICK[task] if args.quick else {}), "cell": cell, "seed": seed}
    result, config, wall, _ = fit(recipe, overrides, args, f"{recipe}-{cell}-{seed}")
    return {"name": NAMES[recipe], "accuracy": result.valid["accuracy"],
            "steps": steps(result, config), "best_step": result.best_step, "minutes": wall,
            "result": result, "config": config}


def ensemble(rows: list) -> float:
    """Dev accuracy of the runs' models voting (as ``elman eval RUN --ensemble RUN...``)."""
    first, config = rows[0]["result"].task, rows[0]["config"]
    batches = first.eval_batches(first.load(config.train.valid), config.train)
    gold, found = first.gold_and_predicted([r["result"].model for r in rows], batches)
    return sum(g == f for g, f in zip(gold, found)) / len(gold)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p, "runs/bench-text")
    p.add_argument("--tasks", default="tag,classify", help="tag, classify or both")
    p.add_argument("--cells", default="elman,lstm,gru", help="cells to run, comma-separated")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--vectors", default="none", choices=["none", *VECTORS],
                   help="classify: pretrained word vectors (the recipe sst2-wordllama)")
    p.add_argument("--seeds", type=int, default=1, help="runs per cell (seeds 0..N-1); with "
                   "more than one, also the accuracy of their ensemble (and of all cells' runs)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"{'recipe':<22} {'cell':<6} {'seed':>9} {'dev accuracy':>12} {'steps':>8} "
          f"{'best':>7} {'wall min':>8}")
    capped = False
    for task in args.tasks.split(","):
        everyone = []
        for cell in args.cells.split(","):
            rows = []
            for seed in range(args.seeds):
                rows.append(r := run(task, cell, seed, args))
                capped |= r["steps"].endswith("*")
                print(f"{r['name']:<22} {cell:<6} {seed:>9} {r['accuracy']:>12.2%} "
                      f"{r['steps']:>8} {r['best_step']:>7,} {r['minutes']:>8.1f}", flush=True)
            if len(rows) > 1:
                print_ensemble(cell, rows)
            everyone += rows
        if len(everyone) > len(rows):
            print_ensemble("all", everyone)
    if capped:
        print(CAPPED)


def print_ensemble(cell: str, rows: list):
    acc = ensemble(rows)
    wall = sum(r["minutes"] for r in rows)
    print(f"{rows[0]['name']:<22} {cell:<6} {'ensemble':>9} {acc:>12.2%} {'':>8} {'':>7} "
          f"{wall:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
