"""The monthly MI pack: one workbook a manager can send on, from the same figures as
`kinfold kpis` (as of the month's last day).

Sheets: Summary (each measure this month and last, the change, the records behind it, a
mark where a data-quality check touches it), By team, Trend (twelve months, with line
charts), Backlog age (the open items at the month's end by working days waiting, as a
bar chart), Data quality (what the checks found, with examples) and Definitions (each
measure's formula)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.measure.checks import Finding, findings
from kinfold.measure.frame import Frame
from kinfold.measure.kpis import AGE_BANDS, BY_NAME, MEASURES, Figure, band_name, compute
from kinfold.spreadsheet import safe_cell

NUMBER_FORMATS = {"share": "0.0%", "money": '"£"#,##0.00', "items": "#,##0", "count": "#,##0.0"}
TREND_MONTHS = 12
# (chart title, its measures): line charts of the Trend sheet
CHARTS = (
    ("Items completed and open at the month's end", ("Throughput", "Backlog")),
    ("Service level", ("Service level", "Service level (open items)")),
    ("End-to-end time (median, calendar days)", ("End-to-end time", "End-to-end time per case")),
    ("Use of paid and available time", ("Productivity", "Utilisation", "Occupancy")),
    ("Quality, re-work and process adherence", ("Quality", "Re-work", "Process adherence")),
)
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Pack:
    path: Path
    month: date
    figures: int
    findings: int


def month_of(text: str) -> date:
    """The first day of the month written YYYY-MM."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise KinfoldError(
            f"'{text}' is not a month.", "Write it as YYYY-MM, e.g. 2026-10."
        ) from None


def last_whole_month() -> date:
    first = clock.now().date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def month_end(month: date) -> datetime:
    """The last moment of the month that starts on `month`."""
    last = calendar.monthrange(month.year, month.month)[1]
    return datetime.combine(month.replace(day=last), datetime.max.time())


def write_pack(frame: Frame, month: date, out: Path) -> Pack:
    """Write the MI pack of `month` (its first day) from a frame as of the month's end."""
    monthly = _by_measure(compute(frame, "month").figures)
    teams = [f for f in compute(frame, "month", "team").figures if f.period == month]
    found = findings(frame)
    months = _months(month)
    book = Workbook()
    _summary(book.active, month, monthly, found, frame.as_of)
    _by_team(book.create_sheet("By team"), month, teams)
    _trend(book.create_sheet("Trend"), months, monthly)
    _backlog_age(book.create_sheet("Backlog age"), month, monthly)
    _data_quality(book.create_sheet("Data quality"), found)
    _definitions(book.create_sheet("Definitions"))
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return Pack(out, month, sum(len(v) for v in monthly.values()) + len(teams), len(found))


def _summary(
    sheet: Worksheet,
    month: date,
    monthly: dict[str, dict[date | None, Figure]],
    found: list[Finding],
    as_of: datetime,
) -> None:
    sheet.title = "Summary"
    before = _months(month)[-2]
    sheet.append([f"Management information: {month:%B %Y}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"As of {as_of:%-d %B %Y} (UTC). Records: how many records are behind each "
                  "figure; list them with kinfold kpis --drill."])  # fmt: skip
    sheet.append([])
    header = ["Measure", f"{month:%B %Y}", f"{before:%B %Y}", "Change", "Records",
              "Data-quality check"]  # fmt: skip
    sheet.append(header)
    _bold(sheet, sheet.max_row)
    for measure in MEASURES:
        figure = monthly.get(measure.name, {}).get(month)
        now = figure.value if figure else None
        then = _value(monthly, measure.name, before)
        checks = "; ".join(f.name for f in found if measure.name in f.affects)
        change = None if now is None or then is None else now - then
        sheet.append([measure.name, now, then, change, figure.records if figure else 0,
                      checks])  # fmt: skip
        for column in "BCD":
            sheet[f"{column}{sheet.max_row}"].number_format = _format(measure.unit)
    _widths(sheet, [38, 16, 16, 12, 10, 40])


def _by_team(sheet: Worksheet, month: date, teams: list[Figure]) -> None:
    names = [m.name for m in MEASURES if any(f.measure == m.name for f in teams)]
    groups = sorted({f.group for f in teams})
    sheet.append([f"By team, {month:%B %Y}"])
    sheet["A1"].font = BOLD
    sheet.append(["Team", *names])
    _bold(sheet, 2)
    values = {(f.measure, f.group): f.value for f in teams}
    for group in groups:
        _measure_row(sheet, safe_cell(group), names, [values.get((name, group)) for name in names])
    _widths(sheet, [24, *(16 for _ in names)])


def _trend(
    sheet: Worksheet, months: list[date], monthly: dict[str, dict[date | None, Figure]]
) -> None:
    names = [m.name for m in MEASURES]
    sheet.append(["Month", *names])
    _bold(sheet, 1)
    for month in months:
        _measure_row(sheet, f"{month:%B %Y}", names,
                     [_value(monthly, name, month) for name in names])  # fmt: skip
    last = len(months) + 1
    categories = Reference(sheet, min_col=1, min_row=2, max_row=last)
    anchor_row = last + 3
    for title, shown in CHARTS:
        chart = LineChart()
        chart.title = title
        chart.height, chart.width = 7.5, 16
        unit = BY_NAME[shown[0].casefold()].unit
        chart.y_axis.title = unit
        chart.y_axis.number_format = _format(unit)
        for name in shown:
            column = names.index(name) + 2
            chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=last),
                           titles_from_data=True)  # fmt: skip
        chart.set_categories(categories)
        sheet.add_chart(chart, f"A{anchor_row}")
        anchor_row += 16
    _widths(sheet, [16, *(14 for _ in names)])


def _backlog_age(
    sheet: Worksheet, month: date, monthly: dict[str, dict[date | None, Figure]]
) -> None:
    figure = monthly.get("Backlog", {}).get(month)
    sheet.append([f"Open items at the end of {month:%B %Y}, by working days waiting"])
    sheet["A1"].font = BOLD
    sheet.append(["Working days waiting", "Items"])
    _bold(sheet, 2)
    for low, high in AGE_BANDS:
        band = band_name(low, high)
        sheet.append([band, (figure.details.get(band) if figure else None) or 0])
    chart = BarChart()
    chart.title = "Open items by working days waiting"
    chart.y_axis.title = "items"
    chart.add_data(Reference(sheet, min_col=2, min_row=2, max_row=2 + len(AGE_BANDS)),
                   titles_from_data=True)  # fmt: skip
    chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=2 + len(AGE_BANDS)))
    chart.legend = None
    sheet.add_chart(chart, "D2")
    _widths(sheet, [26, 10])


def _data_quality(sheet: Worksheet, found: list[Finding]) -> None:
    sheet.append(["Check", "What it means", "Records", "Measures it affects", "Examples"])
    _bold(sheet, 1)
    for finding in found:
        examples = " | ".join(", ".join(map(str, row)) for row in finding.examples)
        sheet.append([finding.name, finding.meaning, finding.count, ", ".join(finding.affects),
                      safe_cell(examples)])  # fmt: skip
    if not found:
        sheet.append(["No check found anything."])
    _widths(sheet, [30, 50, 10, 50, 80])


def _definitions(sheet: Worksheet) -> None:
    sheet.append(["Measure", "Unit", "How it is computed"])
    _bold(sheet, 1)
    for measure in MEASURES:
        sheet.append([measure.name, measure.unit, measure.formula])
    _widths(sheet, [38, 10, 100])


def _by_measure(figures: list[Figure]) -> dict[str, dict[date | None, Figure]]:
    grouped: dict[str, dict[date | None, Figure]] = {}
    for figure in figures:
        grouped.setdefault(figure.measure, {})[figure.period] = figure
    return grouped


def _months(month: date) -> list[date]:
    """The TREND_MONTHS months up to and including `month`, oldest first."""
    index = month.year * 12 + month.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - TREND_MONTHS + 1, index + 1)]


def _value(monthly: dict[str, dict[date | None, Figure]], name: str, month: date) -> float | None:
    figure = monthly.get(name, {}).get(month)
    return None if figure is None else figure.value


def _measure_row(sheet: Worksheet, first: Any, names: list[str], values: list[Any]) -> None:
    """A row of one value per measure of `names`, each shown in its measure's unit."""
    sheet.append([first, *values])
    for index, name in enumerate(names, start=2):
        sheet.cell(sheet.max_row, index).number_format = _format(BY_NAME[name.casefold()].unit)


def _format(unit: str) -> str:
    return NUMBER_FORMATS.get(unit, "#,##0.0")


def _bold(sheet: Worksheet, row: int) -> None:
    for cell in sheet[row]:
        cell.font = BOLD


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
