"""The time-series forecasting task: from the last ``window`` values, predict the next
``horizon`` values of one series.

Data: ``elman.data.series`` (a CSV column or the built-in yearly sunspots), split in time
order, scaled with the training part's mean and std (saved in the checkpoint's task.json).
Model (``forecast_shape``, a training setting as it shapes the targets):
``elman.models.ManyToOne`` (x (B, T, 1) -> y (B, h) from the final state) or
``elman.models.ManyToMany`` (x (B, T, 1) -> y (B, T, h), the next h values after every step;
the last step is the forecast). Loss: squared error of the scaled values. Metrics:
RMSE and MAE in the series' units over every validation origin and horizon step, beside the
persistence and ARIMA baselines (``elman.baselines``) on the same origins.
"""

import hashlib
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .. import baselines
from ..data.series import SUNSPOTS, Scaler, Series, Windows, load_series, split_point
from ..errors import bad
from ..losses import mse
from ..models import ManyToMany, ManyToOne

if TYPE_CHECKING:
    from ..training.config import ModelConfig, TrainConfig


class ForecastTask:
    """Forecast the next ``horizon`` values of a series from its last ``window`` values."""

    name = "forecast"
    vocab = None            # real values in: there are no tokens

    def __init__(self, train: "TrainConfig", vocab=None, meta: dict | None = None):
        self.cfg, self.source = train, train.data or SUNSPOTS
        self.series = load_series(train.data, train.column, train.time_column, train.missing)
        values, T, h = self.series.values, train.window, train.horizon
        self.fingerprint = hashlib.sha256(values.tobytes()).hexdigest()
        self.n_train = split_point(len(values), train.valid_fraction, T, h)
        self.scaler = Scaler(meta["mean"], meta["std"]) if meta else \
            Scaler.fit(values[:self.n_train])
        self.shape = train.forecast_shape
        z = self.scaler.scale(values)
        self.train_batches = Windows(z, list(range(T, self.n_train - h + 1)), T, h, self.shape,
                                     train.batch_size, train.seed)
        self.valid_batches = Windows(z, self.valid_origins, T, h, self.shape,
                                     train.batch_size, shuffle=False) if self.valid_origins \
            else None

    @property
    def valid_origins(self) -> list[int]:
        return list(range(self.n_train, len(self.series.values) - self.cfg.horizon + 1))

    def meta(self) -> dict:
        return {"mean": self.scaler.mean, "std": self.scaler.std, "column": self.series.name}

    def describe(self) -> str:
        n, c = len(self.series.values), self.cfg
        return (f"data: {self.source!r} column {self.series.name!r}, {n:,} values "
                f"({self.n_train:,} train, {n - self.n_train:,} valid); windows of "
                f"{c.window} -> the next {c.horizon} ({self.shape})")

    def build_model(self, model: "ModelConfig") -> nn.Module:
        cls = ManyToOne if self.shape == "many_to_one" else ManyToMany
        return cls(1, model.hidden_sizes, self.cfg.horizon, model.cell, model.activation,
                   dropout=model.dropout)

    @staticmethod
    def loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, state=None):
        """Squared error of the scaled values, summed over the horizon, averaged over windows
        (and steps for many_to_many)."""
        return mse(model(x), y, reduction="step"), None

    def predict(self, model: nn.Module, batches: Windows | None = None) -> np.ndarray:
        """(O, h) forecasts in the series' units at the origins of ``batches`` (in order)."""
        was_training = model.training
        model.eval()
        out = []
        try:
            with torch.no_grad():
                for batch in (batches or self.valid_batches).epoch(0):
                    y = model(batch.x.to(next(model.parameters()).device))
                    out.append((y[:, -1] if y.dim() == 3 else y).double().cpu().numpy())
        finally:
            model.train(was_training)
        return self.scaler.unscale(np.concatenate(out))

    def evaluate(self, model: nn.Module, batches: Windows | None = None,
                 max_batches: int | None = None) -> dict:
        """{"loss": mean squared error per value (scaled), "rmse", "mae" (series units)}."""
        batches = batches or self.valid_batches
        predicted = self.predict(model, batches)
        truth = baselines.targets(self.series.values, batches.origins, self.cfg.horizon)
        loss = float(np.mean((self.scaler.scale(predicted) - self.scaler.scale(truth)) ** 2))
        return {"loss": loss, **baselines.scores(predicted, truth), "values": truth.size}

    @staticmethod
    def report(valid: dict) -> str:
        return (f"valid RMSE: {valid['rmse']:.4g}, MAE: {valid['mae']:.4g} (series units, "
                f"{valid['values']:,} predicted values)")

    def compare(self, model: nn.Module) -> list[tuple[str, dict]]:
        """[(name, {"rmse", "mae"})] of the model, persistence and ARIMA on the valid origins."""
        if self.valid_batches is None:
            raise bad("valid_fraction", "a validation part to score (the run kept none)", 0)
        values, origins, h = self.series.values, self.valid_origins, self.cfg.horizon
        truth = baselines.targets(values, origins, h)
        fitted, order = baselines.arima(values, self.n_train, origins, h, self.cfg.arima_order)
        return [("model", baselines.scores(self.predict(model), truth)),
                ("persistence", baselines.scores(baselines.persistence(values, origins, h),
                                                 truth)),
                (f"ARIMA{order}", baselines.scores(fitted, truth))]

    def forecast(self, model: nn.Module, origin: int, steps: int) -> np.ndarray:
        """(steps,) values after x[:origin], feeding each forecast of h values back as input."""
        T = self.cfg.window
        if origin < T:
            raise bad("origin", f"at least the window of {T} values before it", origin)
        z = list(self.scaler.scale(self.series.values[:origin]))
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
