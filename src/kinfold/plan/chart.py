"""The burn-down chart: the backlog's projected work content week by week, with the range
the forecast's interval gives, the capacity line and the clearance date. PNG or SVG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt
import pandas as pd

from kinfold.plan.service import Plan

FORMATS = (".png", ".svg")


def burn_down_chart(plan: Plan, path: Path) -> Path:
    """Write the chart to `path` (.png or .svg)."""
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"a chart is written as {' or '.join(FORMATS)}, not {path.suffix}")
    weeks = plan.weeks
    shown = weeks[: _weeks_shown(plan)]
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
    if plan.clearance is not None:
        axes.axvline(
            pd.Timestamp(plan.clearance),
            color="#00703c",
            linestyle="--",
            label=f"cleared by {plan.clearance:%-d %B %Y}",
        )
    axes.set_title(
        f"Burn-down from {plan.as_of:%-d %B %Y}: {plan.staffing.fte:.1f} FTE, "
        f"{plan.staffing.capacity:,.0f} handling hours a week"
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


def _weeks_shown(plan: Plan) -> int:
    """Up to a few weeks past the latest clearance date, or all the horizon."""
    ends = [day for day in (plan.clearance_latest, plan.clearance) if day is not None]
    if not ends:
        return len(plan.weeks)
    last = max(ends)
    return min(len(plan.weeks), 4 + sum(week.starts <= last for week in plan.weeks))
