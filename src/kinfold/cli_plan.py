"""`kinfold plan`: demand forecast and surges, burn-down with its chart, FTE needed.
Registered on the app of `kinfold.cli`."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kinfold.cli import WorkspaceOption, command, console, iso_date
from kinfold.errors import KinfoldError
from kinfold.measure.frame import from_store
from kinfold.plan import chart as charts
from kinfold.plan.chart import burn_down_chart
from kinfold.plan.service import Plan, ServiceLevel, make_plan
from kinfold.workspace import open_workspace

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
    workspace: WorkspaceOption = None,
) -> None:
    """How much work is coming, when the backlog clears, and how many people it takes."""
    if output_format not in FORMATS:
        raise KinfoldError(
            f"'{output_format}' is not a format.", f"Choose one of: {', '.join(FORMATS)}."
        )
    if chart.suffix.lower() not in charts.FORMATS:
        raise KinfoldError(
            f"{chart.name}: a chart is a .png or .svg file.",
            "Give --chart burn-down.png or --chart burn-down.svg.",
        )
    level = ServiceLevel.parse(service_level)
    opened = open_workspace(workspace)
    try:
        frame = from_store(opened.engine, opened.settings)
    finally:
        opened.close()
    found = make_plan(frame, iso_date(by) if by else None, level)
    burn_down_chart(found, chart)
    if output_format == "json":
        typer.echo(json.dumps(plan_document(found), indent=2, default=str))
    else:
        _print(found)
        console.print(f"Burn-down chart: {chart}")


def plan_document(found: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data: the same numbers the table shows."""
    demand = found.demand
    return {
        "as_of": found.as_of,
        "staffing": {**asdict(found.staffing), "capacity_hours_a_week": found.staffing.capacity},
        "backlog": {"items": found.backlog_items, "hours": found.backlog_hours},
        "clearance": {
            "date": found.clearance,
            "earliest": found.clearance_earliest,
            "latest": found.clearance_latest,
        },
        "fte": {
            "next_week": found.fte_next_week,
            "to_clear_by": {"date": found.by, "fte": found.fte_to_clear},
            "service_level": {**asdict(found.service_level), "fte": found.fte_service_level},
        },
        "needs": [asdict(need) for need in found.needs],
        "demand": {
            "model": demand.model,
            "mase": demand.mase,
            "seasonal_naive_mase": demand.naive_mase,
            "forecast": [
                {"day": day.date(), "mean": mean, "lower": low, "upper": high}
                for day, mean, low, high in zip(
                    demand.mean.index, demand.mean, demand.lower, demand.upper, strict=True
                )
            ],
        },
        "surges": [
            {**asdict(s), "weeks_of_demand": s.weeks_of_demand, "in_words": s.describe()}
            for s in found.surges
        ],
        "weeks": [asdict(week) for week in found.weeks],
        "notes": found.notes,
    }


def _print(found: Plan) -> None:
    staffing, demand = found.staffing, found.demand
    console.print(f"[bold]Plan as of {found.as_of:%-d %B %Y}[/bold]")
    console.print(
        f"Backlog: {found.backlog_items:,} open items, {found.backlog_hours:,.0f} hours of work. "
        f"Staffed: {staffing.fte:.1f} FTE, shrinkage {staffing.shrinkage:.0%}, target "
        f"occupancy {staffing.occupancy:.0%}: {staffing.capacity:,.0f} handling hours a week."
    )
    console.print(
        f"Cleared by {_day(found.clearance)} (at the forecast's low arrivals "
        f"{_day(found.clearance_earliest)}; at its high arrivals {_day(found.clearance_latest)})."
    )
    level = found.service_level
    console.print(
        f"FTE needed: {found.fte_next_week:.1f} for next week's work; "
        + (f"{found.fte_to_clear:.1f} to clear by {found.by:%-d %B %Y}; " if found.by else "")
        + f"{found.fte_service_level:.1f} to bring all work within {level.share:.0%} in "
        f"{level.days} working days."
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
    for week in found.weeks[:12]:
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


def _day(day: date | None) -> str:
    return f"{day:%-d %B %Y}" if day else "not within two years at this capacity"
