"""Encoder-decoder benchmarks with fixed seeds, from the shipped recipes: ``sort`` (10
integers from 0-99; exact match of the whole output on 1,000 held-out sequences; target >=
95%) and ``eng-fra`` (English -> French on the shared eng_fra pairs of at most 10 words per
side; a seeded 2% of the distinct English sentences held out with all their translations,
each scored against all of them, multi-reference corpus BLEU and chrF; target >= 35 BLEU),
with and without attention, and ``mnist-captions`` (image -> sentence: composites of 2-4
MNIST digits, captioned "three seven one" or "a seven above a two", validation composites
made of held-out MNIST images; corpus BLEU and exact match), each decoded greedily and with
beam 5. Prints a table per task with the wall time of each run (training, its CPU time,
decoding).

    python benchmarks/seq2seq.py --tasks translate --models attention --threads 1
                                                    # the reported translate run
    python benchmarks/seq2seq.py --tasks translate --models attention --attention scaled \\
        --threads 1                                 # the scaled dot-product score
    python benchmarks/seq2seq.py --tasks sort --threads 1   # the sort run
    python benchmarks/seq2seq.py --tasks caption --threads 1   # the caption run
    python benchmarks/seq2seq.py --quick            # small models, few steps
"""

import argparse
import time

import torch

from recipe import CAPPED, add_arguments, fit, steps

RECIPES = {"sort": "sort", "translate": "eng-fra", "caption": "mnist-captions"}
MODELS = {"sort": {"attention": {}},
          "translate": {"attention": {}, "no-attention": {"attention": "none"}},
          "caption": {"fed-image": {}}}
QUICK = {"sort": dict(hidden_sizes=[64], embed_dim=32, max_steps=200),
         "translate": dict(hidden_sizes=[64], embed_dim=32, max_steps=100, max_words=5,
                           subwords=500),
         "caption": dict(hidden_sizes=[32], embed_dim=16, conv_channels=[8, 8, 8, 8],
                         max_steps=50, examples=500, valid_examples=100)}
COLUMNS = {"sort": ("exact", "tokens"), "translate": ("BLEU", "chrF"),
           "caption": ("BLEU", "exact")}


def scores(task: str, result, beam: int) -> tuple[str, str]:
    """The two score columns of a trained model decoded with ``beam``."""
    r = result.task.evaluate(result.model, beam=beam)
    if task == "sort":
        return f"{r['exact_match']:.2%}", f"{r['token_accuracy']:.2%}"
    if task == "caption":
        return f"{r['bleu']:.2f}", f"{r['exact']:.2%}"
    return f"{r['bleu']:.2f}", f"{r['chrf']:.2f}"


def run(task: str, name: str, overrides: dict, args) -> list:
    overrides = {**overrides, **(QUICK[task] if args.quick else {})}
    result, config, trained, cpu = fit(RECIPES[task], overrides, args, f"{task}-{name}")
    rows = []
    for beam in (1, 5):
        t0 = time.monotonic()
        first, second = scores(task, result, beam)
        rows.append({"model": name, "decoding": "greedy" if beam == 1 else f"beam {beam}",
                     "first": first, "second": second, "steps": steps(result, config),
                     "train_min": trained, "cpu_min": cpu, "decode_s": time.monotonic() - t0,
                     "run": result.run})
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p, "runs/bench-seq2seq")
    p.add_argument("--tasks", default="sort,translate", help="sort, translate, caption, or "
                   "several joined by commas")
    p.add_argument("--models", default="attention,no-attention",
                   help="translate: attention, no-attention or both")
    p.add_argument("--attention", choices=["additive", "multiplicative", "scaled"],
                   help="translate: the score of the attention model (default: the recipe's, "
                   "additive)")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")
    capped = False
    for task in args.tasks.split(","):
        a, b = COLUMNS[task]
        print(f"\n{task:<10} {'model':<13} {'decoding':<8} {a:>7} {b:>7} {'steps':>7} "
              f"{'train min':>9} {'cpu min':>7} {'decode s':>8}")
        for name, overrides in MODELS[task].items():
            if task == "translate" and name not in args.models.split(","):
                continue
            if args.attention and task == "translate" and name == "attention":
                overrides = {"attention": args.attention}
            for r in run(task, name, overrides, args):
                capped |= r["steps"].endswith("*")
                print(f"{task:<10} {r['model']:<13} {r['decoding']:<8} {r['first']:>7} "
                      f"{r['second']:>7} {r['steps']:>7} {r['train_min']:>9.1f} "
                      f"{r['cpu_min']:>7.1f} {r['decode_s']:>8.1f}  {r['run']}", flush=True)
    if capped:
        print(CAPPED)


if __name__ == "__main__":
    main()
