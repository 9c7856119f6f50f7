"""Encoder-decoder benchmarks with fixed seeds: sorting 10 integers from 0-99 (exact match of
the whole output on 1,000 held-out sequences; target >= 95%; 5,000 steps with a cosine
learning rate, ``--minutes`` caps it), and English -> French on the shared eng_fra pairs of
at most 10 words per side (target >= 35 BLEU within 60 minutes): a seeded 2% of the distinct
English sentences held out with all their translations, each scored against all of them
(multi-reference corpus BLEU and chrF); with and without attention, each decoded greedily
and with beam 5. Translation: sentencepiece pieces (4,000 per side), bidirectional GRU
encoder of 2 x 256, decoder GRU 512, additive attention, batches of 128, Adam 3e-3
with a cosine decay that ends at ``--max-steps`` or at the ``--minutes`` budget, whichever
comes first.
Prints a table per task with the wall time of each run (training, its CPU time, decoding);
the budget is wall time, so on a shared machine the CPU minutes say how much training it got.

    python benchmarks/seq2seq.py --tasks translate --models attention --minutes 50 \\
        --threads 1                                     # the reported translate run
    python benchmarks/seq2seq.py --tasks translate --models no-attention --minutes 50 \\
        --threads 1                                     # the run without attention
    python benchmarks/seq2seq.py --tasks translate --models attention --attention scaled \\
        --minutes 50 --threads 1                        # the scaled dot-product score
    python benchmarks/seq2seq.py --tasks sort --minutes 25 --threads 1   # the sort run
    python benchmarks/seq2seq.py --quick                # small models, 1 minute each
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
                 valid_fraction=0.02, lowercase=True, subwords=4000, min_count=1, cell="gru",
                 hidden_sizes=[256], bidirectional=True, embed_dim=256, dropout=0.2,
                 label_smoothing=0.1, batch_size=128, lr=3e-3, lr_schedule="cosine",
                 warmup=200, max_steps=10_500, eval_every=1500)
QUICK = dict(hidden_sizes=[64], embed_dim=32)
MODELS = {"sort": {"attention": dict(SORT)},
          "translate": {"no-attention": dict(TRANSLATE, attention="none"),
                        "attention": dict(TRANSLATE, attention="additive")}}
COLUMNS = {"sort": ("exact", "tokens"), "translate": ("BLEU", "chrF")}


def scores(task: str, result, beam: int) -> tuple[str, str]:
    """The two score columns of a trained model decoded with ``beam``."""
    if task == "sort":
        r = result.task.evaluate(result.model, beam=beam)
        return f"{r['exact_match']:.2%}", f"{r['token_accuracy']:.2%}"
    r = result.task.score(result.model, result.task.valid_rows, beam=beam)
    return f"{r['bleu']:.2f}", f"{r['chrf']:.2f}"


def run(task: str, name: str, values: dict, minutes: float, quick: bool, out: Path) -> list:
    values = {**values, **(QUICK if quick else {}), "max_minutes": minutes, "quiet": True,
              "seed": 0, "out": str(out / f"{task}-{name}-{time.strftime('%Y%m%d-%H%M%S')}")}
    if quick and task == "translate":
        values.update(max_words=5, subwords=500)
    model_cfg, train_cfg = resolve(None, values)
    t0, cpu0 = time.monotonic(), time.process_time()
    result = train(model_cfg, train_cfg, log=lambda *a: None)
    trained, cpu = (time.monotonic() - t0) / 60, (time.process_time() - cpu0) / 60
    rows = []
    for beam in (1, 5):
        t0 = time.monotonic()
        first, second = scores(task, result, beam)
        rows.append({"model": name, "decoding": "greedy" if beam == 1 else f"beam {beam}",
                     "first": first, "second": second, "steps": result.step,
                     "train_min": trained, "cpu_min": cpu, "decode_s": time.monotonic() - t0,
                     "run": result.run})
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=60.0, help="training budget per model")
    p.add_argument("--quick", action="store_true", help="small models, 1 minute each")
    p.add_argument("--tasks", default="sort,translate", help="sort, translate or both")
    p.add_argument("--models", default="attention,no-attention",
                   help="translate: attention, no-attention or both")
    p.add_argument("--max-steps", type=int, help="steps of the cosine decay (default: the "
                   "task's)")
    p.add_argument("--attention", choices=["additive", "multiplicative", "scaled"],
                   help="translate: the score of the attention model (default: additive)")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--out", default="runs/bench-seq2seq", help="folder of the run folders")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    minutes = 1.0 if args.quick and args.minutes == 60.0 else args.minutes
    steps = {} if args.max_steps is None else {"max_steps": args.max_steps}
    print(f"torch threads: {torch.get_num_threads()}")
    for task in args.tasks.split(","):
        a, b = COLUMNS[task]
        print(f"\n{task:<10} {'model':<13} {'decoding':<8} {a:>7} {b:>7} {'steps':>7} "
              f"{'train min':>9} {'cpu min':>7} {'decode s':>8}")
        for name, values in MODELS[task].items():
            if task == "translate" and name not in args.models.split(","):
                continue
            score = {"attention": args.attention} if (
                args.attention and task == "translate" and name == "attention") else {}
            for r in run(task, name, {**values, **steps, **score}, minutes, args.quick,
                         Path(args.out)):
                print(f"{task:<10} {r['model']:<13} {r['decoding']:<8} {r['first']:>7} "
                      f"{r['second']:>7} {r['steps']:>7,} {r['train_min']:>9.1f} "
                      f"{r['cpu_min']:>7.1f} {r['decode_s']:>8.1f}  {r['run']}", flush=True)


if __name__ == "__main__":
    main()
