"""The plan of a workspace: demand forecast and surges, burn-down, FTE needed.

From the same frame as the measures (one version of the truth): arrivals are items'
receipts, the backlog is the open items' work content at their standard times (those of
the measures: set, or the median handling time of completed items), capacity is the
roster's recent paid hours less shrinkage, at the target occupancy.

Settings (kinfold.yaml), all optional:

    hours per FTE: 37            # paid hours a week of one full-time equivalent
    target occupancy: 0.85       # share of available hours spent handling work
    backlog target hours: 0      # the backlog is cleared when its work content is this
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from kinfold.errors import KinfoldError
from kinfold.measure import kpis
from kinfold.measure.frame import Frame
from kinfold.plan import capacity as cap
from kinfold.plan.forecast import Forecast, Surge, daily, forecast, surge, weekly

HISTORY_DAYS = 365  # arrivals looked back on
HORIZON_WEEKS = 104  # the burn-down looks this far ahead
STAFF_DAYS = 28  # staffed FTE: the roster of the last four weeks
SHRINKAGE_DAYS = 84  # shrinkage: the last twelve weeks
TEAM_SHARE_DAYS = 56  # a team's share of an item type's arrivals: the last eight weeks
DEFAULTS = {"hours per FTE": 37.0, "target occupancy": 0.85, "backlog target hours": 0.0}


@dataclass(frozen=True)
class ServiceLevel:
    share: float  # e.g. 0.9
    days: int  # within this many working days

    @classmethod
    def parse(cls, text: str) -> ServiceLevel:
        """`0.9:5`: 90% within 5 working days."""
        share, _, days = text.partition(":")
        try:
            level = cls(float(share), int(days))
        except ValueError:
            level = cls(-1, 0)
        if not (0 < level.share < 1 and level.days > 0):
            raise KinfoldError(
                f"'{text}' is not a service level.",
                "Give the share and the working days, e.g. 0.9:5 (90% within 5 working days).",
            )
        return level


@dataclass(frozen=True)
class Week:
    starts: date
    incoming: float  # workload hours arriving: forecast mean
    incoming_low: float  # lower bound of the 90% interval
    incoming_high: float  # upper bound
    capacity: float
    backlog: float  # projected work content at the week's end, at the mean
    backlog_low: float  # with the lower arrivals
    backlog_high: float  # with the higher arrivals


@dataclass(frozen=True)
class Need:
    """FTE one team or one skill (item type) needs."""

    kind: str  # team or skill
    group: str
    backlog_hours: float
    next_week_hours: float
    fte_next_week: float  # for next week's forecast work alone
    fte_to_clear: float | None  # the backlog and new work, by the date
    fte_service_level: float  # to bring the backlog and new work within the service level
    staffed: float  # team: staffed FTE; skill: workers signed off for it


@dataclass(frozen=True)
class Plan:
    as_of: date
    staffing: cap.Staffing
    backlog_items: int
    backlog_hours: float
    demand: Forecast  # daily arrivals of all item types
    weeks: list[Week]
    clearance: date | None  # None: not within the horizon
    clearance_earliest: date | None
    clearance_latest: date | None
    by: date | None
    fte_to_clear: float | None
    service_level: ServiceLevel
    fte_service_level: float
    fte_next_week: float
    needs: list[Need]
    surges: list[Surge]
    notes: list[str] = field(default_factory=list)


def make_plan(frame: Frame, by: date | None = None, level: ServiceLevel | None = None) -> Plan:
    """The plan as of the frame's moment: clear the backlog by `by` (if given) and hold
    `level` (default: 90% within 5 working days)."""
    level = level or ServiceLevel(0.9, 5)
    settings = _settings(frame.settings)
    today = frame.as_of.date()
    if by is not None and by <= today:
        raise KinfoldError(
            f"The date to clear by, {by:%-d %B %Y}, is not after {today:%-d %B %Y}.",
            "Give a date in the future.",
        )
    notes: list[str] = []
    kpis.prepare(frame, "month", [kpis.BY_NAME["productivity"]])  # the standard times
    minutes = dict(frame.sql("SELECT item_type, minutes FROM standard WHERE minutes > 0"))
    arrivals = _arrivals(frame, today)
    if arrivals.empty:
        raise KinfoldError("There are no items to plan for.", "Import items first.")
    unknown = sorted(set(arrivals.columns) - set(minutes))
    if unknown:
        notes.append(
            f"{len(unknown)} item type(s) have no standard time and no completed work to "
            f"learn one from, so their work is not counted: {', '.join(unknown)}."
        )
    surges = [found for kind in ["all", *arrivals.columns] if (found := _surge(arrivals, kind))]
    if surges and surges[0].group == "all":  # a surge is work come early, not the new normal
        arrivals = arrivals.iloc[: -surges[0].days]
        notes.append(
            f"Arrivals surged ({surges[0].describe()}): the forecast is made from the days "
            "before the surge, whose items are in the backlog. If demand stays this high, "
            "plan a scenario with more demand."
        )
    staffing = _staffing(frame, today, settings, None)
    if staffing.fte == 0:
        notes.append("No roster in the last four weeks: there is no capacity to plan with.")
    open_work = _open_work(frame, minutes)
    monday = today - timedelta(days=today.weekday())
    by_type = {
        kind: _weekly_forecast(arrivals[kind], kind, monday) for kind in minutes if kind in arrivals
    }
    backlog_hours = sum(open_work.values())
    weeks = _burn_down(by_type, minutes, backlog_hours, staffing, notes)
    target = settings["backlog target hours"]
    clear = {
        name: _week_end(weeks, cap.clearance_week([getattr(w, name) for w in weeks], target))
        for name in ("backlog", "backlog_low", "backlog_high")
    }
    next_week = {kind: _hours(f.mean.iloc[0], minutes[kind]) for kind, f in by_type.items()}
    next_week_high = {kind: _hours(f.upper.iloc[0], minutes[kind]) for kind, f in by_type.items()}
    until = {kind: _until(f, by, minutes[kind]) for kind, f in by_type.items()} if by else {}
    ask = _Asked(today, by, level)
    overall = _need(
        "all",
        "all",
        staffing,
        backlog_hours,
        sum(next_week.values()),
        sum(next_week_high.values()),
        sum(until.values()),
        ask,
        staffing.fte,
    )
    needs = _needs(
        frame, settings, staffing, minutes, open_work, next_week, next_week_high, until, ask
    )
    return Plan(
        as_of=today,
        staffing=staffing,
        backlog_items=int(frame.sql(_OPEN_COUNT)[0][0]),
        backlog_hours=backlog_hours,
        demand=forecast(daily_total(arrivals), 28),
        weeks=weeks,
        clearance=clear["backlog"],
        clearance_earliest=clear["backlog_low"],
        clearance_latest=clear["backlog_high"],
        by=by,
        fte_to_clear=overall.fte_to_clear,
        service_level=level,
        fte_service_level=overall.fte_service_level,
        fte_next_week=overall.fte_next_week,
        needs=needs,
        surges=surges,
        notes=notes,
    )


_OPEN = "closed_at IS NULL AND status = 'open'"
_OPEN_COUNT = f"SELECT count(*) FROM items WHERE {_OPEN}"


def daily_total(arrivals: pd.DataFrame) -> pd.Series:
    return arrivals.sum(axis=1)


def _settings(given: dict[str, Any]) -> dict[str, float]:
    found = {}
    for name, default in DEFAULTS.items():
        value = given.get(name, default)
        limit = 1 if name == "target occupancy" else math.inf
        if (
            not isinstance(value, int | float)
            or not (0 <= value <= limit)
            or (value == 0 and name != "backlog target hours")
        ):
            raise KinfoldError(
                f"kinfold.yaml: `{name}` should be a number above zero"
                + (" and at most 1." if limit == 1 else "."),
                f"For example:  {name}: {default:g}",
            )
        found[name] = float(value)
    return found


def _arrivals(frame: Frame, today: date) -> pd.DataFrame:
    """Items received per whole day before today, a column per item type."""
    first = today - timedelta(days=HISTORY_DAYS)
    rows = frame.sql(
        "SELECT CAST(received_at AS DATE), item_type, count(*) FROM items "
        "WHERE received_at >= ? AND received_at < ? GROUP BY ALL",
        [first, today],
    )
    if not rows:
        return pd.DataFrame()
    start = max(first, min(day for day, _, _ in rows))
    columns = {}
    for kind in sorted({kind for _, kind, _ in rows}):
        picked = [(day, n) for day, k, n in rows if k == kind]
        columns[kind] = daily(
            [d for d, _ in picked], [n for _, n in picked], start, today - timedelta(days=1)
        )
    return pd.DataFrame(columns)


def _weekly_forecast(days: pd.Series, kind: str, monday: date) -> Forecast:
    """Arrivals a week from the week of `monday` on, for HORIZON_WEEKS weeks."""
    history = weekly(days)
    gap = (pd.Timestamp(monday) - history.index[-1]).days // 7 - 1 if len(history) else 0
    found = forecast(history, HORIZON_WEEKS + gap, kind, "week", with_backtest=False)
    return replace(
        found,
        mean=found.mean.iloc[gap:],
        lower=found.lower.iloc[gap:],
        upper=found.upper.iloc[gap:],
    )


def _staffing(
    frame: Frame, today: date, settings: dict[str, float], team: str | None
) -> cap.Staffing:
    where = "" if team is None else "AND team = ?"
    params: list[Any] = [today - timedelta(days=SHRINKAGE_DAYS), today]
    paid, shrunk, recent = frame.sql(
        f"SELECT coalesce(sum(paid_hours), 0), coalesce(sum(shrinkage_hours), 0), "
        f"coalesce(sum(paid_hours) FILTER (WHERE day >= ?), 0) FROM roster "
        f"WHERE day >= ? AND day < ? {where}",
        [today - timedelta(days=STAFF_DAYS), *params, *([team] if team else [])],
    )[0]
    hours = settings["hours per FTE"]
    return cap.Staffing(
        fte=float(recent) / (STAFF_DAYS / 7) / hours,
        hours_per_fte=hours,
        shrinkage=float(shrunk) / float(paid) if paid else 0.0,
        occupancy=settings["target occupancy"],
    )


def _open_work(frame: Frame, minutes: dict[str, float]) -> dict[str, float]:
    """Work content (hours) of the open items, per item type."""
    rows = frame.sql(f"SELECT item_type, count(*) FROM items WHERE {_OPEN} GROUP BY ALL")
    return {kind: _hours(n, minutes[kind]) for kind, n in rows if kind in minutes}


def _burn_down(
    by_type: dict[str, Forecast],
    minutes: dict[str, float],
    backlog: float,
    staffing: cap.Staffing,
    notes: list[str],
) -> list[Week]:
    if not by_type:
        notes.append("No item type has a standard time: the backlog cannot be projected.")
        return []
    first = next(iter(by_type.values()))
    starts = [day.date() for day in first.mean.index]

    def workload(bound: str) -> list[float]:
        return [
            sum(_hours(getattr(f, bound).iloc[n], minutes[kind]) for kind, f in by_type.items())
            for n in range(len(starts))
        ]

    mean, low, high = workload("mean"), workload("lower"), workload("upper")
    capacity = [staffing.capacity] * len(starts)
    projected = {
        name: cap.burn_down(backlog, given, capacity)
        for name, given in (("mean", mean), ("low", low), ("high", high))
    }
    return [
        Week(
            start,
            mean[n],
            low[n],
            high[n],
            capacity[n],
            projected["mean"][n],
            projected["low"][n],
            projected["high"][n],
        )
        for n, start in enumerate(starts)
    ]


def _week_end(weeks: list[Week], number: int | None) -> date | None:
    return None if number is None else weeks[number - 1].starts + timedelta(days=6)


def _hours(volume: float, minutes: float) -> float:
    return float(volume) * minutes / 60


def _until(found: Forecast, by: date, minutes: float) -> float:
    """Workload hours arriving from now until `by` (a part week pro rata)."""
    total = 0.0
    for start, volume in found.mean.items():
        days = (by - start.date()).days + 1
        total += _hours(volume, minutes) * min(max(days, 0), 7) / 7
    return total


@dataclass(frozen=True)
class _Asked:
    """What the plan is asked for: from today, clear by `by`, hold `level`."""

    today: date
    by: date | None
    level: ServiceLevel


def _needs(
    frame: Frame,
    settings: dict[str, float],
    everyone: cap.Staffing,
    minutes: dict[str, float],
    open_work: dict[str, float],
    next_week: dict[str, float],
    next_week_high: dict[str, float],
    until: dict[str, float],
    ask: _Asked,
) -> list[Need]:
    """FTE by skill (item type) and by team. A team's share of an item type's forecast is
    its share of that type's arrivals over the last eight weeks."""
    signed_off = dict(
        frame.sql(
            "SELECT item_type, count(DISTINCT worker) FROM skills WHERE level >= 2 GROUP BY ALL"
        )
    )
    needs = [
        _need(
            "skill",
            kind,
            everyone,
            open_work.get(kind, 0.0),
            next_week[kind],
            next_week_high[kind],
            until.get(kind, 0.0),
            ask,
            float(signed_off.get(kind, 0)),
        )
        for kind in sorted(next_week)
    ]
    shares = frame.sql(
        "SELECT team, item_type, count(*) / sum(count(*)) OVER (PARTITION BY item_type) "
        "FROM items WHERE received_at >= ? GROUP BY team, item_type",
        [ask.today - timedelta(days=TEAM_SHARE_DAYS)],
    )
    team_open = frame.sql(f"SELECT team, item_type, count(*) FROM items WHERE {_OPEN} GROUP BY ALL")
    for team in sorted({team for team, _, _ in shares} | {team for team, _, _ in team_open}):
        share = {kind: float(s) for t, kind, s in shares if t == team and kind in next_week}
        staffing = _staffing(frame, ask.today, settings, team)
        backlog = sum(_hours(n, minutes[k]) for t, k, n in team_open if t == team and k in minutes)
        needs.append(
            _need(
                "team",
                team,
                staffing,
                backlog,
                sum(next_week[k] * s for k, s in share.items()),
                sum(next_week_high[k] * s for k, s in share.items()),
                sum(until.get(k, 0.0) * s for k, s in share.items()),
                ask,
                staffing.fte,
            )
        )
    return needs


def _need(
    kind: str,
    group: str,
    staffing: cap.Staffing,
    backlog: float,
    next_week: float,
    next_week_high: float,
    until: float,
    ask: _Asked,
    staffed: float,
) -> Need:
    """The FTE a group needs, from its backlog and forecast work (hours):
    to clear by the date: (backlog + work until then) / (weeks x effective hours);
    for the service level: the backlog and the next `days` working days' work (at the
    forecast's upper bound) within those days: (backlog + high week x days / 5) /
    (days / 5 x effective hours)."""
    weeks = ask.level.days / 5
    return Need(
        kind=kind,
        group=group,
        backlog_hours=backlog,
        next_week_hours=next_week,
        fte_next_week=cap.fte_required(next_week, staffing),
        fte_to_clear=None
        if ask.by is None
        else cap.fte_to_clear(backlog, until, (ask.by - ask.today).days / 7, staffing),
        fte_service_level=cap.fte_to_clear(backlog, next_week_high * weeks, weeks, staffing),
        staffed=staffed,
    )


def _surge(arrivals: pd.DataFrame, kind: str) -> Surge | None:
    series = daily_total(arrivals) if kind == "all" else arrivals[kind]
    return surge(series, kind)
