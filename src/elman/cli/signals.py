"""Commands for the real-valued signal tasks: forecast (eval, forecast) and music (eval,
generate)."""

from ..errors import bad
from .common import load_run


def signal_task(ck, train_cfg, task: str):
    """The forecast task of a run (it re-reads the series; the scaler comes from the run), or
    the music task (it reads no data)."""
    from ..tasks import get_task
    if ck.config.get("task") != task:
        raise bad("run", f"a {task} run", f"a {ck.config.get('task', 'lm')} run")
    if task == "music":
        return get_task(task).from_checkpoint(ck, train_cfg)
    return get_task(task)(train_cfg, meta=ck.meta)


def eval_forecast(ck, train_cfg, args) -> int:
    from dataclasses import replace
    task = signal_task(ck, replace(train_cfg, data=args.data or train_cfg.data), "forecast")
    c = task.cfg
    print(f"{len(task.valid_origins):,} validation origins, horizon {c.horizon}, window "
          f"{c.window}")
    print(f"{'forecaster':<16} {'RMSE':>10} {'MAE':>10}")
    for name, s in task.compare(ck.model):
        print(f"{name:<16} {s['rmse']:>10.4g} {s['mae']:>10.4g}")
    return 0


def eval_music(ck, train_cfg, args) -> int:
    task = signal_task(ck, train_cfg, "music")
    path = args.data or train_cfg.valid
    if path is not None:
        batches = task.batches(path)
    else:                                   # the pieces the run held out of --data
        batches = type(task)(train_cfg, meta=ck.meta).valid_batches
        if batches is None:
            raise bad("data", "a JSON file of pieces (--data FILE): the run kept no "
                      "validation pieces", "none")
    result = task.evaluate(ck.model, batches)
    print(f"NLL: {result['nll']:.4f} nats per time step")
    print(f"frame accuracy: {result['accuracy']:.4f}")
    print(f"time steps: {result['steps']:,}")
    return 0


def generate_music(ck, args, temperature: float, seed: int | None) -> int:
    import random
    from pathlib import Path

    from ..music import write_midi, write_wav
    from ..tasks.music import generate
    from ..training.config import parse_positive, parse_positive_int
    if not args.out or not args.out.lower().endswith((".mid", ".midi")):
        raise bad("out", "a MIDI file to write, ending in .mid (--out song.mid)",
                  repr(args.out))
    length = parse_positive_int("length", args.length or "64")
    tempo = parse_positive("tempo", args.tempo)
    opening = random.Random(seed).choice(ck.meta["openings"])
    roll = generate(ck.model, opening, length, temperature, seed)
    out = Path(args.out)
    wav = out.with_suffix(".wav")
    write_midi(out, roll, tempo)
    write_wav(wav, roll, tempo)
    notes = int(roll.sum())
    print(f"wrote {out} and {wav}: {length} steps at {tempo:g} beats per minute, "
          f"{notes:,} key-steps on, opening chord {opening}")
    return 0


def cmd_forecast(args) -> int:
    from pathlib import Path

    from ..tasks.forecast import future_times, plot_forecast
    from ..training.config import parse_choice, parse_positive_int
    steps = parse_positive_int("steps", args.steps)
    where = parse_choice(("valid", "end"))("origin", args.origin)
    ck, train_cfg = load_run(args.run)
    task = signal_task(ck, train_cfg, "forecast")
    series = task.series
    origin = task.n_train if where == "valid" else len(series.values)
    values = task.forecast(ck.model, origin, steps)
    times = future_times(series, origin, steps)
    truth = series.values[origin:origin + steps]
    print("time\tforecast\ttruth")
    for i, (t, v) in enumerate(zip(times, values)):
        print(f"{t}\t{v:.6g}\t" + (f"{truth[i]:.6g}" if i < len(truth) else ""))
    run = Path(args.run)
    plot = Path(args.plot) if args.plot else \
        (run if (run / "best").is_dir() or (run / "checkpoint").is_dir() else ck.path.parent) \
        / "forecast.png"
    plot_forecast(series, origin, values, plot, title=f"{task.source} {series.name}")
    print(f"plot: {plot}")
    return 0
