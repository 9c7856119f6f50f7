"""The time-series forecasting task: from the last ``window`` values, predict the next
``horizon`` values of one series.

Data: ``elman.data.series`` (a CSV column or the built-in yearly sunspots), split in time
order into training, validation and (with ``test_fraction``) test parts, scaled with the
training part's mean and std (saved in the checkpoint's task.json). With ``--valid FILE`` the
validation part is that file's series instead (read with the same column settings, a held-out
series of its own: forecast at every origin after its first ``window`` values), and --data
trains but for its test part.
Model (``forecast_shape``, a training setting as it shapes the targets):
``elman.models.ManyToOne`` (x (B, T, 1) -> y (B, h) from the final state) or
``elman.models.ManyToMany`` (x (B, T, 1) -> y (B, T, h), the next h values after every step;
the last step is the forecast). Loss: squared error of the scaled values. Metrics:
RMSE and MAE in the series' units over every validation origin and horizon step, beside the
persistence and ARIMA baselines (``elman.baselines``) on the same origins; ``elman eval RUN
--split test`` scores the test origins the same way.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .. import baselines
from ..data.series import SUNSPOTS, Scaler, Series, Windows, load_series, split_points
from ..errors import bad
from ..io.inputs import writable
from ..losses import mse
from ..models import ManyToMany, ManyToOne
from ..options import (
    opt,
    parse_choice,
    parse_fraction,
    parse_int_range,
    parse_integer,
    parse_optional,
    parse_positive_int,
    parse_text,
)
from .base import (
    TEST,
    VALID,
    Command,
    Param,
    Route,
    Run,
    Scored,
    Task,
    eval_command,
    export_command,
    flag,
    print_metrics,
)

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig


def parse_arima_order(name, v):
    """ "auto" or "p,d,q" (three integers >= 0) -> "auto" or "p,d,q" normalised."""
    if isinstance(v, str) and v.strip().lower() == "auto":
        return "auto"
    parts = v.replace(" ", "").split(",") if isinstance(v, str) else v
    if not isinstance(parts, list) or len(parts) != 3:
        raise bad(name, "auto or an ARIMA order p,d,q such as 2,0,1", repr(v))
    return ",".join(str(parse_integer(name, x, lo=0)) for x in parts)


@dataclass
class Options:
    """Settings of the forecast task."""

    column: str | None = opt(None, parse_optional(parse_text), "the CSV column to forecast "
                             "(default: the only numeric one)", "NAME")
    time_column: str | None = opt(None, parse_optional(parse_text), "a column of times or "
                                  "dates to sort by and plot against (default: row order)",
                                  "NAME")
    missing: str = opt("error", parse_choice(("error", "interpolate")), "missing values are "
                       "an error, or filled by linear interpolation")
    window: int = opt(24, parse_positive_int, "past values read per forecast")
    horizon: int = opt(1, parse_positive_int, "future values predicted per forecast "
                       "(1: one step ahead)")
    forecast_shape: str = opt("many_to_one", parse_choice(("many_to_one", "many_to_many")),
                              "many_to_one predicts the next horizon values from the "
                              "final state; many_to_many predicts them at every step of the "
                              "window (more training signal; the last step is the forecast)")
    test_fraction: float = opt(0.0, parse_fraction, "fraction of the series at its end held "
                               "out as the test split: never trained on, never used for "
                               "validation or choosing best/ (elman eval RUN --split test "
                               "scores it; 0: none)", "F")
    arima_order: str = opt("auto", parse_arima_order, "the ARIMA baseline's order p,d,q, "
                           "or auto (the lowest AIC on the training part of AR(1..10) "
                           "and ARMA(0..3, 1..2))", "P,D,Q", fixed=False)


MAX_BACKTEST, HISTORY = 500, 400     # values one HTTP request forecasts; history it shows
ORIGINS = ("valid", "end")


class SeriesWindows(Windows):
    """The validation (or test) windows of one series, in time order, with the series they
    come from (for the truth in the series' units and the baselines) and the training values
    the ARIMA baseline is fitted on."""

    def __init__(self, series: Series, fit: np.ndarray, z: np.ndarray, origins: list[int],
                 window: int, horizon: int, shape: str, batch_size: int):
        super().__init__(z, origins, window, horizon, shape, batch_size, shuffle=False)
        self.series, self.fit = series, fit


class ForecastTask(Task):
    """Forecast the next ``horizon`` values of a series from its last ``window`` values.
    ``--data``: a CSV file (default: the yearly sunspots bundled with statsmodels)."""

    name = "forecast"
    Options = Options
    commands = (
        eval_command(help="RMSE and MAE of the model beside persistence and ARIMA at the "
                     "validation origins of the run's series (--split test: its test "
                     "origins), or of --data (a CSV read with the run's column settings, "
                     "split as the run's and scaled with the run's scaler)"),
        Command("forecast", "the next N values of the run's series, printed and plotted",
                "cmd_forecast", (
                    flag("--steps", required=True, help="how many values to forecast"),
                    flag("--origin", default="valid", help="valid: start where the validation "
                         "starts (a --valid series: after its first window), beside the truth "
                         "(default); end: after the last value"),
                    flag("--plot", metavar="FILE", default=None, help="PNG of history, "
                         "forecast and truth (default: forecast.png in the run folder)"))),
        export_command(),
    )
    routes = (
        Route("forecast", "the next horizon values after each history", "predict",
              input="a history: a list of at least window numbers, in the series' units"),
        Route("backtest", "the run's own series forecast from where its validation part "
              "starts (valid; a --valid series after its first window) or after its end "
              "(end), beside the truth and the persistence "
              "and ARIMA forecasts from there", "backtest", input='"valid" or "end"', params=(
                  Param("steps", int, 24, f"values to forecast (1-{MAX_BACKTEST})",
                        parse_int_range(1, MAX_BACKTEST)),
                  Param("arima_order", str | None, None, "the ARIMA baseline's order p,d,q "
                        "or auto (null: the run's)", parse_optional(parse_arima_order)))),
    )
    series: Series | None = None     # the training series, once setup has read it
    held: Series | None = None       # --valid's series, once setup has read it
    served: dict | None = None       # the backtest route's (series, origin) per origin

    def __init__(self, options, *, vocab=None, meta: dict | None = None):
        super().__init__(options, vocab=None, meta=meta)   # real values in: there are no tokens
        if meta and not all(isinstance(meta.get(k), (int, float)) and not
                            isinstance(meta.get(k), bool) for k in ("mean", "std")):
            raise bad("checkpoint", "a task.json with the scaler's mean and std (numbers)",
                      f"mean {meta.get('mean')!r}, std {meta.get('std')!r}")
        self.scaler = Scaler(meta["mean"], meta["std"]) if meta else None
        self.column = meta.get("column") if meta else None

    # --- data ------------------------------------------------------------------------------

    def load(self, path: str | None, argument: str = "data") -> Series:
        """The series of a CSV file (None: the built-in sunspots), read with the task's column,
        time column and missing-value settings; errors about the file name ``argument``."""
        o = self.options
        return load_series(path, o.column, o.time_column, o.missing, argument=argument)

    def split(self, series: Series, train: "TrainConfig") -> tuple[int, int]:
        """(n_train, test_start) of ``series``: values[:n_train] train,
        values[n_train:test_start] validate (none with --valid), values[test_start:] test."""
        o = self.options
        return split_points(len(series.values), train.valid_fraction if train.valid is None
                            else 0.0, o.window, o.horizon, o.test_fraction)

    def setup(self, train: "TrainConfig"):
        o = self.options
        self.source = train.data or SUNSPOTS
        self.series = self.load(train.data)
        values, T, h = self.series.values, o.window, o.horizon
        self.held = None if train.valid is None else self.load(train.valid, "valid")
        self.fingerprint = hashlib.sha256(values.tobytes() + (
            b"" if self.held is None else self.held.values.tobytes())).hexdigest()
        self.n_train, self.test_start = self.split(self.series, train)
        if self.scaler is None:
            self.scaler = Scaler.fit(values[:self.n_train])
        self.column = self.series.name
        z = self.scaler.scale(values)
        self.train_batches = Windows(z, list(range(T, self.n_train - h + 1)), T, h,
                                     o.forecast_shape, train.batch_size, train.seed)
        if self.held is not None:
            self.valid_batches = self.held_out(self.held, values[:self.n_train], train,
                                               train.valid)
        else:
            origins = origins_between(self.n_train, self.test_start, h)
            self.valid_batches = self.windows(self.series, self.n_train, origins, train) \
                if origins else None

    def windows(self, series: Series, n_train: int, origins: list[int],
                train: "TrainConfig") -> SeriesWindows:
        """The windows of ``series`` at ``origins``, its values[:n_train] the training
        part."""
        return self.windows_of(series, series.values[:n_train], origins, train)

    def windows_of(self, series: Series, fit: np.ndarray, origins: list[int],
                   train: "TrainConfig") -> SeriesWindows:
        o = self.options
        return SeriesWindows(series, fit, self.scaler.scale(series.values), origins,
                             o.window, o.horizon, o.forecast_shape, train.batch_size)

    def held_out(self, series: Series, fit: np.ndarray, train: "TrainConfig",
                 path: str) -> SeriesWindows:
        """The windows of a held-out series (--valid's) at every origin after its first
        window of values, ``fit`` the training values of the run's series."""
        T, h = self.options.window, self.options.horizon
        origins = origins_between(T, len(series.values), h)
        if not origins:
            raise bad("valid", f"a series of at least window + horizon = {T} + {h} values",
                      f"{path!r}: {len(series.values)} values")
        return self.windows_of(series, fit, origins, train)

    def eval_batches(self, series: Series, train: "TrainConfig") -> SeriesWindows:
        """The validation windows of ``series``: split as the run's series (the
        ``valid_fraction`` before the ``test_fraction`` at its end), scaled with the run's
        scaler."""
        n_train, test_start = self.split(series, train)
        origins = origins_between(n_train, test_start, self.options.horizon)
        if not origins:
            raise bad("valid_fraction", "a validation part to score (the run kept none)",
                      f"{train.valid_fraction:g}")
        return self.windows(series, n_train, origins, train)

    def eval_data(self, run: Run, path: str | None, *,
                  train: "TrainConfig | None" = None) -> SeriesWindows:
        """The validation windows of ``path``, or of the run's own validation data; a run
        trained with --valid scores ``path`` as a held-out series, as it did --valid's."""
        train = train or run.config.train
        if train.valid is None:
            return self.eval_batches(self.load(path if path is not None else train.data),
                                     train)
        series = self.load(train.data)
        argument, path = ("data", path) if path is not None else ("valid", train.valid)
        return self.held_out(self.load(path, argument),
                             series.values[:self.split(series, train)[0]], train, path)

    def starting_point(self, where: str, train: "TrainConfig") -> tuple[Series, int]:
        """(series, origin) of a forecast from ``where``: "valid", the first validation
        origin (of --valid's series after its first window, else of the run's series);
        "end", after the run's series."""
        series = self.load(train.data)
        if where == "end":
            return series, len(series.values)
        if train.valid is None:
            return series, self.split(series, train)[0]
        return self.load(train.valid, "valid"), self.options.window

    def test_data(self, run: Run) -> tuple[SeriesWindows, Scored]:
        """The windows of the test origins of the run's series, test_start .. N - horizon:
        their targets are the last ``test_fraction`` of the values."""
        o, train = self.options, run.config.train
        if not o.test_fraction:
            raise bad("split", "valid (the run keeps no test split: it was trained with "
                      "test_fraction 0; score a held-out file with --data PATH)", repr(TEST))
        series = self.load(train.data)
        n_train, test_start = self.split(series, train)
        origins = origins_between(test_start, len(series.values), o.horizon)
        return self.windows(series, n_train, origins, train), Scored(
            TEST, f"the test split (the last {percent(o.test_fraction)} of the series, never "
            "used for training or choosing best/)")

    def validation(self, train: "TrainConfig") -> Scored:
        if train.valid is not None:
            return Scored(VALID, f"the validation series {train.valid!r} (forecasts after its "
                          f"first {self.options.window} values; it picked best/)")
        part = percent(train.valid_fraction)
        where = f"the last {part} of the series" if not self.options.test_fraction else \
            f"the {part} of the series before the test split"
        return Scored(VALID, f"the validation split ({where}; it picked best/)")

    def meta(self) -> dict:
        return {"mean": self.scaler.mean, "std": self.scaler.std, "column": self.column}

    def describe(self) -> str:
        n, o = len(self.series.values), self.options
        test = f", {n - self.test_start:,} test" if self.test_start < n else ""
        valid = f"{self.test_start - self.n_train:,} valid" if self.held is None else \
            f"valid: {len(self.held.values):,} values of the --valid series"
        return (f"data: {self.source!r} column {self.series.name!r}, {n:,} values "
                f"({self.n_train:,} train, {valid}{test}); "
                f"windows of {o.window} -> the next {o.horizon} ({o.forecast_shape})")

    def export_usage(self) -> list[str]:
        o = self.options
        y = "y (B, horizon)" if o.forecast_shape == "many_to_one" else \
            "y (B, T, horizon), the last step's row"
        return [f"x (B, T, 1): the last window ({o.window}) values, scaled: (value - mean) / "
                "std with task.json's mean and std; lengths (B,): T",
                f"{y}: the next horizon ({o.horizon}) values, scaled: value = y * std + mean; "
                "to forecast further, append them and run again (ForecastTask.forecast)"]

    # --- model -----------------------------------------------------------------------------

    def build_model(self, model: "ModelConfig") -> nn.Module:
        o = self.options
        cls = ManyToOne if o.forecast_shape == "many_to_one" else ManyToMany
        return cls(1, model.hidden_sizes, o.horizon, model.cell, model.activation,
                   dropout=model.dropout)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, state=None):
        """Squared error of the scaled values, summed over the horizon, averaged over windows
        (and steps for many_to_many)."""
        return mse(model(x), y, reduction="step"), None

    def forecasts(self, model: nn.Module, batches: Windows | None = None) -> np.ndarray:
        """(O, h) forecasts in the series' units at the origins of ``batches`` (in order)."""
        was_training = model.training
        model.eval()
        out = []
        try:
            with torch.no_grad():
                for batch in (self.valid_batches if batches is None else batches).epoch(0):
                    y = model(batch.x.to(next(model.parameters()).device))
                    out.append((y[:, -1] if y.dim() == 3 else y).double().cpu().numpy())
        finally:
            model.train(was_training)
        return self.scaler.unscale(np.concatenate(out))

    def evaluate(self, model: nn.Module, batches: SeriesWindows | None = None, *,
                 max_batches: int | None = None) -> dict:
        """{"loss": mean squared error per value (scaled), "rmse", "mae" (series units),
        "values"}, always over every origin (``max_batches`` is not used: the windows are
        few)."""
        batches = self.valid_batches if batches is None else batches
        predicted = self.forecasts(model, batches)
        truth = baselines.targets(batches.series.values, batches.origins, self.options.horizon)
        loss = float(np.mean((self.scaler.scale(predicted) - self.scaler.scale(truth)) ** 2))
        return {"loss": loss, **baselines.scores(predicted, truth), "values": truth.size}

    def report(self, valid: dict) -> str:
        return (f"valid RMSE: {valid['rmse']:.4g}, MAE: {valid['mae']:.4g} (series units, "
                f"{valid['values']:,} predicted values)")

    def baseline_scores(self, batches: SeriesWindows) -> tuple[dict, dict, tuple]:
        """({"rmse", "mae"} of persistence, those of ARIMA, the ARIMA order) at the origins of
        ``batches``, ARIMA fitted on the training part of their series."""
        values, origins, h = batches.series.values, batches.origins, self.options.horizon
        truth = baselines.targets(values, origins, h)
        fitted = baselines.fit_arima(batches.fit, self.options.arima_order)
        return (baselines.scores(baselines.persistence(values, origins, h), truth),
                baselines.scores(baselines.arima_forecasts(fitted, values, origins, h), truth),
                tuple(fitted.model.order))

    def compare(self, model: nn.Module, batches: SeriesWindows | None = None
                ) -> list[tuple[str, dict]]:
        """[(name, {"rmse", "mae"})] of the model, persistence and ARIMA on the validation
        origins (of ``batches``, default: the run's)."""
        batches = self.valid_batches if batches is None else batches
        if batches is None:
            raise bad("valid_fraction", "a validation part to score (the run kept none)", 0)
        truth = baselines.targets(batches.series.values, batches.origins, self.options.horizon)
        return table(baselines.scores(self.forecasts(model, batches), truth),
                     *self.baseline_scores(batches))

    def forecast(self, model: nn.Module, origin: int, steps: int,
                 values: np.ndarray | None = None) -> np.ndarray:
        """(steps,) values after values[:origin] (default: the training series), feeding each
        forecast of h values back as input."""
        T = self.options.window
        if origin < T:
            raise bad("origin", f"at least the window of {T} values before it", origin)
        values = self.series.values if values is None else values
        z = list(self.scaler.scale(values[:origin]))
        out: list[float] = []
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                while len(out) < steps:
                    x = torch.tensor(z[-T:], dtype=torch.float32)[None, :, None]  # (1, T, 1)
                    y = model(x.to(next(model.parameters()).device))
                    new = (y[0, -1] if y.dim() == 3 else y[0]).double().cpu().tolist()
                    out += new
                    z += new
        finally:
            model.train(was_training)
        return self.scaler.unscale(np.array(out[:steps]))

    def predict(self, models: list, inputs: list) -> list[list[float]]:
        """The next ``horizon`` values after each history (a list of at least ``window``
        numbers, in the series' units); several models: their mean forecast."""
        T, h = self.options.window, self.options.horizon
        out = []
        for history in inputs:
            try:
                values = np.asarray(history, dtype=np.float64)
            except (TypeError, ValueError):
                raise bad("history", f"a list of at least the window of {T} finite numbers",
                          "values that are not numbers") from None
            if values.ndim != 1 or len(values) < T or not np.isfinite(values).all():
                raise bad("history", f"a list of at least the window of {T} finite numbers",
                          f"shape {values.shape}" if values.ndim != 1 else
                          f"{len(values)} values" if len(values) < T else "a non-finite value")
            ahead = [self.forecast(m, len(values), h, values) for m in models]
            out.append(np.mean(ahead, axis=0).tolist())
        return out

    # --- serving ---------------------------------------------------------------------------

    def serving(self, run: Run):
        """The backtest route reads the run's series (its --data, split as in training, and
        --valid's) and keeps an ARIMA per order, each fitted on first use."""
        self.train_config, self.fits = run.config.train, {}

    def backtest(self, models: list, inputs: list, *, steps: int = 24,
                 arima_order: str | None = None) -> list[dict]:
        """Per origin, "valid" (where the run's validation starts) or "end" (after the
        last value): {"name", "origin", "history": {"times", "values"} (up to HISTORY values
        before the origin), "times" of the forecasts, "truth" (the series' values there, if
        any), "forecasters": [{"name", "values", "rmse", "mae"}] (scores on the truth, null
        without), "arima_order"}."""
        train = self.train_config
        if self.served is None:
            self.served = {where: self.starting_point(where, train) for where in ORIGINS}
        order = arima_order or self.options.arima_order
        if order not in self.fits:
            series = self.served["end"][0]
            self.fits[order] = baselines.fit_arima(
                series.values[:self.split(series, train)[0]], order)
        out = []
        for i, where in enumerate(inputs):
            where = parse_choice(ORIGINS)(f"inputs[{i}]", where)
            series, origin = self.served[where]
            out.append(self.backtest_from(models, series, origin, steps, self.fits[order],
                                          where))
        return out

    def backtest_from(self, models: list, series: Series, origin: int, steps: int, fitted,
                      where: str) -> dict:
        """``backtest``'s answer for one origin, ``fitted`` the ARIMA baseline."""
        values = series.values
        times = series.times if series.times is not None else np.arange(len(values))
        truth = values[origin:origin + steps]
        forecasts = [
            ("model", np.mean([self.forecast(m, origin, steps, values) for m in models], 0)),
            ("persistence", baselines.persistence(values, [origin], steps)[0]),
            (f"ARIMA{tuple(fitted.model.order)}",
             baselines.arima_forecasts(fitted, values, [origin], steps)[0])]
        start = max(0, origin - HISTORY)
        return {"name": series.name, "origin": where,
                "history": {"times": json_times(times[start:origin]),
                            "values": values[start:origin].tolist()},
                "times": json_times(future_times(series, origin, steps)),
                "truth": truth.tolist(),
                "forecasters": [{"name": name, "values": f.tolist(),
                                 **(baselines.scores(f[:len(truth)], truth) if len(truth)
                                    else {"rmse": None, "mae": None})}
                                for name, f in forecasts],
                "arima_order": [int(v) for v in fitted.model.order]}

    # --- commands --------------------------------------------------------------------------

    def cmd_eval(self, run: Run, args) -> int:
        """The model beside persistence and ARIMA: a table, or with --json one object."""
        o = self.options
        batches, scored = self.scored_data(run, args)
        metrics = self.evaluate(run.model, batches)
        persistence, arima, order = self.baseline_scores(batches)
        rows = table({"rmse": metrics["rmse"], "mae": metrics["mae"]}, persistence, arima, order)
        heading = (f"{len(batches.origins):,} {'test' if scored.split == TEST else 'validation'}"
                   f" origins, horizon {o.horizon}, window {o.window}")
        print_metrics({**metrics, "origins": len(batches.origins), "horizon": o.horizon,
                       "window": o.window, "persistence": persistence,
                       "arima": {"order": [int(v) for v in order], **arima}},
                      args, lambda m: table_text(heading, rows), scored)
        return 0

    def cmd_forecast(self, run: Run, args) -> int:
        """Print the forecast of --steps values from --origin beside the truth; plot it."""
        from ..io.plots import plot_forecast
        steps = parse_positive_int("steps", args.steps)
        where = parse_choice(("valid", "end"))("origin", args.origin)
        if args.plot:
            writable(args.plot, "plot")
        train = run.config.train
        series, origin = self.starting_point(where, train)
        source = train.valid if where == "valid" and train.valid is not None else train.data
        values = self.forecast(run.model, origin, steps, series.values)
        ahead = future_times(series, origin, steps)
        truth = series.values[origin:origin + steps]
        print("time\tforecast\ttruth")
        for i, (t, v) in enumerate(zip(ahead, values)):
            print(f"{t}\t{v:.6g}\t" + (f"{truth[i]:.6g}" if i < len(truth) else ""))
        plot = Path(args.plot) if args.plot else run.folder / "forecast.png"
        times = series.times if series.times is not None else np.arange(len(series.values))
        plot_forecast(times, series.values, origin, ahead, values, plot, name=series.name,
                      timed=series.times is not None,
                      title=f"{source or SUNSPOTS} {series.name}")
        print(f"plot: {plot}")
        return 0


def table(model: dict, persistence: dict, arima: dict, order: tuple) -> list[tuple[str, dict]]:
    return [("model", model), ("persistence", persistence), (f"ARIMA{order}", arima)]


def table_text(heading: str, rows: list[tuple[str, dict]]) -> str:
    """The heading, then RMSE and MAE of each forecaster, for people."""
    lines = [heading, f"{'forecaster':<16} {'RMSE':>10} {'MAE':>10}"]
    lines += [f"{name:<16} {s['rmse']:>10.4g} {s['mae']:>10.4g}" for name, s in rows]
    return "\n".join(lines)


def origins_between(start: int, end: int, horizon: int) -> list[int]:
    """The origins whose ``horizon`` targets all lie in values[start:end]: start .. end -
    horizon."""
    return list(range(start, end - horizon + 1))


def percent(fraction: float) -> str:
    """0.2 -> "20%"."""
    return f"{100 * fraction:g}%"


def json_times(times: np.ndarray) -> list:
    """Numbers as floats, dates as ISO strings."""
    if np.issubdtype(times.dtype, np.datetime64):
        return [str(t) for t in np.datetime_as_string(times)]
    return times.astype(np.float64).tolist()


def future_times(series: Series, origin: int, steps: int) -> np.ndarray:
    """The times of ``steps`` values from ``origin`` on: the series' own while it lasts, then
    continued by its median spacing (or step numbers when there are no times)."""
    times = series.times if series.times is not None else np.arange(len(series.values))
    known = times[origin:origin + steps]
    extra = steps - len(known)
    if extra <= 0:
        return known
    spacing = np.median(np.diff(times)) if len(times) > 1 else 1
    return np.concatenate([known, times[-1] + spacing * np.arange(1, extra + 1)])
