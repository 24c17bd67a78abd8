"""The monthly MI pack, written from the worked example (tests/measure/conftest.py)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from kinfold.cli import app
from kinfold.measure.frame import from_store
from kinfold.measure.report import month_end, write_pack
from kinfold.store.schema import events
from kinfold.workspace import Workspace


def test_the_pack_holds_the_months_figures_and_charts(example: Workspace, tmp_path: Path) -> None:
    november = date(2026, 11, 1)
    frame = from_store(example.engine, example.settings, month_end(november))
    pack = write_pack(frame, november, tmp_path / "pack.xlsx")

    book = load_workbook(pack.path)
    assert book.sheetnames == ["Summary", "By team", "Trend", "Backlog age", "Data quality",
                               "Definitions"]  # fmt: skip
    summary = {row[0]: row for row in book["Summary"].iter_rows(min_row=5, values_only=True)}
    assert book["Summary"]["A1"].value == "Management information: November 2026"
    assert summary["Throughput"][1:5] == (1, None, None, 1)  # none in October: no change
    assert summary["Backlog"][1] == 1  # claim B, open at the end of November
    assert summary["Shrinkage"][1] == 1.5 / 22.5
    assert book["Summary"]["B7"].number_format == "0.0%"  # the first measure is a share
    by_team = book["By team"]
    header = [cell.value for cell in by_team[2]]
    team = {row[0]: dict(zip(header, row, strict=True))
            for row in by_team.iter_rows(min_row=3, values_only=True)}  # fmt: skip
    assert team["Claims"]["Shrinkage"] == 1.5 / 22.5  # W1's team
    assert team["(no team)"]["Throughput"] == 1  # the log's claims are in no case yet
    trend = list(book["Trend"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in trend][-2:] == ["October 2026", "November 2026"]
    assert len(trend) == 12
    assert len(book["Trend"]._charts) == 5
    assert len(book["Backlog age"]._charts) == 1
    ages = dict(book["Backlog age"].iter_rows(min_row=3, values_only=True))
    assert ages["11-20 working days"] == 1 and sum(ages.values()) == 1  # 19 to 30 November
    definitions = [row[0] for row in book["Definitions"].iter_rows(min_row=2, values_only=True)]
    assert "Process adherence" in definitions


def test_the_command_writes_the_pack_and_refuses_a_bad_month(
    example: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "mi.xlsx"
    runner = CliRunner()
    done = runner.invoke(app, ["report", "--period", "2026-11", "--out", str(out),
                               "-w", str(example.path)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "November 2026" in done.output and out.exists()
    drilled = runner.invoke(app, ["kpis", "--drill", "Throughput", "--period", "all",
                                  "--format", "csv", "-w", str(example.path)])  # fmt: skip
    assert drilled.exit_code == 0, drilled.output
    with example.engine.connect() as conn:  # what left kinfold, in the audit log
        taken = conn.execute(select(events.c.action, events.c.after).where(
            events.c.action.like("export.%")).order_by(events.c.id)).all()  # fmt: skip
    assert [action for action, _ in taken] == ["export.pack", "export.records"]
    assert json.loads(taken[0].after)["month"] == "2026-11"
    assert json.loads(taken[1].after)["measure"] == "Throughput"
    assert json.loads(taken[1].after)["rows"] == drilled.output.count("\n") - 1  # less the header
    sheet = tmp_path / "drilled.xlsx"  # a workbook, not CSV text in an .xlsx file
    as_book = runner.invoke(app, ["kpis", "--drill", "Throughput", "--period", "all",
                                  "--format", "xlsx", "--out", str(sheet),
                                  "-w", str(example.path)])  # fmt: skip
    assert as_book.exit_code == 0, as_book.output
    rows = list(load_workbook(sheet)["Records"].iter_rows(values_only=True))
    header, *records = (list(row) for row in rows)
    written = drilled.output.splitlines()
    assert header == written[0].split(",") and "source_ref" in header
    assert len(records) == len(written) - 1 > 0
    bad = runner.invoke(app, ["report", "--period", "Nov 2026", "-w", str(example.path)])
    assert bad.exit_code != 0
    assert "'Nov 2026' is not a month" in bad.output
    csv = runner.invoke(app, ["report", "--period", "2026-11", "--out", str(tmp_path / "a.csv"),
                              "-w", str(example.path)])  # fmt: skip
    assert csv.exit_code != 0 and "not an .xlsx file" in csv.output
