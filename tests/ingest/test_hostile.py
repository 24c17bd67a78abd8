"""The files of tests/hostile, made to hurt: each is refused or quarantined with a clear
message, without a traceback, without taking the machine's memory, and without reaching
the terminal as anything but text."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from kinfold.cli import app
from kinfold.ingest import readers
from kinfold.workspace import Workspace
from tests.ingest.test_bad_input import run_import, stored

HOSTILE = Path(__file__).parent.parent / "hostile"


def test_json_nested_a_hundred_thousand_deep_is_refused(sqlite_workspace: Workspace) -> None:
    code, output = run_import(sqlite_workspace, HOSTILE / "deep.json")
    assert code == 1 and "nests lists or objects more than 32 levels deep" in output, output
    assert stored(sqlite_workspace) == (0, 0)


def test_a_record_nested_too_deep_is_quarantined_alone(sqlite_workspace: Workspace) -> None:
    code, output = run_import(sqlite_workspace, HOSTILE / "deep-record.jsonl")
    assert code == 0 and "read 2 · new 1 · updated 0 · unchanged 0 · quarantined 1" in output
    assert stored(sqlite_workspace) == (1, 1)


def test_nan_and_infinity_in_numbers_are_quarantined(sqlite_workspace: Workspace) -> None:
    arguments = ["import", str(HOSTILE / "nan-workers.csv"), "--kind", "workers",
                 "-w", str(sqlite_workspace.path)]  # fmt: skip
    result = CliRunner().invoke(app, arguments)
    output = " ".join(result.output.split())
    assert result.exit_code == 0 and "quarantined 4" in output, output
    listed = CliRunner().invoke(app, ["quarantine", "-w", str(sqlite_workspace.path)]).output
    for shown in ("hours_per_week 'nan' is not a number", "cost_per_hour 'inf' is not a number",
                  "hours_per_week '-inf' is not a number"):  # fmt: skip
        assert shown in listed, listed


def test_terminal_codes_and_markup_in_values_are_shown_as_text(
    sqlite_workspace: Workspace,
) -> None:
    code, _ = run_import(sqlite_workspace, HOSTILE / "terminal.csv")
    assert code == 0
    result = CliRunner().invoke(app, ["quarantine", "-w", str(sqlite_workspace.path)],
                                color=True)  # fmt: skip
    shown = result.output
    assert result.exit_code == 0 and "Quarantine: 2 rows" in shown, shown
    assert "\x1b[2J" not in shown and "\x1b]0;" not in shown and "\u202e" not in shown
    assert "\\x1b[2J" in shown and "\\u202e" in shown  # written out, to be read
    assert "[bold red]HACKED[/]" in shown  # markup in a value is text, not a style


def _workbook(path: Path, bomb: tuple[str, int] | None = None) -> Path:
    """A small workbook of items; with `bomb` (a part's name, a size), that part made of
    so many bytes of one repeated character: a zip bomb."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["source_ref", "item_type", "received_at", "last_name"])
    for number in range(1, 11):
        sheet.append([f"X{number}", "Claim", "2026-11-20", "Lee"])
    written = io.BytesIO()
    book.save(written)
    with (
        zipfile.ZipFile(written) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            if bomb is None or part.filename != bomb[0]:
                target.writestr(part, source.read(part.filename))
        if bomb is not None:
            with target.open(bomb[0], "w") as sink:
                for _ in range(bomb[1] // 2**20):
                    sink.write(b" " * 2**20)
    return path


@pytest.mark.parametrize(
    ("part", "size", "message"),
    [("xl/sharedStrings.xml", 300 * 2**20, "unpacks its part xl/sharedStrings.xml"),
     ("xl/worksheets/sheet1.xml", 64 * 2**20, "unpacks its part xl/worksheets/sheet1.xml")],
)  # fmt: skip
def test_a_workbook_that_unpacks_to_too_much_is_refused_unread(
    sqlite_workspace: Workspace, tmp_path: Path, part: str, size: int, message: str
) -> None:
    bomb = _workbook(tmp_path / "bomb.xlsx", (part, size))
    assert bomb.stat().st_size < 2 * 2**20  # a small file...
    code, output = run_import(sqlite_workspace, bomb)
    assert code == 1 and message in output, output  # ...refused before it is unpacked
    assert stored(sqlite_workspace) == (0, 0)


def test_a_workbook_of_more_cells_than_kinfold_reads_is_refused(
    sqlite_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "MAX_CELLS", 20)
    code, output = run_import(sqlite_workspace, _workbook(tmp_path / "cells.xlsx"))
    assert code == 1 and "has more than 20 cells" in output, output
    assert stored(sqlite_workspace) == (0, 0)


def test_two_headers_naming_one_field_are_refused(sqlite_workspace: Workspace) -> None:
    code, output = run_import(sqlite_workspace, HOSTILE / "both-headers.csv")
    assert code == 1, output
    assert (
        "The columns 'First Name' and 'first_name' both name kinfold's field first_name" in output
    )
    assert stored(sqlite_workspace) == (0, 0)


def test_work_by_someone_not_among_the_workers_is_quarantined(
    sqlite_workspace: Workspace,
) -> None:
    folder = str(sqlite_workspace.path)
    for name, given in (("one-worker.csv", ["--kind", "workers"]),
                        ("one-item.csv", ["--source", "test"])):  # fmt: skip
        result = CliRunner().invoke(app, ["import", str(HOSTILE / name), *given, "-w", folder])
        assert result.exit_code == 0, result.output
    events = ["import", str(HOSTILE / "unknown-worker-events.csv"), "--kind", "events",
              "-w", folder]  # fmt: skip
    result = CliRunner().invoke(app, events)
    output = " ".join(result.output.split())
    assert result.exit_code == 0 and "new 1" in output and "quarantined 1" in output, output
    listed = " ".join(CliRunner().invoke(app, ["quarantine", "-w", folder]).output.split())
    assert "there is no worker W99 among the workspace's workers" in listed, listed
