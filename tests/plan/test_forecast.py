"""The demand forecast: intervals that hold what comes, a backtest against the seasonal
naive forecast, and surges flagged with their size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kinfold.plan.forecast import backtest, daily, forecast, surge, weekly

WEEK = [30.0, 32, 28, 31, 25, 2, 1]  # a back office's week: little at weekends


def arrivals(weeks: int, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2026-01-05", periods=7 * weeks, freq="D")
    return pd.Series(rng.poisson(WEEK * weeks), index=days, dtype=float)


def test_the_forecast_follows_the_week_and_its_interval_holds_what_comes() -> None:
    history = arrivals(24)
    found = forecast(history.iloc[:-14], 14)
    assert found.model == "ETS(A,N,A), season of 7 days"
    assert list(found.mean.index) == list(history.index[-14:])
    assert found.mean.iloc[0] > 20 and found.mean.iloc[5] < 8  # Monday busy, Saturday not
    actual = history.iloc[-14:]
    inside = ((actual >= found.lower) & (actual <= found.upper)).mean()
    assert inside >= 0.8  # a 90% interval
    assert (found.lower >= 0).all() and (found.lower <= found.mean).all()


def test_the_backtest_beats_the_seasonal_naive_forecast_on_a_steady_week() -> None:
    mase, naive = backtest(arrivals(24), "day")
    assert mase is not None and naive is not None
    assert 0 < mase < naive  # a smoothed season beats last week's noise
    assert backtest(arrivals(3), "day") == (None, None)  # too short to hold days out


def test_a_surge_is_flagged_with_its_size() -> None:
    history = arrivals(20)
    assert surge(history) is None
    history.iloc[-14:] *= 4
    found = surge(history, "claims")
    assert found is not None and found.group == "claims"
    usual = sum(WEEK)  # 149 a week
    assert found.usual_week == pytest.approx(usual, rel=0.1)
    assert found.weeks_of_demand == pytest.approx(8, rel=0.15)  # 2 weeks at 4 times
    assert found.arrived > found.upper > found.expected
    assert f"{found.arrived:,} arrived in the last 14 days: " in found.describe()


def test_days_with_nothing_count_as_none_and_weeks_are_whole() -> None:
    days = [pd.Timestamp("2026-01-06").date(), pd.Timestamp("2026-01-08").date()]
    series = daily(days, [3, 4], days[0], pd.Timestamp("2026-01-20").date())
    assert series.tolist()[:4] == [3, 0, 4, 0] and len(series) == 15
    by_week = weekly(series)  # from Monday 12 January: one whole week
    assert by_week.tolist() == [0] and by_week.index[0] == pd.Timestamp("2026-01-12")


def test_a_history_too_short_to_fit_is_carried_forward() -> None:
    found = forecast(pd.Series([5.0, 5.0], index=pd.date_range("2026-01-05", periods=2)), 3)
    assert found.mean.tolist() == [5.0, 5.0, 5.0]
    assert "too little" in found.model and found.mase is None
