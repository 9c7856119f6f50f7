"""One real-valued time series: reading it (a CSV column through pandas, or the yearly sunspots
bundled with statsmodels), the chronological split, standard scaling and window batches.

Reading checks, with one-line errors naming the argument: the file parses, the column exists
and is numeric (a value that is not a number, or is infinite, is an error naming its line;
the series is read before the run folder is made), the times (when a
time column is given) parse and are distinct. Missing values are an error, or with
``missing="interpolate"`` filled by linear interpolation in time order (values missing at
either end take the nearest known value).

Split, in time order: the last n_test = round(test_fraction * N) values test (none by
default), the n_valid = round(valid_fraction * N) before them validate, the first n_train
train; nothing from after the training part is used in training, and the scaler (mean, std)
is fitted on the training values only. A forecast at origin o reads the ``window`` values
z[o-T:o] and predicts the ``horizon`` values z[o:o+h]; training origins have o + h <=
n_train, validation origins o = n_train .. test_start - h (their targets stop before the test
part), test origins o = test_start .. N - h (the windows of both may reach back into the
parts before them).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ..errors import bad
from ..extras import require
from .batching import Batch, epoch_generator

SUNSPOTS = "sunspots"          # the name shown for the built-in series


class Series(NamedTuple):
    """values (N,) float64 in time order; times (N,) (numbers or datetime64) or None."""

    values: np.ndarray
    times: np.ndarray | None
    name: str


def load_series(path: str | None, column: str | None = None, time_column: str | None = None,
                missing: str = "error", *, argument: str = "data") -> Series:
    """The series of a CSV column, or the built-in sunspots when ``path`` is None; errors
    about the file name ``argument`` (the flag that gave it)."""
    if path is None:
        frame = require("statsmodels.datasets.sunspots").load_pandas().data
        column, time_column = column or "SUNACTIVITY", time_column or "YEAR"
    else:
        frame = read_csv(path, argument)
    name = pick_column(frame, column, time_column)
    values = numeric(frame[name], name)
    times = None
    if time_column is not None:
        times, order = parse_times(frame, time_column)
        values = values[order]
    return Series(fill_missing(values, name, missing, argument), times, name)


def read_csv(path: str, argument: str = "data"):
    pd = require("pandas")
    p = Path(path)
    if not p.is_file():
        raise bad(argument, "an existing CSV file", repr(str(p)))
    try:
        frame = pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise bad(argument, "a CSV file with a header row", f"{str(p)!r}: {first}") from None
    if frame.empty:
        raise bad(argument, "a CSV file with rows of values", f"{str(p)!r} with none")
    return frame


def pick_column(frame, column: str | None, time_column: str | None) -> str:
    """The column to forecast: ``column``, or the only numeric column besides the times."""
    names = [str(c) for c in frame.columns]
    if column is not None:
        if column not in names:
            raise bad("column", f"one of the CSV's columns {names}", repr(column))
        return column
    numeric_names = [c for c in names if c != time_column and frame[c].dtype.kind in "iuf"]
    if len(numeric_names) != 1:
        raise bad("column", f"a column name (--column NAME) among {names}",
                  f"{len(numeric_names)} numeric columns to choose from")
    return numeric_names[0]


def numeric(col, name: str) -> np.ndarray:
    """A column -> float64 values, NaN where missing; a non-number is an error naming its
    line (line 1 is the header)."""
    pd = require("pandas")
    values = pd.to_numeric(col, errors="coerce")
    wrong = values.isna() & col.notna()
    if wrong.any():
        i = int(np.flatnonzero(wrong.to_numpy())[0])
        raise bad("column", f"numbers in column {name!r}",
                  f"{_show(col.iloc[i])} on line {i + 2} ({int(wrong.sum())} such values)")
    values = values.to_numpy(dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise bad("column", f"finite numbers in column {name!r}",
                  f"{_show(col.iloc[i])} on line {i + 2} ({int(infinite.sum())} such values)")
    return values


def parse_times(frame, time_column: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted times, the order that sorts the rows) of a column of numbers or dates."""
    pd = require("pandas")
    names = [str(c) for c in frame.columns]
    if time_column not in names:
        raise bad("time_column", f"one of the CSV's columns {names}", repr(time_column))
    col = frame[time_column]
    times = col if col.dtype.kind in "iuf" else pd.to_datetime(col, errors="coerce")
    if times.isna().any():
        i = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise bad("time_column", f"numbers or dates in column {time_column!r}",
                  f"{_show(col.iloc[i])} on line {i + 2}")
    if times.duplicated().any():
        i = int(np.flatnonzero(times.duplicated().to_numpy())[0])
        raise bad("time_column", "distinct times", f"{_show(col.iloc[i])} twice (line {i + 2})")
    order = np.argsort(times.to_numpy(), kind="stable")
    return times.to_numpy()[order], order


def _show(value) -> str:
    """A CSV cell for a message: NumPy scalars as plain Python values."""
    return repr(value.item() if hasattr(value, "item") else value)


def fill_missing(values: np.ndarray, name: str, missing: str, argument: str = "data"
                 ) -> np.ndarray:
    pd = require("pandas")
    gaps = np.isnan(values)
    if not gaps.any():
        return values
    if gaps.all():
        raise bad("column", f"values in column {name!r}", "none")
    if missing == "error":
        raise bad(argument, f"no missing values in column {name!r} (or --missing interpolate)",
                  f"{int(gaps.sum())} missing, the first at time step {int(np.argmax(gaps))}")
    return pd.Series(values).interpolate(limit_direction="both").to_numpy()


# --- split, scaling, windows --------------------------------------------------------------


def split_points(n: int, valid_fraction: float, window: int, horizon: int,
                 test_fraction: float = 0.0) -> tuple[int, int]:
    """(n_train, test_start) of a series of ``n`` values: values[:n_train] train,
    values[n_train:test_start] validate and values[test_start:] test; checking that training
    has a window and validation and test (where kept) a horizon of values."""
    if test_fraction and valid_fraction + test_fraction >= 1:
        raise bad("test_fraction", f"less than 1 - valid_fraction ({1 - valid_fraction:g}): "
                  "some values must train", f"{test_fraction:g}")
    n_valid, n_test = round(valid_fraction * n), round(test_fraction * n)
    if n_valid and n_valid < horizon:
        raise bad("horizon", f"at most the {n_valid} validation values (valid_fraction "
                  f"{valid_fraction:g} of {n})", horizon)
    if n_test and n_test < horizon:
        raise bad("horizon", f"at most the {n_test} test values (test_fraction "
                  f"{test_fraction:g} of {n})", horizon)
    n_train = n - n_valid - n_test
    if n_train < window + horizon:
        raise bad("window", f"window + horizon <= the {n_train} training values (the series "
                  f"has {n} values; use a shorter --window)", f"{window} + {horizon}")
    return n_train, n - n_test


class Scaler(NamedTuple):
    """Standard scaling z = (x - mean) / std, fitted on the training values."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray) -> "Scaler":
        std = float(values.std())
        return cls(float(values.mean()), std if std > 0 else 1.0)

    def scale(self, x):
        return (x - self.mean) / self.std

    def unscale(self, z):
        return z * self.std + self.mean


class Windows:
    """Batches of forecast windows of a scaled series z (N,) at the given origins.

    x (B, T, 1); y (B, h) for ``many_to_one``, or (B, T, h) for ``many_to_many`` where
    y[b, t] = z[s+t+1 : s+t+1+h] with s = o - T (the next h values after every step).
    """

    bptt = "full"

    def __init__(self, z: np.ndarray, origins: list[int], window: int, horizon: int,
                 shape: str, batch_size: int, seed: int = 0, shuffle: bool = True):
        if not origins:
            raise bad("data", "at least one forecast window", "none")
        self.z = torch.as_tensor(z, dtype=torch.float32)
        self.origins, self.seq_len, self.horizon, self.shape = origins, window, horizon, shape
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle

    def __len__(self) -> int:
        return -(-len(self.origins) // self.batch_size)

    def batch(self, origins: list[int]) -> Batch:
        T, h = self.seq_len, self.horizon
        o = torch.tensor(origins)[:, None]
        x = self.z[o - T + torch.arange(T)][..., None]                     # (B, T, 1)
        if self.shape == "many_to_one":
            y = self.z[o + torch.arange(h)]                                # (B, h)
        else:
            steps = (o - T + 1)[..., None] + torch.arange(T)[:, None] + torch.arange(h)  # (B, T, h)
            y = self.z[steps]
        return Batch(x, y, False)

    def epoch(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        n, B = len(self.origins), self.batch_size
        order = torch.randperm(n, generator=epoch_generator(self.seed, epoch)).tolist() \
            if self.shuffle else list(range(n))
        for k in range(start, len(self)):
            yield self.batch([self.origins[i] for i in order[k * B:(k + 1) * B]])
