"""The plan of a workspace: demand forecast and surges, burn-down, FTE needed.

From the same frame as the measures (one version of the truth): arrivals are items'
receipts, the backlog is the open items' work content at their standard times (those of
the measures: set, or the median handling time of completed items), capacity is the
roster's recent paid hours less shrinkage, at the target occupancy.

Settings (kinfold.yaml), all optional:

    hours per FTE: 37            # paid hours a week of one full-time equivalent
    target occupancy: 0.85       # share of available hours spent handling work
    backlog target hours: 0      # the backlog is cleared when its work content is this
    contact set-up minutes: 10   # the policy simulation: getting ready for one contact
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from kinfold.errors import KinfoldError
from kinfold.measure import kpis
from kinfold.measure.frame import Frame
from kinfold.plan import capacity as cap
from kinfold.plan.forecast import Forecast, Surge, daily, forecast, surge, weekly
from kinfold.plan.scenario import AS_NOW, Scenario

HISTORY_DAYS = 365  # arrivals looked back on
HORIZON_WEEKS = 104  # the burn-down looks this far ahead
STAFF_DAYS = 28  # staffed FTE: the roster of the last four weeks
SHRINKAGE_DAYS = 84  # shrinkage: the last twelve weeks
TEAM_SHARE_DAYS = 56  # a team's share of an item type's arrivals: the last eight weeks


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
class Outcome:
    """The projection under one scenario: the first of a plan's is as things are."""

    scenario: Scenario
    staffing: cap.Staffing
    backlog_hours: float  # at the scenario's standard times
    weeks: list[Week]
    clearance: date | None  # None: not within the horizon
    clearance_earliest: date | None
    clearance_latest: date | None
    fte_next_week: float
    fte_to_clear: float | None
    fte_service_level: float
    service_level_met: float  # share of the next quarter's new items within the level
    # the hours of work the FTE figures are worked out from: next week's (at the mean and
    # the upper bound of the forecast), and all that arrives until the date to clear by
    next_week_hours: float = 0.0
    next_week_high_hours: float = 0.0
    until_hours: float = 0.0


@dataclass(frozen=True)
class Plan:
    as_of: date
    backlog_items: int
    demand: Forecast  # daily arrivals of all item types
    by: date | None
    service_level: ServiceLevel
    outcomes: list[Outcome]  # as now, then each scenario asked for
    needs: list[Need]
    surges: list[Surge]
    notes: list[str] = field(default_factory=list)

    @property
    def now(self) -> Outcome:
        return self.outcomes[0]


def make_plan(
    frame: Frame,
    by: date | None = None,
    level: ServiceLevel | None = None,
    scenarios: Sequence[Scenario] = (),
) -> Plan:
    """The plan as of the frame's moment: clear the backlog by `by` (if given) and hold
    `level` (default: 90% within 5 working days), as things are and in each scenario."""
    level = level or ServiceLevel(0.9, 5)
    settings = frame.settings.plan
    today = frame.as_of.date()
    if by is not None and by <= today:
        raise KinfoldError(
            f"The date to clear by, {by:%-d %B %Y}, is not after {today:%-d %B %Y}.",
            "Give a date in the future.",
        )
    notes: list[str] = []
    minutes = standard_minutes(frame)
    arrivals = arrivals_by_type(frame, today)
    if arrivals.empty:
        raise KinfoldError("There are no items to plan for.", "Import items first.")
    _check_item_types(scenarios, set(minutes) | set(arrivals.columns))
    unknown = sorted(set(arrivals.columns) - set(minutes))
    if unknown:
        notes.append(
            f"{len(unknown)} item type(s) have no standard time and no completed work to "
            f"learn one from, so their work is not counted: {', '.join(unknown)}."
        )
    arrivals, surges = without_surge(arrivals, notes)
    staffing = staffing_of(frame, today, settings, None)
    if staffing.fte == 0:
        notes.append("No roster in the last four weeks: there is no capacity to plan with.")
    counted = set(minutes).union(*(s.standard_minutes for s in scenarios))
    inputs = _Inputs(
        ask=_Asked(today, by, level),
        staffing=staffing,
        minutes={kind: minutes.get(kind, 0.0) for kind in sorted(counted)},
        open_items=dict(
            frame.sql(
                f"SELECT item_type, count(*) FROM items WHERE {_OPEN} GROUP BY ALL ORDER BY 1"
            )
        ),
        by_type=type_forecasts(arrivals, counted, today),
        target=settings["backlog target hours"],
    )
    if not inputs.by_type:
        notes.append("No item type has a standard time: the backlog cannot be projected.")
    outcomes = [_project(inputs, scenario) for scenario in (AS_NOW, *scenarios)]
    return Plan(
        as_of=today,
        backlog_items=sum(inputs.open_items.values()),
        demand=forecast(daily_total(arrivals), 28),
        by=by,
        service_level=level,
        outcomes=outcomes,
        needs=_needs(frame, settings, inputs),
        surges=surges,
        notes=notes,
    )


@dataclass(frozen=True)
class _Asked:
    """What the plan is asked for: from today, clear by `by`, hold `level`."""

    today: date
    by: date | None
    level: ServiceLevel


@dataclass(frozen=True)
class _Inputs:
    """What every scenario starts from."""

    ask: _Asked
    staffing: cap.Staffing
    minutes: dict[str, float]  # standard time per item type (0: none known)
    open_items: dict[str, int]  # per item type
    by_type: dict[str, Forecast]  # weekly arrivals ahead, per item type with a time
    target: float  # backlog target hours


@dataclass(frozen=True)
class _Work:
    """A group's hours of work: open now, arriving next week (at the forecast's mean and
    upper bound), and arriving until the date to clear by."""

    backlog: float = 0.0
    next_week: float = 0.0
    next_week_high: float = 0.0
    until: float = 0.0

    def __add__(self, other: _Work) -> _Work:
        return _Work(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def times(self, share: float) -> _Work:
        return _Work(*(value * share for value in astuple(self)))


def _project(inputs: _Inputs, scenario: Scenario) -> Outcome:
    """Burn-down, clearance, FTE needed and the service level under `scenario`."""
    minutes = inputs.minutes | scenario.standard_minutes
    more = 1 + scenario.demand
    staffing = _changed(inputs.staffing, scenario)
    work = sum((_type_work(inputs, kind, minutes[kind], more) for kind in inputs.by_type), _Work())
    backlog = sum(_hours(n, minutes.get(kind, 0.0)) for kind, n in inputs.open_items.items())
    work = replace(work, backlog=backlog)
    weeks = _burn_down(inputs.by_type, minutes, more, backlog, staffing)
    clear = {
        name: _week_end(weeks, cap.clearance_week([getattr(w, name) for w in weeks], inputs.target))
        for name in ("backlog", "backlog_low", "backlog_high")
    }
    overall = _need("all", "all", staffing, work, inputs.ask, staffing.fte)
    return Outcome(
        scenario=scenario,
        staffing=staffing,
        backlog_hours=backlog,
        weeks=weeks,
        clearance=clear["backlog"],
        clearance_earliest=clear["backlog_low"],
        clearance_latest=clear["backlog_high"],
        fte_next_week=overall.fte_next_week,
        fte_to_clear=overall.fte_to_clear,
        fte_service_level=overall.fte_service_level,
        service_level_met=_service_level_met(inputs, weeks, backlog, more),
        next_week_hours=work.next_week,
        next_week_high_hours=work.next_week_high,
        until_hours=work.until,
    )


def _changed(staffing: cap.Staffing, scenario: Scenario) -> cap.Staffing:
    """Staffing with the scenario's sickness, redeployed FTE and overtime."""
    sickness = staffing.sickness if scenario.sickness is None else scenario.sickness
    fte = staffing.fte + scenario.staff
    if fte < 0:
        raise KinfoldError(
            f"Scenario {scenario.name!r}: {-scenario.staff:g} FTE out of "
            f"{staffing.fte:.1f} staffed leaves fewer than none.",
            "Redeploy out at most the FTE staffed.",
        )
    return staffing.changed(
        fte=fte,
        shrinkage=min(staffing.shrinkage - staffing.sickness + sickness, 1.0),
        sickness=sickness,
        overtime=staffing.overtime + scenario.overtime,
    )


def _check_item_types(scenarios: Sequence[Scenario], known: set[str]) -> None:
    for scenario in scenarios:
        unknown = sorted(set(scenario.standard_minutes) - known)
        if unknown:
            raise KinfoldError(
                f"Scenario {scenario.name!r}: there is no item type {unknown[0]!r}.",
                f"The item types are: {', '.join(sorted(known))}.",
            )


_OPEN = "closed_at IS NULL AND status = 'open'"


def without_surge(arrivals: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, list[Surge]]:
    """The surges in all arrivals and each item type's, and the arrivals to forecast from:
    a surge in all is work come early, not the new normal, so its days are left out."""
    surges = [found for kind in ["all", *arrivals.columns] if (found := _surge(arrivals, kind))]
    if surges and surges[0].group == "all":
        arrivals = arrivals.iloc[: -surges[0].days]
        notes.append(
            f"Arrivals surged ({surges[0].describe()}): the forecast is made from the days "
            "before the surge, whose items are in the backlog. If demand stays this high, "
            "plan a scenario with more demand."
        )
    return arrivals, surges


def standard_minutes(frame: Frame) -> dict[str, float]:
    """The standard time of each item type that has one, as the measures have them (set,
    or the median handling time of completed items)."""
    kpis.prepare(frame, "month", [kpis.BY_NAME["productivity"]])
    return dict(frame.sql("SELECT item_type, minutes FROM standard WHERE minutes > 0 ORDER BY 1"))


def daily_total(arrivals: pd.DataFrame) -> pd.Series:
    return arrivals.sum(axis=1)


def arrivals_by_type(frame: Frame, today: date, team: str | None = None) -> pd.DataFrame:
    """Items received per whole day before today (of one team's cases, if given), a
    column per item type."""
    first = today - timedelta(days=HISTORY_DAYS)
    rows = frame.sql(
        "SELECT CAST(received_at AS DATE), item_type, count(*) FROM items "
        "WHERE received_at >= ? AND received_at < ? "
        + ("AND team = ? " if team else "")
        + "GROUP BY ALL",
        [first, today, *([team] if team else [])],
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


def type_forecasts(arrivals: pd.DataFrame, kinds: set[str], today: date) -> dict[str, Forecast]:
    """Weekly arrivals ahead of each of `kinds` that has arrivals, from the week of today."""
    monday = today - timedelta(days=today.weekday())
    return {
        kind: _weekly_forecast(arrivals[kind], kind, monday)
        for kind in sorted(kinds)
        if kind in arrivals
    }


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


def staffing_of(
    frame: Frame, today: date, settings: dict[str, float], team: str | None
) -> cap.Staffing:
    where = "" if team is None else "AND team = ?"
    params: list[Any] = [today - timedelta(days=SHRINKAGE_DAYS), today]
    paid, shrunk, unplanned, recent = frame.sql(
        f"SELECT coalesce(sum(paid_hours), 0), coalesce(sum(shrinkage_hours), 0), "
        f"coalesce(sum(unplanned_hours), 0), "
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
        sickness=float(unplanned) / float(paid) if paid else 0.0,
    )


def _type_work(inputs: _Inputs, kind: str, minutes: float, more: float = 1.0) -> _Work:
    """An item type's work: its open items and its forecast arrivals (times `more`)."""
    found, by = inputs.by_type[kind], inputs.ask.by
    return _Work(
        backlog=_hours(inputs.open_items.get(kind, 0), minutes),
        next_week=_hours(found.mean.iloc[0] * more, minutes),
        next_week_high=_hours(found.upper.iloc[0] * more, minutes),
        until=_until(found, by, minutes) * more if by else 0.0,
    )


def _burn_down(
    by_type: dict[str, Forecast],
    minutes: dict[str, float],
    more: float,
    backlog: float,
    staffing: cap.Staffing,
) -> list[Week]:
    if not by_type:
        return []
    starts = [day.date() for day in next(iter(by_type.values())).mean.index]

    def workload(bound: str) -> list[float]:
        return [
            sum(_hours(getattr(f, bound).iloc[n] * more, minutes[k]) for k, f in by_type.items())
            for n in range(len(starts))
        ]

    mean, low, high = workload("mean"), workload("lower"), workload("upper")
    capacity = [staffing.capacity] * len(starts)
    projected = [cap.burn_down(backlog, given, capacity) for given in (mean, low, high)]
    return [Week(start, mean[n], low[n], high[n], capacity[n], *(p[n] for p in projected))
            for n, start in enumerate(starts)]  # fmt: skip


def _service_level_met(inputs: _Inputs, weeks: list[Week], backlog: float, more: float) -> float:
    """Of the new items of the next quarter (13 weeks), the share done within the service
    level's working days, first in first out, at the forecast's mean."""
    quarter = weeks[:13]
    if not quarter:
        return 0.0
    items = [
        sum(f.mean.iloc[n] * more for f in inputs.by_type.values()) for n in range(len(quarter))
    ]
    ahead = [backlog] + [week.backlog for week in quarter[:-1]]  # each week's start
    allowed = inputs.ask.level.days / 5  # in weeks
    within = sum(
        n * cap.share_within(start, week.incoming, week.capacity, allowed)
        for n, start, week in zip(items, ahead, quarter, strict=True)
    )
    return float(within / sum(items)) if sum(items) else 1.0


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


def _needs(frame: Frame, settings: dict[str, float], inputs: _Inputs) -> list[Need]:
    """FTE by skill (item type) and by team, as things are. A team's share of an item
    type's forecast is its share of that type's arrivals over the last eight weeks."""
    signed_off = dict(
        frame.sql(
            "SELECT item_type, count(DISTINCT worker) FROM skills WHERE level >= 2 GROUP BY ALL"
        )
    )
    ask, timed = inputs.ask, [kind for kind in inputs.by_type if inputs.minutes[kind] > 0]
    work = {kind: _type_work(inputs, kind, inputs.minutes[kind]) for kind in timed}
    needs = [
        _need("skill", kind, inputs.staffing, work[kind], ask, signed_off.get(kind, 0))
        for kind in timed
    ]
    shares = frame.sql(
        "SELECT team, item_type, count(*) / sum(count(*)) OVER (PARTITION BY item_type) "
        "FROM items WHERE received_at >= ? GROUP BY team, item_type",
        [ask.today - timedelta(days=TEAM_SHARE_DAYS)],
    )
    team_open = frame.sql(f"SELECT team, item_type, count(*) FROM items WHERE {_OPEN} GROUP BY ALL")
    for team in sorted({team for team, _, _ in shares} | {team for team, _, _ in team_open}):
        arriving = sum(
            (work[kind].times(share) for t, kind, share in shares if t == team and kind in work),
            _Work(),
        )
        backlog = sum(_hours(n, inputs.minutes.get(k, 0.0)) for t, k, n in team_open if t == team)
        staffing = staffing_of(frame, ask.today, settings, team)
        needs.append(
            _need("team", team, staffing, replace(arriving, backlog=backlog), ask, staffing.fte)
        )
    return needs


def _need(
    kind: str, group: str, staffing: cap.Staffing, work: _Work, ask: _Asked, staffed: float
) -> Need:
    """The FTE a group needs, from its work (hours):
    to clear by the date: (backlog + work until then) / (weeks x effective hours);
    for the service level: the backlog and the next `days` working days' work (at the
    forecast's upper bound) within those days: (backlog + high week x days / 5) /
    (days / 5 x effective hours)."""
    weeks = ask.level.days / 5
    return Need(
        kind=kind,
        group=group,
        backlog_hours=work.backlog,
        next_week_hours=work.next_week,
        fte_next_week=cap.fte_required(work.next_week, staffing),
        fte_to_clear=None
        if ask.by is None
        else cap.fte_to_clear(work.backlog, work.until, (ask.by - ask.today).days / 7, staffing),
        fte_service_level=cap.fte_to_clear(
            work.backlog, work.next_week_high * weeks, weeks, staffing
        ),
        staffed=float(staffed),
    )


def _surge(arrivals: pd.DataFrame, kind: str) -> Surge | None:
    series = daily_total(arrivals) if kind == "all" else arrivals[kind]
    return surge(series, kind)
