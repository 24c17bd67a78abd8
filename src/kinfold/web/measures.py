"""The KPI dashboard (each measure's figures per period and group, charted with Altair as
Vega-Lite and drawn in the page, with the records behind every figure) and the planning
page (burn-down, FTE needed, what-if). Both work from the same frame as `kinfold kpis`
and `kinfold plan`: one version of the truth."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import altair as alt
import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kinfold.accounts import ADMIN, ANALYST, CASEWORKER, TEAM_LEADER, Account
from kinfold.errors import KinfoldError
from kinfold.measure.frame import Frame, from_store
from kinfold.measure.headline import SHARES, figure_text, headlines, open_period, period_name
from kinfold.measure.kpis import (
    BY_NAME,
    DIMENSIONS,
    GRAINS,
    MEASURES,
    Figure,
    compute,
    drill,
    drill_count,
    team_workers,
)
from kinfold.measure.report import last_whole_month
from kinfold.plan.chart import weeks_shown
from kinfold.plan.scenario import Scenario
from kinfold.plan.service import Plan, ServiceLevel, make_plan
from kinfold.web.render import render
from kinfold.web.security import PageSession, Refused, WebState, need_role

router = APIRouter(include_in_schema=False)
DRILLERS = (TEAM_LEADER, ANALYST, ADMIN)  # the records behind a figure name items and staff
PERIODS_SHOWN = 12
RECORDS_SHOWN = 500
PERIOD_AXIS = {"month": "%b %Y", "week": "%-d %b"}  # a week by its Monday
PERIOD_TITLE = {"month": "Month", "week": "Week from Monday", "day": "Day"}


ANOTHER_WORKER = "(another worker)"
BY_WORKER_REFUSED = (
    "Measures by worker are shown only to each worker, their team leader and admin: "
    "choose a team or another grouping."
)


def frame_of(state: WebState, as_of: datetime | None = None) -> Frame:
    return from_store(state.engine, state.settings, as_of)


def workers_shown(frame: Frame, account: Account) -> frozenset[str] | None:
    """Whose figures by worker `account` may see: everyone's (admin; None), their team's
    (a team leader), their own (a caseworker), no one's (an analyst). Team before person:
    no one else watches a colleague's productivity, idle time or utilisation."""
    if account.role == ADMIN:
        return None
    if account.role == TEAM_LEADER and account.team:
        return team_workers(frame, account.team)
    if account.role == CASEWORKER and account.worker_ref:
        return frozenset({account.worker_ref})
    return frozenset()


def dimensions_for(account: Account) -> tuple[str, ...]:
    """The groupings offered: by worker only to those who may see someone's figures."""
    return tuple(d for d in DIMENSIONS if d != "worker" or account.role != ANALYST)


def by_worker_shown(figures: list[Figure], frame: Frame, account: Account) -> list[Figure]:
    """The figures by worker `account` may see; refused when they may see no one's."""
    shown = workers_shown(frame, account)
    if shown is None:
        return figures
    if not shown:
        raise Refused(BY_WORKER_REFUSED)
    return [figure for figure in figures if figure.group in shown]


@router.get("/measures")
def measures_page(
    request: Request,
    session: PageSession,
    state: WebState,
    period: Annotated[str, Query(max_length=10)] = "month",
    by: Annotated[str | None, Query(max_length=20)] = None,
    so_far: bool = False,
) -> Response:
    errors = {}
    if period not in GRAINS:
        errors["period"] = f"Choose one of: {', '.join(GRAINS)}"
        period = "month"
    dimensions = dimensions_for(session.account)
    if by and by not in dimensions:
        errors["by"] = (f"Choose one of: {', '.join(dimensions)}" if by not in DIMENSIONS
                        else BY_WORKER_REFUSED)  # fmt: skip
        by = None
    frame = frame_of(state)
    figures = compute(frame, period, by or None)
    going_on = None if so_far else open_period(figures.as_of, period)
    listed = [f for f in figures.figures if going_on is None or f.period != going_on]
    if by == "worker":
        listed = by_worker_shown(listed, frame, session.account)
    panels = []
    for measure in MEASURES:
        found = [f for f in listed if f.measure == measure.name]
        if not found:
            continue
        periods = sorted({f.period for f in found if f.period}, reverse=True)[:PERIODS_SHOWN]
        shown = [f for f in found if f.period in periods or f.period is None]
        latest = [f for f in shown if f.period == (periods[0] if periods else None)]
        panels.append({
            "measure": measure,
            "name": measure.name,
            "latest": sorted(latest, key=lambda f: f.group),
            "latest_period": period_name(periods[0] if periods else None, period),
            "chart": _chart(measure.name, measure.unit, shown, period),
        })  # fmt: skip
    return render(request, "measures.html", 400 if errors else 200, title="Measures", charts=True,
                  panels=panels, period=period, by=by or "", grains=GRAINS, so_far=so_far,
                  going_on=period_name(going_on, period) if going_on else None,
                  headlines=[] if by else headlines(listed, period),
                  anchors={str(panel["name"]): n for n, panel in enumerate(panels, 1)},
                  dimensions=dimensions, skipped=figures.skipped, as_of=figures.as_of,
                  errors=errors, drill=session.account.role in DRILLERS,
                  shown=figure_text, pack_month=f"{last_whole_month():%Y-%m}")  # fmt: skip


class FigureAsked(BaseModel):
    """One figure: its measure, period (the one holding the day `at`) and group."""

    measure: str = Field(max_length=100)
    period: str = Field("month", max_length=10)
    at: date | None = None
    by: str | None = Field(None, max_length=20)
    group: str | None = Field(None, max_length=200)


FigureQuery = Annotated[FigureAsked, Query()]


def figure_records(
    state: WebState,
    account: Account,
    figure: FigureAsked,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[str], list[tuple[Any, ...]], int]:
    """The records behind a figure: its columns, every row (or `limit` from `offset`) and
    how many there are in all. A worker `account` may not see figures of is named in
    them as ANOTHER_WORKER."""  # fmt: skip
    known = figure.measure.casefold() in BY_NAME and figure.period in GRAINS
    if not known or (figure.by and figure.by not in DIMENSIONS):
        raise KinfoldError("There is no such figure.", "Choose one from the measures page.")
    frame = frame_of(state)
    shown = workers_shown(frame, account)
    if figure.by == "worker" and shown is not None and figure.group not in shown:
        raise Refused(BY_WORKER_REFUSED)
    asked = (frame, figure.measure, figure.period, figure.by or None, figure.at, figure.group)
    columns, rows = drill(*asked, limit=limit, offset=offset)
    total = len(rows) if limit is None else drill_count(*asked)
    if shown is not None and "worker" in columns:
        at = columns.index("worker")
        rows = [(*row[:at], row[at] if row[at] in shown or row[at] is None else ANOTHER_WORKER,
                 *row[at + 1 :]) for row in rows]  # fmt: skip
    return columns, rows, total


@router.get("/measures/records")
def records_page(
    request: Request, session: PageSession, state: WebState, figure: FigureQuery,
    page: Annotated[int, Query(ge=1, le=10_000_000)] = 1,
) -> Response:  # fmt: skip
    need_role(session.account, *DRILLERS)
    first = (page - 1) * RECORDS_SHOWN
    columns, rows, total = figure_records(state, session.account, figure, RECORDS_SHOWN, first)
    pages = max(1, -(-total // RECORDS_SHOWN))
    asked = urlencode(figure.model_dump(exclude_none=True, mode="json"))
    shown = sorted({n for n in (1, page - 1, page, page + 1, pages) if 1 <= n <= pages})
    return render(request, "records.html", title=f"{figure.measure}: its records",
                  **figure.model_dump(), columns=columns, rows=rows, total=total, first=first,
                  page=page, pages=pages, page_links=[(n, f"/measures/records?{asked}&page={n}")
                                                      for n in shown],
                  download=f"/measures/records.xlsx?{asked}")  # fmt: skip


@router.get("/plan")
def plan_page(
    request: Request,
    session: PageSession,
    state: WebState,
    by: Annotated[str, Query(max_length=20)] = "",
    level: Annotated[str, Query(max_length=20)] = "0.9:5",
    sickness: Annotated[str, Query(max_length=10)] = "",
    staff: Annotated[str, Query(max_length=10)] = "",
    demand: Annotated[str, Query(max_length=10)] = "",
    overtime: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    asked = {"sickness": sickness, "staff": staff, "demand": demand, "overtime": overtime}
    errors: dict[str, str] = {}
    numbers = {name: _number(name, text, errors) for name, text in asked.items() if text.strip()}
    clear_by = None
    if by.strip():
        try:
            clear_by = date.fromisoformat(by.strip())
        except ValueError:
            errors["by"] = "Enter the date to clear by as YYYY-MM-DD, such as 2027-03-31"
    try:
        service_level = ServiceLevel.parse(level)
    except KinfoldError as error:
        errors["level"] = error.message
        service_level = ServiceLevel(0.9, 5)
    scenarios = []
    if numbers and not errors:
        scenarios.append(Scenario(
            "What if",
            sickness=numbers["sickness"] / 100 if "sickness" in numbers else None,
            staff=numbers.get("staff", 0.0),
            demand=numbers.get("demand", 0.0) / 100,
            overtime=numbers.get("overtime", 0.0),
        ))  # fmt: skip
    found: Plan | None = None
    try:
        found = make_plan(frame_of(state), clear_by, service_level, scenarios)
    except KinfoldError as error:
        errors["by" if "clear by" in error.message else "what-if"] = error.message
    return render(request, "plan.html", 400 if errors else 200, title="Plan", plan=found,
                  charts=True, asked=asked, by=by, level=level, errors=errors,
                  chart=_burn_down(found) if found else None)  # fmt: skip


def _number(name: str, text: str, errors: dict[str, str]) -> float:
    limits = {"sickness": (0, 99), "staff": (-1000, 1000), "demand": (-99, 1000),
              "overtime": (0, 10_000)}  # fmt: skip
    low, high = limits[name]
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        errors[name] = f"Enter {name} as a number from {low:,} to {high:,}"
    return value


def _chart(name: str, unit: str, figures: list[Any], period: str) -> dict[str, Any] | None:
    rows = [{"period": f.period, "group": f.group, "value": f.value} for f in figures
            if f.period is not None and f.value is not None]  # fmt: skip
    if len({row["period"] for row in rows}) < 2:
        return None  # one period: the table says it all
    data = pd.DataFrame(rows)
    data["period"] = pd.to_datetime(data["period"])
    axis = alt.Axis(format="%") if unit in SHARES else alt.Axis()
    when = alt.Axis(format=PERIOD_AXIS.get(period, "%-d %b %Y"))
    chart = (
        alt.Chart(data, title=name)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=PERIOD_TITLE.get(period, "Day"), axis=when),
            y=alt.Y("value:Q", title=unit, axis=axis),
            color=alt.Color("group:N", title=None),
            tooltip=["group:N", "period:T", alt.Tooltip("value:Q", format=",.3~f")],
        )
        .properties(width="container", height=220)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def _burn_down(found: Plan) -> dict[str, Any] | None:
    weeks = found.now.weeks[: weeks_shown(found)]
    if not weeks:
        return None
    rows = [
        {"week": w.starts.isoformat(), "what": outcome.scenario.name, "hours": week.backlog}
        for outcome in found.outcomes
        for w, week in zip(weeks, outcome.weeks, strict=False)
    ]
    band = pd.DataFrame([{"week": w.starts.isoformat(), "low": w.backlog_low,
                          "high": w.backlog_high} for w in weeks])  # fmt: skip
    lines = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line()
        .encode(
            x=alt.X("week:T", title="Week"),
            y=alt.Y("hours:Q", title="Backlog (hours of work)"),
            color=alt.Color("what:N", title=None),
        )
    )
    area = (
        alt.Chart(band)
        .mark_area(opacity=0.3, color="#b1b4b6")
        .encode(x="week:T", y="low:Q", y2="high:Q")
    )
    spec: dict[str, Any] = (
        (area + lines).properties(width="container", height=260, title="Burn-down").to_dict()
    )
    return spec
