"""Spoken-digit benchmarks on the shared FSDD recordings with fixed seeds, from the recipes
``fsdd-digits`` (the classifier's validation accuracy; target >= 97%) and
``fsdd-digit-sequences`` (the CTC recogniser's sequence accuracy and digit error rate on
utterances of 1-5 joined validation recordings, greedy and with prefix beam search). The
validation split holds out 10% of every (speaker, digit) group (``elman.data.audio``).

    OMP_NUM_THREADS=1 python benchmarks/speech.py         # both recipes, their step counts
    python benchmarks/speech.py --quick                   # smaller models: a smoke test

``bench_fsdd(args)`` returns the table's rows (for ``benchmarks/signals.py``).
"""

import argparse
import time

from recipe import CAPPED, add_arguments, fit, steps

BEAM = 8
QUICK = {"fsdd-digits": dict(hidden_sizes=[48], max_steps=150),
         "fsdd-digit-sequences": dict(hidden_sizes=[48], utterances=320, valid_utterances=100,
                                      max_steps=100)}


def run(recipe: str, args):
    """Train one recipe; (result, its steps, wall minutes)."""
    result, config, wall, _ = fit(recipe, QUICK[recipe] if args.quick else {}, args, recipe)
    return result, steps(result, config), wall


def bench_fsdd(args) -> list[dict]:
    """Rows {"task", "cell", "metric", "value", "target", "minutes", "steps", "run"}: the
    classifier's validation accuracy, then the recogniser's sequence accuracy and digit error
    rate, greedy and with beam search."""
    rows = []
    result, n, wall = run("fsdd-digits", args)
    cell = f"{result.model.rnn.cell} bi"
    rows.append(dict(task="FSDD digits", cell=cell, metric="valid accuracy",
                     value=result.valid["accuracy"], target=">= 0.97", minutes=wall,
                     steps=n, run=str(result.run)))
    result, n, wall = run("fsdd-digit-sequences", args)
    t0 = time.monotonic()
    beam = result.task.evaluate(result.model, beam=BEAM)
    wall += (time.monotonic() - t0) / 60
    cell = f"{result.model.rnn.cell} bi"
    for how, scores in (("greedy", result.valid), (f"beam {BEAM}", beam)):
        for metric in ("accuracy", "digit_error_rate"):
            name = "sequence accuracy" if metric == "accuracy" else "digit error rate"
            rows.append(dict(task="FSDD digit sequences (CTC)", cell=cell,
                             metric=f"{name}, {how}", value=scores[metric], target="-",
                             minutes=wall, steps=n, run=str(result.run)))
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'task':<27} {'cell':<8} {'metric':<32} {'value':>7} {'target':>7} "
             f"{'steps':>7} {'wall min':>8}"]
    lines += [f"{r['task']:<27} {r['cell']:<8} {r['metric']:<32} {r['value']:>7.4f} "
              f"{r['target']:>7} {r['steps']:>7} {r['minutes']:>8.1f}" for r in rows]
    if any(r["steps"].endswith("*") for r in rows):
        lines.append(CAPPED)
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p, "runs/bench-speech")
    print(table(bench_fsdd(p.parse_args(argv))), flush=True)


if __name__ == "__main__":
    main()
