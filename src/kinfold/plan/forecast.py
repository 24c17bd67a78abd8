"""How much work is coming: arrivals per day or week, forecast with prediction intervals,
backtested against a seasonal naive forecast, and surges flagged with their size.

The model is statsmodels' exponential smoothing state-space model (ETS) with additive
errors: with a weekly season on daily arrivals when there are at least four weeks of
them, without one on weekly arrivals or a shorter history. Its intervals are the model's
own. Nothing here estimates anything by hand; the formulas below are only the error
measure and the sizes of things.

MASE (mean absolute scaled error) of a forecast: the mean absolute error over the held-out
days / the mean absolute difference between each day of the history and the same day a
season earlier (the in-sample error of a seasonal naive forecast). Below 1, the forecast
beats the seasonal naive one on its own history; the seasonal naive forecast's own MASE
on the same held-out days is shown beside it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

SEASON = {"day": 7, "week": 1}  # days in a week; weekly arrivals have no season here
LEVEL = 0.9  # prediction intervals: 90%
SEASONAL_HISTORY = 28  # days of history before a weekly season is fitted
FOLDS, FOLD_DAYS = 4, 7  # the backtest: the last four weeks, forecast a week at a time
SURGE_DAYS = 14


@dataclass(frozen=True)
class Forecast:
    """Arrivals of one group (an item type, a team, or all) and what is expected next."""

    group: str
    grain: str  # day or week
    history: pd.Series  # arrivals per period, indexed by the period's first day
    mean: pd.Series
    lower: pd.Series
    upper: pd.Series
    model: str
    mase: float | None  # backtest of the model
    naive_mase: float | None  # backtest of the seasonal naive forecast, same periods


@dataclass(frozen=True)
class Surge:
    group: str
    days: int
    arrived: int  # in the last `days` days
    expected: float  # the forecast made before them
    upper: float  # its upper bound (the sum of the daily bounds)
    usual_week: float  # mean weekly arrivals over the eight weeks before them

    @property
    def weeks_of_demand(self) -> float:
        return self.arrived / self.usual_week if self.usual_week else math.inf

    def describe(self) -> str:
        """In words: "612 arrived in the last 14 days: 8.1 weeks of usual demand"."""
        worth = (
            f"{self.weeks_of_demand:.1f} weeks of usual demand"
            if self.usual_week
            else "with no arrivals in the weeks before"
        )
        return (
            f"{self.arrived:,} arrived in the last {self.days} days: {worth} "
            f"(forecast {self.expected:,.0f}, at most {self.upper:,.0f} expected)"
        )


def daily(days: list[date], counts: list[int], first: date, last: date) -> pd.Series:
    """Arrivals per day from `first` to `last`, days with none as 0."""
    index = pd.date_range(first, last, freq="D")
    series = pd.Series(counts, index=pd.DatetimeIndex(days), dtype=float)
    return series.groupby(level=0).sum().reindex(index, fill_value=0.0)


def weekly(days: pd.Series) -> pd.Series:
    """Daily arrivals summed per week (weeks from Monday), whole weeks only."""
    start = days.index[0] + pd.Timedelta(days=(7 - days.index[0].weekday()) % 7)
    whole = days[start:]
    whole = whole[: len(whole) // 7 * 7]
    return whole.resample("W-MON", label="left", closed="left").sum()


def forecast(
    history: pd.Series,
    horizon: int,
    group: str = "all",
    grain: str = "day",
    with_backtest: bool = True,
) -> Forecast:
    """The next `horizon` periods after `history`, with 90% intervals and (unless not
    wanted) a backtest."""
    mean, lower, upper, model = _fit(history, horizon, _season(history, grain))
    mase, naive_mase = backtest(history, grain) if with_backtest else (None, None)
    return Forecast(group, grain, history, mean, lower, upper, model, mase, naive_mase)


def backtest(history: pd.Series, grain: str) -> tuple[float | None, float | None]:
    """MASE of the model and of the seasonal naive forecast, each forecasting from the
    history before it (rolling origin): daily arrivals a week at a time over the last four
    weeks; weekly arrivals a week at a time over the last eight."""
    season = SEASON[grain]
    fold, folds = (FOLD_DAYS, FOLDS) if grain == "day" else (1, 2 * FOLDS)
    first = len(history) - folds * fold
    if first < max(2 * season, 8):
        return None, None
    known = history.to_numpy()[:first]
    scale = float(np.mean(np.abs(known[season:] - known[:-season])))
    if scale == 0:
        return None, None
    model_errors: list[float] = []
    naive_errors: list[float] = []
    for start in range(first, len(history), fold):
        past, actual = history.iloc[:start], history.iloc[start : start + fold].to_numpy()
        mean, *_ = _fit(past, len(actual), _season(past, grain))
        naive = np.resize(past.to_numpy()[-season:], len(actual))
        model_errors.extend(np.abs(actual - mean.to_numpy()))
        naive_errors.extend(np.abs(actual - naive))
    return float(np.mean(model_errors)) / scale, float(np.mean(naive_errors)) / scale


def surge(history: pd.Series, group: str = "all", days: int = SURGE_DAYS) -> Surge | None:
    """The last `days` days of daily arrivals, if well above what the days before them
    forecast (above the upper bound of its 90% interval, summed over the days)."""
    before, recent = history.iloc[:-days], history.iloc[-days:]
    if len(before) < 14:
        return None
    mean, _, upper, _ = _fit(before, days, _season(before, "day"))
    arrived = int(recent.sum())
    if arrived <= upper.sum():
        return None
    usual_week = float(before.iloc[-56:].sum()) / (min(56, len(before)) / 7)
    return Surge(group, days, arrived, float(mean.sum()), float(upper.sum()), usual_week)


def _season(history: pd.Series, grain: str) -> int | None:
    season = SEASON[grain]
    return season if season > 1 and len(history) >= SEASONAL_HISTORY else None


def _fit(
    history: pd.Series, horizon: int, season: int | None
) -> tuple[pd.Series, pd.Series, pd.Series, str]:
    """Mean and 90% bounds of the next `horizon` periods (never below zero arrivals)."""
    index = _following(history.index, horizon)
    if len(history) < 4 or history.std() == 0:  # nothing to fit: the last value goes on
        flat = pd.Series(float(history.iloc[-1]) if len(history) else 0.0, index=index)
        return flat, flat, flat, "the last value carried forward (too little to fit)"
    model = ETSModel(
        history.reset_index(drop=True),
        error="add",
        trend=None,
        seasonal="add" if season else None,
        seasonal_periods=season,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = model.fit(disp=False)
        frame = fitted.get_prediction(len(history), len(history) + horizon - 1).summary_frame(
            alpha=1 - LEVEL
        )
    name = f"ETS(A,N,{'A' if season else 'N'})" + (f", season of {season} days" if season else "")
    mean, lower, upper = (
        pd.Series(frame[column].to_numpy(), index=index).clip(lower=0.0)
        for column in ("mean", "pi_lower", "pi_upper")
    )
    return mean, lower, upper, name


def _following(index: pd.Index, horizon: int) -> pd.DatetimeIndex:
    step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(days=1)
    return pd.DatetimeIndex([index[-1] + step * (n + 1) for n in range(horizon)])
