"""Gradient flow of a trained run against the same model untrained: ``elman diagnose``'s
figures (``elman.diagnose``) for the run's best/ model and for a fresh model built from the
run's config with its seed (the weights training started from), on the same first validation
batch.

    python benchmarks/gradient_flow.py RUN              # e.g. the main job: elman train --out RUN
    python benchmarks/gradient_flow.py RUN --loss all --threads 1

Prints one table: per model (and the seconds its diagnosis took) and layer, ||dL/da_t|| at the last and first step, the fitted
factor per step back, ||W_R||_2 and the largest step-Jacobian singular value (at the last
step and the mean over the steps taken), and how many steps back the gradient keeps 1% of its
size at the last step.
"""

import argparse
import math
import platform
import time

import torch

from elman.cli import load_run
from elman.cli.diagnose import batches_of
from elman.diagnose import diagnose, first_batch


def steps_to_one_percent(rate: float | None) -> str:
    if rate is None or rate >= 1:
        return "-"
    return f"{math.log(0.01) / math.log(rate):.1f}"


def rows(label: str, task, model, batch, **kw) -> list[str]:
    t = time.perf_counter()
    report = diagnose(task, model, batch, **kw)
    label += f" ({time.perf_counter() - t:.1f} s)"
    out = []
    for name, layer in report["layers"].items():
        n, sigmas = layer["norms"], [j["singular_values"][0] for j in layer["jacobians"]]
        out.append(f"| {label} | {name} | {report['loss']:.4f} | {n[-1]:.3g} | {n[0]:.3g} | "
                   f"{layer['rate'] or math.nan:.4f} | {steps_to_one_percent(layer['rate'])} | "
                   f"{layer['W_R']:.3f} | {sigmas[-1]:.3f} | {sum(sigmas) / len(sigmas):.3f} |")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run")
    p.add_argument("--loss", default="end", choices=("end", "all"))
    p.add_argument("--jacobians", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    run, task = load_run(args.run)
    batch = first_batch(batches_of(task, run, None))
    torch.manual_seed(run.config.train.seed)
    fresh = task.build_model(run.config.model).to(next(run.model.parameters()).device)
    kw = dict(end=args.loss == "end", jacobians=args.jacobians)
    print(f"run {args.run}, loss {args.loss}, batch of {tuple(batch.y.shape)} targets; "
          f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{args.threads} thread(s)\n")
    print("| model | layer | L | dL/da last | first | per step back | steps to 1% | "
          "W_R 2-norm | sigma_1(J) last | mean |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for line in rows("untrained (seed)", task, fresh, batch, **kw) + \
            rows("trained (best/)", task, run.model, batch, **kw):
        print(line)


if __name__ == "__main__":
    main()
