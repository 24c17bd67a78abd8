"""`kinfold plan`: demand forecast and surges, burn-down with its chart, FTE needed and
what-if scenarios; `kinfold simulate`: the policy simulation. Registered on the app of
`kinfold.cli`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kinfold.cli.common import WorkspaceOption, check_format, command, console, iso_date
from kinfold.errors import KinfoldError
from kinfold.workspace import open_workspace

if TYPE_CHECKING:
    from kinfold.plan.policies import Simulation
    from kinfold.plan.service import Plan

# The planning modules (statsmodels, pandas, matplotlib, SimPy) take seconds to import:
# each command imports them when it runs, so every other command starts at once.

FORMATS = ("table", "json")


@command()
def plan(
    by: Annotated[
        str | None, typer.Option(help="Clear the backlog by this day (YYYY-MM-DD).")
    ] = None,
    service_level: Annotated[
        str, typer.Option(help="Hold this service level: share:working days.")
    ] = "0.9:5",
    output_format: Annotated[
        str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")
    ] = "table",
    chart: Annotated[
        Path, typer.Option(help="Write the burn-down chart here (.png or .svg).")
    ] = Path("burn-down.png"),
    scenario: Annotated[
        Path | None, typer.Option(help="What-if scenarios to set beside the plan (YAML).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """How much work is coming, when the backlog clears, and how many people it takes."""
    from kinfold.measure.frame import from_store
    from kinfold.plan import chart as charts
    from kinfold.plan.documents import plan_document
    from kinfold.plan.scenario import read_scenarios
    from kinfold.plan.service import ServiceLevel, make_plan

    check_format(output_format, FORMATS)
    if chart.suffix.lower() not in charts.FORMATS:
        raise KinfoldError(
            f"{chart.name}: a chart is a .png or .svg file.",
            "Give --chart burn-down.png or --chart burn-down.svg.",
        )
    level = ServiceLevel.parse(service_level)
    scenarios = read_scenarios(scenario) if scenario else []
    opened = open_workspace(workspace)
    try:
        frame = from_store(opened.engine, opened.settings)
    finally:
        opened.close()
    found = make_plan(frame, iso_date(by) if by else None, level, scenarios)
    charts.burn_down_chart(found, chart)
    if output_format == "json":
        typer.echo(json.dumps(plan_document(found), indent=2, default=str))
    else:
        _print(found)
        console.print(f"Burn-down chart: {chart}")


@command()
def simulate(
    team: Annotated[
        str | None, typer.Option(help="Simulate this team's cases and staff alone.")
    ] = None,
    weeks: Annotated[int, typer.Option(help="Weeks to simulate (1 to 104).")] = 26,
    staff: Annotated[
        float | None, typer.Option(help="FTE working (default: as the roster has them).")
    ] = None,
    set_up_minutes: Annotated[
        float | None,
        typer.Option(help="Minutes to set up one contact (default: kinfold.yaml, else 10)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random arrivals.")] = 1,
    output_format: Annotated[
        str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")
    ] = "table",
    workspace: WorkspaceOption = None,
) -> None:
    """Work the backlog and forecast arrivals item by item, first in first out, and as
    household cases in priority order: time to clear, harm horizons passed, touches."""
    from kinfold.measure.frame import from_store
    from kinfold.plan.documents import simulation_document
    from kinfold.plan.policies import simulate_policies

    check_format(output_format, FORMATS)
    opened = open_workspace(workspace)
    try:
        frame = from_store(opened.engine, opened.settings)
        found = simulate_policies(opened.engine, frame, team, weeks, staff, set_up_minutes, seed)
    finally:
        opened.close()
    if output_format == "json":
        typer.echo(json.dumps(simulation_document(found), indent=2, default=str))
    else:
        _print_simulation(found)


def _print_simulation(found: Simulation) -> None:
    given = found.parameters
    console.print(
        f"Policy simulation from {given.start:%-d %B %Y} for {given.days // 7} weeks"
        + (f", {found.team}" if found.team else ""),
        style="bold",
    )
    console.print(
        f"Parameters: {given.staff:.1f} FTE ({given.workers} workers), "
        f"{given.hours_a_week:.1f} handling hours an FTE a week; contact set-up "
        f"{given.set_up_minutes:g} minutes; standard times "
        f"{min(given.minutes.values()):.0f} to {max(given.minutes.values()):.0f} minutes "
        f"({len(given.minutes)} item types); {found.waiting:,} items waiting, {found.arriving:,} "
        f"arriving as forecast; {given.repeat_share:.0%} of new items about someone with "
        f"another item in the last eight weeks; seed {given.seed}."
    )
    table = Table("", *(result.policy for result in found.results))
    rows = {
        "backlog waiting now cleared": [
            _cleared(given.start, result.cleared_day) for result in found.results
        ],
        "items done / still open": [
            f"{len(r.completed):,} / {r.still_open:,}" for r in found.results
        ],
        "harm horizon passed before help": [
            f"{r.share_passed:.0%} ({r.horizon_passed:,} of {r.with_horizon:,} people; "
            f"{r.passed_at_start:,} passed before the start)"
            if r.share_passed is not None
            else "no one has a harm horizon"
            for r in found.results
        ],
        "touches per person": [
            f"{r.touches_per_person:.2f}" if r.touches_per_person else "none" for r in found.results
        ],
        "hours worked": [f"{r.hours_worked:,.0f}" for r in found.results],
    }
    for name, cells in rows.items():
        table.add_row(name, *cells)
    console.print(table)
    for note in found.notes:
        console.print(f"Note: {note}")


def _cleared(start: date, days: float | None) -> str:
    if days is None:
        return "not within the simulated weeks"
    return f"{start + timedelta(days=days):%-d %B %Y} (after {days:.0f} days)"


def _print(found: Plan) -> None:
    now, demand, level = found.now, found.demand, found.service_level
    staffing = now.staffing
    console.print(f"Plan as of {found.as_of:%-d %B %Y}", style="bold")
    console.print(
        f"Backlog: {found.backlog_items:,} open items, {now.backlog_hours:,.0f} hours of work. "
        f"Staffed: {staffing.fte:.1f} FTE, shrinkage {staffing.shrinkage:.0%} (of which "
        f"unplanned {staffing.sickness:.0%}), target occupancy {staffing.occupancy:.0%}: "
        f"{staffing.capacity:,.0f} handling hours a week."
    )
    console.print(
        f"Cleared by {_day(now.clearance)} (at the forecast's low arrivals "
        f"{_day(now.clearance_earliest)}; at its high arrivals {_day(now.clearance_latest)})."
    )
    console.print(
        f"FTE needed: {now.fte_next_week:.1f} for next week's work; "
        + (f"{now.fte_to_clear:.1f} to clear by {found.by:%-d %B %Y}; " if found.by else "")
        + f"{now.fte_service_level:.1f} to bring all work within {level.share:.0%} in "
        f"{level.days} working days. At the staffing as now, {now.service_level_met:.0%} of "
        f"the next 13 weeks' new items are done within {level.days} working days."
    )
    mase = (
        f"backtest MASE {demand.mase:.2f}, a seasonal naive forecast's {demand.naive_mase:.2f}"
        if demand.mase is not None and demand.naive_mase is not None
        else "too little history to backtest"
    )
    console.print(f"Demand forecast: {demand.model}; {mase}.")
    surges = Table("surge in", "arrived", "forecast", "at most expected", "weeks of usual demand")
    for surge in found.surges:
        surges.add_row(
            surge.group,
            f"{surge.arrived:,}",
            f"{surge.expected:,.0f}",
            f"{surge.upper:,.0f}",
            f"{surge.weeks_of_demand:.1f}",
        )
    if found.surges:
        console.print(f"Surges over the last {found.surges[0].days} days:", surges)
    if len(found.outcomes) > 1:
        console.print(_scenarios(found))
    table = Table(
        "by",
        "group",
        "backlog hours",
        "next week hours",
        "FTE next week",
        *(["FTE to clear"] if found.by else []),
        "FTE for service level",
        "staffed",
    )
    for need in found.needs:
        table.add_row(
            need.kind,
            need.group,
            f"{need.backlog_hours:,.0f}",
            f"{need.next_week_hours:,.0f}",
            f"{need.fte_next_week:.1f}",
            *([f"{need.fte_to_clear:.1f}"] if need.fte_to_clear is not None else []),
            f"{need.fte_service_level:.1f}",
            f"{need.staffed:.1f} FTE" if need.kind == "team" else f"{need.staffed:.0f} signed off",
        )
    console.print(table)
    weeks = Table("week from", "incoming hours", "capacity", "backlog hours", "range")
    for week in now.weeks[:12]:
        weeks.add_row(
            f"{week.starts:%-d %B %Y}",
            f"{week.incoming:,.0f}",
            f"{week.capacity:,.0f}",
            f"{week.backlog:,.0f}",
            f"{week.backlog_low:,.0f} to {week.backlog_high:,.0f}",
        )
    console.print(weeks)
    for note in found.notes:
        console.print(f"Note: {note}")


def _scenarios(found: Plan) -> Table:
    """Each scenario beside the plan as now."""
    level = found.service_level
    table = Table(
        "scenario",
        "changes",
        "hours a week",
        "cleared by",
        "FTE next week",
        *(["FTE to clear"] if found.by else []),
        "FTE for service level",
        f"within {level.days} days",
        title=f"What if (FTE to clear by {found.by:%-d %B %Y}; "
        f"service level: new items of the next 13 weeks within {level.days} working days, "
        f"target {level.share:.0%})"
        if found.by
        else f"What if (service level: new items of the next 13 weeks within {level.days} "
        f"working days, target {level.share:.0%})",
    )
    for outcome in found.outcomes:
        table.add_row(
            outcome.scenario.name,
            outcome.scenario.changes(),
            f"{outcome.staffing.capacity:,.0f}",
            _day(outcome.clearance),
            f"{outcome.fte_next_week:.1f}",
            *([f"{outcome.fte_to_clear:.1f}"] if outcome.fte_to_clear is not None else []),
            f"{outcome.fte_service_level:.1f}",
            f"{outcome.service_level_met:.0%}",
        )
    return table


def _day(day: date | None) -> str:
    return f"{day:%-d %B %Y}" if day else "not within two years at this capacity"
