"""``elman diagnose RUN``: gradient-flow diagnostics of a run's model on one batch
(``elman.diagnose``): a table, the curves as a PNG and everything as JSON."""

import json

from ..errors import bad

LOSSES = ("end", "all")


def add_diagnose_parser(sub):
    p = sub.add_parser("diagnose", help="gradient flow of a run's model on one batch: "
                       "||dL/da_t|| per step and layer, ||W_R||_2, step Jacobians")
    p.add_argument("run", metavar="RUN", nargs="?", help="a run folder")
    p.add_argument("--data", metavar="PATH", default=None, help="a file or folder read as the "
                   "task reads its training data; its first batch is used (default: the "
                   "first batch of the run's validation data)")
    p.add_argument("--loss", default="end", help="end: the task's loss through each "
                   "sequence's last step only (how far back the end still reaches); all: the "
                   "task's loss as trained (default: end)")
    p.add_argument("--jacobians", default="4", metavar="K", help="steps at which to take the "
                   "step Jacobian's largest singular values (default: 4)")
    p.add_argument("--plot", metavar="FILE.png", default=None, help="the curves (default: "
                   "RUN/diagnose.png)")
    p.add_argument("--report", metavar="FILE.json", default=None, help="the diagnostics as "
                   "JSON (default: RUN/diagnose.json)")
    p.set_defaults(func=cmd_diagnose)


def batches_of(task, run, path: str | None):
    """The batches of --data (``load`` then ``eval_batches``), or the run's validation
    batches."""
    if path is not None:
        return task.eval_batches(task.load(path), run.config.train)
    if task.valid_batches is None:
        task.setup(run.config.train)
    if task.valid_batches is None:
        raise bad("data", "a file or folder (--data PATH): the run kept no validation data",
                  "none")
    return task.valid_batches


def table(report: dict) -> str:
    """One line per layer: ||dL/da_t|| at the last and first step, the fitted rate,
    ||W_R||_2 and the step Jacobian's largest singular value at the last step taken."""
    rows = [f"loss ({'end' if report['end'] else 'all'}): {report['loss']:.4f} over {report['sequences']} "
            "sequences",
            f"{'layer':<26} {'steps':>5} {'|dL/da| last':>12} {'first':>10} "
            f"{'per step back':>13} {'|W_R|_2':>8} {'sigma_1(J)':>10}"]
    for name, layer in report["layers"].items():
        n, jac = layer["norms"], layer["jacobians"]
        rate = "-" if layer["rate"] is None else f"{layer['rate']:.4f}"
        sigma = f"{jac[-1]['singular_values'][0]:.4f}" if jac else "-"
        rows.append(f"{name:<26} {len(n):>5} {n[-1] if n else 0:>12.4g} "
                    f"{n[0] if n else 0:>10.4g} {rate:>13} {layer['W_R']:>8.4f} {sigma:>10}")
    return "\n".join(rows)


def cmd_diagnose(args) -> int:
    from ..diagnose import diagnose, first_batch
    from ..io.atomic import write_text
    from ..io.inputs import writable
    from ..io.plots import plot_gradient_flow
    from ..options import parse_choice, parse_count
    from .run import load_run
    if args.run is None:
        raise bad("RUN", "a run folder (elman diagnose RUN)", "none")
    end = parse_choice(LOSSES)("loss", args.loss) == "end"
    jacobians = parse_count("jacobians", args.jacobians)
    run, task = load_run(args.run)
    plot = writable(args.plot or run.folder / "diagnose.png", "plot")
    out = writable(args.report or run.folder / "diagnose.json", "report")
    batch = first_batch(batches_of(task, run, args.data))
    if batch is None:
        raise bad("data", "a file or folder with at least one example to diagnose",
                  repr(args.data))
    report = diagnose(task, run.model, batch, end=end, jacobians=jacobians)
    write_text(out, json.dumps(report, indent=1) + "\n")
    plot_gradient_flow(report["layers"], plot, title=f"{args.run}: ||dL/da_t||, L the loss "
                       f"({args.loss}) of one batch")
    print(f"{table(report)}\nwrote {out} and {plot}")
    return 0
