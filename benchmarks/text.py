"""Text benchmarks on ../shared/data with a fixed seed: UD English EWT UPOS tagging (train ->
dev accuracy) and SST-2 sentiment (train.tsv -> dev.tsv accuracy), each for the Elman, LSTM
and GRU cells, bidirectional. Prints a table with the wall time of each run.

    python benchmarks/text.py                 # 30 minutes per model (targets: UPOS >= 94.6%,
                                              # SST-2 >= 85%)
    python benchmarks/text.py --minutes 10 --cells lstm --tasks tag
    python benchmarks/text.py --quick         # smaller models, 2 minutes each: a smoke test
    python benchmarks/text.py --tasks tag --cells gru --threads 1   # one of two side by side
    python benchmarks/text.py --tasks classify --vectors wordllama    # pretrained word vectors
    python benchmarks/text.py --tasks classify --vectors wordllama --seeds 4   # + an ensemble
                                              # of 4 seeds (elman eval RUN --ensemble RUN...)
"""

import argparse
import time
from pathlib import Path

import torch

from elman.training import resolve, train

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

SETTINGS = {
    "tag": dict(task="tag", data=str(DATA / "ud_english_ewt/en_ewt-ud-train.conllu"),
                valid=str(DATA / "ud_english_ewt/en_ewt-ud-dev.conllu"), embed_dim=100,
                hidden_sizes=[128], char_dim=32, char_hidden=64, dropout=0.33,
                embed_dropout=0.2, word_dropout=0.25, batch_size=32, lr=2e-3,
                eval_every=200),
    "classify": dict(task="classify", data=str(DATA / "sst2/train.tsv"),
                     valid=str(DATA / "sst2/dev.tsv"), embed_dim=128, hidden_sizes=[128],
                     dropout=0.5, embed_dropout=0.3, lowercase=True, min_count=2,
                     weight_decay=1e-5, batch_size=32, lr=1e-3, eval_every=50,
                     pooling="max"),
}
# with pretrained vectors: a constant learning rate for 3,000 steps (the plateau decay above
# stopped these runs near 81% by step 1,400, before the frozen vectors had been put to use),
# validating a moving average of the weights
VECTORS = dict(lr_schedule="constant", max_steps=3000, patience=None, ema=0.998)
QUICK = {"tag": dict(embed_dim=64, hidden_sizes=[64], char_dim=16, char_hidden=16),
         "classify": dict(embed_dim=64, hidden_sizes=[64])}
NAMES = {"tag": "UD EWT UPOS", "classify": "SST-2"}


def run(task: str, cell: str, minutes: float, quick: bool, out: Path, vectors: str,
        seed: int) -> dict:
    extra = {"vectors": vectors, **VECTORS} if task == "classify" and vectors != "none" else {}
    values = {**SETTINGS[task], **(QUICK[task] if quick else {}), "cell": cell,
              "bidirectional": True, "max_minutes": minutes, "quiet": True, "seed": seed,
              "lr_schedule": "plateau", "lr_patience": 3, "patience": 12, **extra,
              "out": str(out / f"{task}-{cell}-{seed}-{time.strftime('%Y%m%d-%H%M%S')}")}
    config = resolve(None, values)
    t0 = time.monotonic()
    result = train(config, log=lambda *a: None)
    name = NAMES[task] + (f" +{vectors}" if extra else "")
    return {"task": name, "cell": cell, "accuracy": result.valid["accuracy"],
            "steps": result.step, "best_step": result.best_step,
            "minutes": (time.monotonic() - t0) / 60, "result": result, "config": config}


def ensemble(task: str, rows: list) -> float:
    """Dev accuracy of the runs' models voting (as ``elman eval RUN --ensemble RUN...``)."""
    first = rows[0]["result"].task
    batches = first.eval_batches(first.load(SETTINGS[task]["valid"]), rows[0]["config"].train)
    gold, found = first.gold_and_predicted([r["result"].model for r in rows], batches)
    return sum(g == f for g, f in zip(gold, found)) / len(gold)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30.0, help="training budget per model")
    p.add_argument("--quick", action="store_true", help="small models, 2 minutes each")
    p.add_argument("--tasks", default="tag,classify", help="tag, classify or both")
    p.add_argument("--cells", default="elman,lstm,gru", help="cells to run, comma-separated")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--vectors", default="none", help="classify: pretrained word vectors "
                   "(none or wordllama; see elman.data.vectors)")
    p.add_argument("--seeds", type=int, default=1, help="runs per cell (seeds 0..N-1); with "
                   "more than one, also the accuracy of their ensemble (and of all cells' runs)")
    p.add_argument("--out", default="runs/bench-text", help="folder of the run folders")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    minutes = 2.0 if args.quick and args.minutes == 30.0 else args.minutes
    print(f"{'task':<22} {'cell':<6} {'seed':>9} {'dev accuracy':>12} {'steps':>7} "
          f"{'best':>7} {'wall min':>8}")
    for task in args.tasks.split(","):
        everyone = []
        for cell in args.cells.split(","):
            rows = []
            for seed in range(args.seeds):
                r = run(task, cell, minutes, args.quick, Path(args.out), args.vectors, seed)
                rows.append(r)
                print(f"{r['task']:<22} {cell:<6} {seed:>9} {r['accuracy']:>12.2%} "
                      f"{r['steps']:>7,} {r['best_step']:>7,} {r['minutes']:>8.1f}", flush=True)
            if len(rows) > 1:
                print_ensemble(task, cell, rows)
            everyone += rows
        if len(everyone) > len(rows):
            print_ensemble(task, "all", everyone)


def print_ensemble(task: str, cell: str, rows: list):
    acc = ensemble(task, rows)
    wall = sum(r["minutes"] for r in rows)
    print(f"{rows[0]['task']:<22} {cell:<6} {'ensemble':>9} {acc:>12.2%} {'':>7} {'':>7} "
          f"{wall:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
