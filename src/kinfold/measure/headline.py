"""The measures a manager reads first, at a glance: each one's latest complete period,
the period before, and a line in plain English saying how it moved and whether that is
better or worse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kinfold.measure.kpis import BY_NAME, Figure

# measure -> whether more is better
HEADLINE = {
    "Backlog": False,
    "Throughput": True,
    "Service level": True,
    "End-to-end time": False,
    "Re-work": False,
    "Quality": True,
    "Productivity": True,
}
SHARES = {"share"}
UNIT_WORDS = {"items": "items", "days": "days", "hours": "hours", "minutes": "minutes"}


@dataclass(frozen=True)
class Headline:
    measure: str
    unit: str
    period: date | None
    value: float | None
    line: str  # "November 2026: 91.2%, up 3.1 points on October 2026 (better)"


def open_period(as_of: datetime, grain: str) -> date | None:
    """The first day of the period `as_of` falls in, while that period is still going on
    (its last day is not yet over); None for all time, or when the period is over."""
    day = as_of.date()
    if grain == "all":
        return None
    if grain == "day":
        start, last = day, day
    elif grain == "week":
        start = day - timedelta(days=day.weekday())
        last = start + timedelta(days=6)
    else:
        start = day.replace(day=1)
        last = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    over = day == last and as_of.time() == datetime.max.time()
    return None if over else start


def period_name(start: date | None, grain: str) -> str:
    """`November 2026`, `the week from 9 November 2026`, `4 December 2026`, `all time`."""
    if start is None or grain == "all":
        return "all time"
    if grain == "month":
        return f"{start:%B %Y}"
    if grain == "week":
        return f"the week from {start:%-d %B %Y}"
    return f"{start:%-d %B %Y}"


def figure_text(value: float | None, unit: str) -> str:
    """A figure as a person reads it: 91.2%, £12.50, 3.4 (days), 1,204."""
    if value is None:
        return "no records"
    if unit in SHARES:
        return f"{value:.1%}"
    if unit == "money":
        return f"£{value:,.2f}"
    return f"{value:,.1f}" if unit in ("hours", "minutes", "days") else f"{value:,.0f}"


def headlines(figures: list[Figure], grain: str) -> list[Headline]:
    """The headline measures' figures for the whole back office (one group a period),
    each with its latest period and the one before it, in words."""
    found = []
    for name, more_is_better in HEADLINE.items():
        unit = BY_NAME[name.casefold()].unit
        own = sorted((f for f in figures if f.measure == name), key=lambda f: f.period or date.min)
        if not own:
            continue
        latest = own[-1]
        when = period_name(latest.period, grain)
        words = f"{when[:1].upper()}{when[1:]}: {figure_text(latest.value, unit)}"
        if latest.value is not None and unit in UNIT_WORDS:
            words += f" {UNIT_WORDS[unit]}"
        before = own[-2] if len(own) > 1 else None
        if before is not None and latest.value is not None and before.value is not None:
            then = period_name(before.period, grain)
            words += ", " + _change(latest.value, before.value, unit, more_is_better, then)
        found.append(Headline(name, unit, latest.period, latest.value, words))
    return found


def _change(now: float, then: float, unit: str, more_is_better: bool, when: str) -> str:
    """`up 3.1 points on October 2026 (better)`, `down 12% on ... (worse)`, `the same as
    in ...`."""
    if unit in SHARES:
        difference = (now - then) * 100
        size = f"{abs(difference):.1f} points"
    else:
        difference = now - then
        size = f"{abs(difference) / abs(then):.0%}" if then else figure_text(abs(difference), unit)
    if size in ("0.0 points", "0%") or difference == 0:
        return f"the same as in {when}"
    better = (difference > 0) == more_is_better
    return (
        f"{'up' if difference > 0 else 'down'} {size} on {when} ({'better' if better else 'worse'})"
    )
