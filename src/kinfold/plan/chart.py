"""The burn-down chart: the backlog's projected work content week by week, with the range
the forecast's interval gives and the clearance date, and beside it each what-if
scenario's backlog. PNG or SVG."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt
import pandas as pd

from kinfold.plan.service import Plan

FORMATS = (".png", ".svg")
SCENARIO_STYLES = (":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 3)))


def burn_down_chart(plan: Plan, path: Path) -> Path:
    """Write the chart to `path` (.png or .svg)."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"a chart is written as {' or '.join(FORMATS)}, not {path.suffix}")
    now = plan.now
    shown = now.weeks[: weeks_shown(plan)]
    starts = pd.DatetimeIndex([week.starts for week in shown])
    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=100)
    axes.fill_between(
        starts,
        [w.backlog_low for w in shown],
        [w.backlog_high for w in shown],
        color="#b1b4b6",
        alpha=0.5,
        label="range: arrivals at the forecast's 90% bounds",
    )
    axes.plot(
        starts,
        [w.backlog for w in shown],
        color="#1d70b8",
        linewidth=2.5,
        label="backlog work content (hours)",
    )
    for outcome, style in zip(plan.outcomes[1:], itertools.cycle(SCENARIO_STYLES)):
        axes.plot(
            starts,
            [w.backlog for w in outcome.weeks[: len(shown)]],
            linestyle=style,
            color="#0b0c0c",
            linewidth=1.2,
            label=f"{outcome.scenario.name}: cleared by {_day(outcome.clearance)}",
        )
    if now.clearance is not None:
        axes.axvline(
            pd.Timestamp(now.clearance),
            color="#00703c",
            linestyle="--",
            label=f"cleared by {now.clearance:%-d %B %Y}",
        )
    axes.set_title(
        f"Burn-down from {plan.as_of:%-d %B %Y}: {now.staffing.fte:.1f} FTE, "
        f"{now.staffing.capacity:,.0f} handling hours a week"
    )
    axes.set_ylabel("hours of work")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper right")
    axes.grid(axis="y", color="#dddddd")
    figure.autofmt_xdate()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata={"Date": None} if path.suffix.lower() == ".svg" else None)
    plt.close(figure)
    return path


def weeks_shown(plan: Plan) -> int:
    """Up to a few weeks past the latest clearance date of any scenario, or all the
    horizon if one never clears."""
    weeks = plan.now.weeks
    ends = [plan.now.clearance_latest] + [outcome.clearance for outcome in plan.outcomes]
    if any(day is None for day in ends[1:]):
        return len(weeks)
    last = max(day for day in ends if day is not None)
    return min(len(weeks), 4 + sum(week.starts <= last for week in weeks))


def _day(day: date | None) -> str:
    return f"{day:%-d %B %Y}" if day else "not within two years"
