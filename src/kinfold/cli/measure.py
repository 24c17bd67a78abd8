"""`kinfold kpis`: the back-office measures, as a table, CSV, JSON or a workbook, with
their data-quality findings; and the records behind any figure. Registered on the app
of `kinfold.cli.common`."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from openpyxl import Workbook
from rich.table import Table

from kinfold.cli.common import (
    EngineOption,
    SparkMasterOption,
    WorkspaceOption,
    actor,
    check_format,
    command,
    console,
    iso_date,
)
from kinfold.errors import KinfoldError
from kinfold.measure.checks import Finding, findings
from kinfold.measure.frame import from_store
from kinfold.measure.kpis import BY_NAME, DIMENSIONS, GRAINS, Figure, Figures, compute, drill
from kinfold.measure.report import last_whole_month, month_end, month_of, write_pack
from kinfold.measure.spark import on_spark
from kinfold.spark import engine_session
from kinfold.spreadsheet import safe_cell, write_workbook
from kinfold.store import events
from kinfold.workspace import open_workspace

FORMATS = ("table", "csv", "json", "xlsx")


@command()
def kpis(
    by: Annotated[str | None, typer.Option(help=f"Group by: {', '.join(DIMENSIONS)}.")] = None,
    period: Annotated[str, typer.Option(help=f"Periods: {', '.join(GRAINS)}.")] = "month",
    output_format: Annotated[
        str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")
    ] = "table",
    out: Annotated[Path | None, typer.Option(help="Write to this file (xlsx needs one).")] = None,
    measure: Annotated[
        list[str] | None, typer.Option(help="Only this measure (repeat for more).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Measure as of this day (YYYY-MM-DD); default: the latest record."),
    ] = None,
    drill_into: Annotated[
        str | None, typer.Option("--drill", help="List the records behind this measure's figure.")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="--drill: a day in the figure's period (YYYY-MM-DD).")
    ] = None,
    group: Annotated[str | None, typer.Option(help="--drill: the figure's group.")] = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The sixteen back-office measures per period and group, each with its records."""
    check_format(output_format, FORMATS)
    if drill_into is not None and engine != "duckdb":
        raise KinfoldError("The records behind a figure are listed with DuckDB.",
                           "Leave out --engine with --drill.")  # fmt: skip
    if output_format == "xlsx" and out is None:
        raise KinfoldError("A workbook needs a file to go to.", "Add --out kpis.xlsx.")
    moment = datetime.combine(iso_date(as_of), datetime.max.time()) if as_of else None
    opened = open_workspace(workspace)
    try:
        frame = from_store(opened.engine, opened.settings, moment)
        if drill_into is not None:
            day = iso_date(at) if at else None
            columns, rows = drill(frame, drill_into, period, by, day, group)
            asked = {"measure": drill_into, "period": period, "by": by, "at": at, "group": group}
            events.record_export(opened.engine, actor(), "records", asked, len(rows))
    finally:
        opened.close()
    if drill_into is not None:
        _print_records(columns, rows, output_format, out)
        return
    with engine_session(engine, spark_master) as spark:
        measured = on_spark(frame, spark) if spark is not None else frame
        figures = compute(measured, period, by, tuple(measure or ()))
    found = findings(frame)
    if output_format == "table":
        _print_table(figures, found)
    elif output_format == "xlsx":
        assert out is not None
        _write_workbook(figures, found, out)
        console.print(f"Wrote {len(figures.figures):,} figures to {out}.")
    else:
        with _opened(out) as handle:
            if output_format == "json":
                json.dump(_document(figures, found), handle, indent=2, default=str)
                handle.write("\n")
            else:
                writer = csv.writer(handle)
                for row in _rows(figures):
                    writer.writerow([safe_cell(cell) for cell in row])


@command()
def report(
    period: Annotated[
        str | None,
        typer.Option(help="The month (YYYY-MM); default: the last whole month."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="The workbook to write (default: mi-pack-YYYY-MM.xlsx).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The monthly MI pack: a workbook of the measures, by team, twelve months' trend with
    charts, the backlog's age, data-quality findings and definitions."""
    month = month_of(period) if period else last_whole_month()
    out = out or Path(f"mi-pack-{month:%Y-%m}.xlsx")
    if out.suffix.lower() != ".xlsx":
        raise KinfoldError(f"The MI pack is a workbook; {out.name} is not an .xlsx file.",
                           f"Write it to mi-pack-{month:%Y-%m}.xlsx.")  # fmt: skip
    opened = open_workspace(workspace)
    try:
        pack = write_pack(from_store(opened.engine, opened.settings, month_end(month)), month, out)
        events.record_export(opened.engine, actor(), "pack", {"month": f"{month:%Y-%m}"},
                             pack.figures)  # fmt: skip
    finally:
        opened.close()
    console.print(f"Wrote the MI pack for {month:%B %Y} to {pack.path} ({pack.figures:,} "
                  f"figures; {pack.findings} data-quality findings).")  # fmt: skip


def _rows(figures: Figures) -> list[list[Any]]:
    names = sorted({name for figure in figures.figures for name in figure.details})
    header = ["as_of", "measure", "period", "group", "value", "unit", "records", *names]
    rows: list[list[Any]] = [header]
    for figure in figures.figures:
        rows.append([figures.as_of.isoformat(), figure.measure, _period(figure.period),
                     figure.group, figure.value, figure.unit, figure.records,
                     *(figure.details.get(name) for name in names)])  # fmt: skip
    return rows


def _document(figures: Figures, found: list[Finding]) -> dict[str, Any]:
    return {
        "as_of": figures.as_of.isoformat(),
        "period": figures.grain,
        "by": figures.by,
        "figures": [asdict(figure) for figure in figures.figures],
        "not_computed": figures.skipped,
        "data_quality": [
            {"check": f.name, "meaning": f.meaning, "records": f.count, "affects": f.affects,
             "examples": [list(map(str, row)) for row in f.examples]}
            for f in found
        ],
    }  # fmt: skip


def _print_table(figures: Figures, found: list[Finding]) -> None:
    affected = {name for finding in found for name in finding.affects}
    table = Table("measure", "period", "group", "value", "records", "also", box=None)
    for figure in figures.figures:
        mark = " !" if figure.measure in affected else ""
        also = "; ".join(f"{name} {_shown(value, unit)}" for name, unit, value in _details(figure))
        table.add_row(figure.measure + mark, _period(figure.period), figure.group,
                      _shown(figure.value, figure.unit), f"{figure.records:,}", also)  # fmt: skip
    console.print(table)
    console.print(f"As of {figures.as_of:%-d %B %Y %H:%M} (UTC). Records: the number behind "
                  "each figure; see them with --drill MEASURE --at DAY [--group G].")  # fmt: skip
    for line in figures.skipped:
        console.print(f"Not computed: {line}.")
    for finding in found:
        console.print(f"! {finding.name}: {finding.count:,} ({finding.meaning}); affects "
                      f"{', '.join(finding.affects)}.")  # fmt: skip


def _details(figure: Figure) -> list[tuple[str, str, float | None]]:
    units = {name: unit for name, unit, _ in BY_NAME[figure.measure.casefold()].details}
    return [(name, units[name], value) for name, value in figure.details.items()]


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "money":
        return f"£{value:,.2f}"
    if unit in ("items", "count") and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f} {unit}" if unit in ("hours", "minutes", "days") else f"{value:,.2f}"


def _period(period: date | None) -> str:
    return "all" if period is None else period.isoformat()


def _write_workbook(figures: Figures, found: list[Finding], out: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Figures"
    for row in _rows(figures):
        sheet.append([safe_cell(cell) for cell in row])
    checks = book.create_sheet("Data quality")
    checks.append(["check", "meaning", "records", "affects"])
    for finding in found:
        checks.append([finding.name, finding.meaning, finding.count, ", ".join(finding.affects)])
    book.save(out)


def _print_records(
    columns: list[str], rows: list[tuple[Any, ...]], fmt: str, out: Path | None
) -> None:
    if fmt == "table":
        table = Table(*columns, box=None)
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        console.print(table)
        console.print(f"{len(rows):,} records.")
        return
    if fmt == "xlsx":
        assert out is not None
        write_workbook(out, "Records", columns, rows)
        console.print(f"Wrote {len(rows):,} records to {out}.")
        return
    with _opened(out) as handle:
        if fmt == "json":
            json.dump([dict(zip(columns, row, strict=True)) for row in rows], handle, default=str)
        else:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows([safe_cell(str(cell)) if cell is not None else "" for cell in row]
                             for row in rows)  # fmt: skip


def _opened(out: Path | None) -> AbstractContextManager[IO[str]]:
    """The file `out`, or standard output (left open)."""
    if out is None:
        return nullcontext(sys.stdout)
    return out.open("w", newline="", encoding="utf-8")
