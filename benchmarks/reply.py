"""Reply suggestions on chatterbot-corpus (English) with fixed seeds, from the recipe
``chatterbot-reply``: recall@1 and recall@3 of the held-out messages (each ranking the
distinct training and held-out replies) for the dual encoder, beside random ranking and the
TF-IDF nearest-message baseline on the same candidates (``elman.retrieval``).

    OMP_NUM_THREADS=1 python benchmarks/reply.py           # seed 0, the recipe's steps
    python benchmarks/reply.py --seeds 0 1 2
    python benchmarks/reply.py --quick                      # a small model: a smoke test
"""

import argparse

from recipe import CAPPED, add_arguments, fit, steps

RECIPE = "chatterbot-reply"
QUICK = dict(hidden_sizes=[32], max_steps=100)


def bench(args) -> list[dict]:
    """Rows {"ranking", "recall@1", "recall@3", "steps", "minutes"}: the baselines once, then
    the dual encoder of each seed."""
    rows = []
    for seed in args.seeds:
        overrides = {**(QUICK if args.quick else {}), "seed": seed}
        result, config, wall, _ = fit(RECIPE, overrides, args, f"{RECIPE}-{seed}")
        task = result.task
        if not rows:
            baselines = task.baselines(task.valid_batches, config.train)
            rows += [{"ranking": name, **baselines[key], "steps": "-", "minutes": None}
                     for key, name in (("random", "random"), ("tfidf", "TF-IDF nearest"))]
        rows.append({"ranking": f"dual encoder, seed {seed}", **{
            k: result.valid[k] for k in ("recall@1", "recall@3")},
            "steps": f"{steps(result, config)} (best {result.best_step:,})", "minutes": wall})
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'ranking':<22} {'recall@1':>8} {'recall@3':>8} {'steps':>16} {'wall min':>8}"]
    lines += [f"{r['ranking']:<22} {r['recall@1']:>8.2%} {r['recall@3']:>8.2%} "
              f"{r['steps']:>16} {'-' if r['minutes'] is None else format(r['minutes'], '.1f'):>8}"
              for r in rows]
    if any("*" in r["steps"] for r in rows):
        lines.append(CAPPED)
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p, "runs/bench-reply")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds")
    print(table(bench(p.parse_args(argv))), flush=True)


if __name__ == "__main__":
    main()
