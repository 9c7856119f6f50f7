"""Forecasting baselines and scores, on the protocol of the forecast task: at every origin o,
predict the next h values x[o:o+h] from x[:o] alone.

- persistence: the last value seen, x[o-1], for all h steps;
- ARIMA(p, d, q) (statsmodels), its parameters fitted on the training part x[:n_train] only,
  then run over the whole series with those parameters fixed, forecasting h steps from each
  origin (``dynamic``: the values after o - 1 are its own predictions).

RMSE and MAE are over all h-step predictions of all origins, in the series' own units.
"""

import warnings

import numpy as np

from .errors import bad
from .extras import require

# the orders "auto" tries: autoregressions up to AR(10), and small ARMA models
AUTO = [(p, 0, 0) for p in range(1, 11)] + [(p, 0, q) for q in (1, 2) for p in range(0, 4)]


def targets(values: np.ndarray, origins: list[int], horizon: int) -> np.ndarray:
    """(O, h) the true values after each origin."""
    return np.stack([values[o:o + horizon] for o in origins])


def rmse(predicted: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predicted - truth) ** 2)))


def mae(predicted: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(np.abs(predicted - truth)))


def scores(predicted: np.ndarray, truth: np.ndarray) -> dict:
    return {"rmse": rmse(predicted, truth), "mae": mae(predicted, truth)}


def persistence(values: np.ndarray, origins: list[int], horizon: int) -> np.ndarray:
    """(O, h): x[o-1] repeated h times for each origin."""
    return np.repeat(values[np.array(origins) - 1][:, None], horizon, axis=1)


def parse_order(order: str) -> tuple[int, int, int]:
    p, d, q = (int(v) for v in order.split(","))
    return p, d, q


def fit_arima(train: np.ndarray, order: str = "auto"):
    """ARIMA results fitted on ``train``: the given "p,d,q", or with "auto" the lowest AIC of
    the ``AUTO`` orders (orders that fail to fit are skipped)."""
    ARIMA = require("statsmodels.tsa.arima.model").ARIMA
    orders = [parse_order(order)] if order != "auto" else AUTO
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # convergence chatter of the grid search
        for o in orders:
            if sum(o) >= len(train) // 3:
                continue
            try:
                res = ARIMA(train, order=o).fit()
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(res.aic) and (best is None or res.aic < best.aic):
                best = res
    if best is None:
        raise bad("arima_order", f"an order ARIMA can fit to {len(train)} training values",
                  order)
    return best


def arima(values: np.ndarray, n_train: int, origins: list[int], horizon: int,
          order: str = "auto") -> tuple[np.ndarray, tuple[int, int, int]]:
    """((O, h) ARIMA forecasts at each origin, the order used)."""
    fitted = fit_arima(values[:n_train], order)
    return arima_forecasts(fitted, values, origins, horizon), tuple(fitted.model.order)


def arima_forecasts(fitted, values: np.ndarray, origins: list[int],
                    horizon: int) -> np.ndarray:
    """(O, h) forecasts at each origin of an ARIMA fitted by ``fit_arima``, run over
    ``values`` with its parameters fixed (an origin may be len(values): after the end)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = fitted.apply(values)
        out = np.stack([full.get_prediction(start=o, end=o + horizon - 1,
                                            dynamic=True).predicted_mean for o in origins])
    return out
