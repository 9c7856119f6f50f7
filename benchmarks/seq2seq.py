"""Encoder-decoder benchmarks with fixed seeds: sorting 10 integers from 0-99 (exact match of
the whole output on 1,000 held-out sequences; target >= 95%; 5,000 steps with a cosine
learning rate, ``--minutes`` caps it), and English -> French on the shared eng_fra pairs of
at most 10 words per side (corpus BLEU and chrF on a seeded held-out 2%; target >= 35 BLEU),
without and with attention, each decoded greedily and with beam 5.
Prints a table with the wall time of each run (training, its CPU time, then decoding); the
budget is wall time, so on a shared machine the CPU minutes say how much training it got.

    python benchmarks/seq2seq.py                        # 15 minutes per model
    python benchmarks/seq2seq.py --minutes 20 --tasks sort
    python benchmarks/seq2seq.py --quick                # small models, 1 minute each

Run it with OMP_NUM_THREADS=1 on a shared machine (one thread is also the fastest here).
"""

import argparse
import time
from pathlib import Path

import torch

from elman.training import resolve, train

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

SORT = dict(task="sort", length="10", vocab=100, valid_size=1000, cell="gru",
            hidden_sizes=[256], embed_dim=64, attention="multiplicative", dropout=0.0,
            batch_size=128, lr=2e-3, eval_every=500, lr_schedule="cosine", max_steps=5000)
TRANSLATE = dict(task="translate", data=str(DATA / "eng_fra/eng-fra.txt"), max_words=10,
                 valid_fraction=0.02, lowercase=True, min_count=2, cell="gru",
                 hidden_sizes=[256], embed_dim=128, dropout=0.2, batch_size=64, lr=2e-3,
                 eval_every=1000, eval_batches=4, lr_patience=2)
QUICK = dict(hidden_sizes=[64], embed_dim=32)
MODELS = {"sort": [("attention", dict(SORT))],
          "translate": [("no attention", dict(TRANSLATE, attention="none")),
                        ("attention", dict(TRANSLATE, attention="additive"))]}


def run(task: str, name: str, values: dict, minutes: float, quick: bool, out: Path) -> list:
    values = {**values, **(QUICK if quick else {}), "max_minutes": minutes, "quiet": True,
              "seed": 0, "out": str(out / f"{task}-{name.replace(' ', '-')}-"
                                              f"{time.strftime('%Y%m%d-%H%M%S')}")}
    if quick and task == "translate":
        values["max_words"] = 5
    model_cfg, train_cfg = resolve(None, values)
    t0, cpu0 = time.monotonic(), time.process_time()
    result = train(model_cfg, train_cfg, log=lambda *a: None)
    trained, cpu = (time.monotonic() - t0) / 60, (time.process_time() - cpu0) / 60
    rows = []
    for beam in (1, 5):
        t0 = time.monotonic()
        if task == "sort":
            r = result.task.evaluate(result.model, beam=beam)
            score = f"exact {r['exact_match']:.2%}, tokens {r['token_accuracy']:.2%}"
        else:
            r = result.task.score(result.model, result.task.valid_rows, beam=beam)
            score = f"BLEU {r['bleu']:.2f}, chrF {r['chrf']:.2f}"
        rows.append({"task": task, "model": name, "decoding": "greedy" if beam == 1 else
                     f"beam {beam}", "score": score, "steps": result.step,
                     "train_min": trained, "cpu_min": cpu, "decode_s": time.monotonic() - t0,
                     "run": result.run})
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=15.0, help="training budget per model")
    p.add_argument("--quick", action="store_true", help="small models, 1 minute each")
    p.add_argument("--tasks", default="sort,translate", help="sort, translate or both")
    p.add_argument("--out", default="runs/bench-seq2seq", help="folder of the run folders")
    args = p.parse_args(argv)
    minutes = 1.0 if args.quick and args.minutes == 15.0 else args.minutes
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"{'task':<10} {'model':<13} {'decoding':<8} {'score':<32} {'steps':>7} "
          f"{'train min':>9} {'cpu min':>7} {'decode s':>8}")
    for task in args.tasks.split(","):
        for name, values in MODELS[task]:
            for r in run(task, name, values, minutes, args.quick, Path(args.out)):
                print(f"{r['task']:<10} {r['model']:<13} {r['decoding']:<8} {r['score']:<32} "
                      f"{r['steps']:>7,} {r['train_min']:>9.1f} {r['cpu_min']:>7.1f} "
                      f"{r['decode_s']:>8.1f}",
                      flush=True)


if __name__ == "__main__":
    main()
