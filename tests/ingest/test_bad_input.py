"""Every malformed file of tests/corpus gives a clear message or quarantined rows:
never a traceback, a hang, or a lost row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kinfold.cli import app
from kinfold.store.schema import items, quarantine
from kinfold.workspace import Workspace

CORPUS = Path(__file__).parent.parent / "corpus"

# file, mapping, exit code, what the output must say, items stored, rows quarantined
CASES = [
    ("ragged.csv", None, 0, "read 4 · new 2 · updated 0 · unchanged 0 · quarantined 2", 2, 2),
    ("windows-1252.csv", None, 0, "read as cp1252 text", 2, 0),
    ("empty.csv", None, 1, "empty.csv is empty (0 bytes)", 0, 0),
    ("header-only.csv", None, 0, "the file has a header but no rows", 0, 0),
    (
        "duplicate-headers.csv",
        None,
        1,
        "names the column 'Last_Name' twice (columns 4 and 5)",
        0,
        0,
    ),
    ("uk-dates.csv", "uk-dates.yaml", 0, "new 2 · updated 0 · unchanged 0 · quarantined 1", 2, 1),
    (
        "uk-dates.csv",
        "missing-column.yaml",
        1,
        "(line 4): field 'received_at' reads column 'Date Received', which is not in uk-dates.csv",
        0,
        0,
    ),
    (
        "uk-dates.csv",
        "unknown-field.yaml",
        1,
        "unknown-field.yaml line 4: 'received' is not a kinfold field",
        0,
        0,
    ),
    ("uk-dates.csv", "broken.yaml", 1, "broken.yaml is not valid YAML", 0, 0),
    ("unclosed-quote.csv", None, 1, "row 2 cannot be read", 0, 0),
    ("truncated.json", None, 1, "truncated.json is not valid JSON", 0, 0),
    ("unknown-encoding.csv", None, 1, "neither UTF-8 nor Windows-1252", 0, 0),
    ("not-really.xlsx", None, 1, "not-really.xlsx is not a readable XLSX workbook", 0, 0),
    ("old-excel.xls", None, 1, "old-style Excel (.xls)", 0, 0),
    ("binary-garbage.csv", None, 1, "does not look like a text file", 0, 0),
    ("formula.xlsx", None, 0, "new 1 · updated 0 · unchanged 0 · quarantined 2", 1, 2),
]


def run_import(workspace: Workspace, path: Path, mapping: Path | None = None) -> tuple[int, str]:
    arguments = ["import", str(path), "--source", "test", "--workspace", str(workspace.path)]
    if mapping is not None:
        arguments += ["--mapping", str(mapping)]
    result = CliRunner().invoke(app, arguments)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    output = " ".join(result.output.split())
    assert "Traceback" not in output
    return result.exit_code, output


def stored(workspace: Workspace) -> tuple[int, int]:
    with workspace.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(items)).scalar_one()
        held = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
    return count, held


@pytest.mark.parametrize(
    ("file", "mapping", "code", "message", "stored_items", "quarantined"),
    CASES,
    ids=[f"{case[0]}+{case[1]}" if case[1] else case[0] for case in CASES],
)
def test_malformed_file(
    sqlite_workspace: Workspace,
    tmp_path: Path,
    file: str,
    mapping: str | None,
    code: int,
    message: str,
    stored_items: int,
    quarantined: int,
) -> None:
    path = shutil.copy(CORPUS / file, tmp_path / file)
    exit_code, output = run_import(
        sqlite_workspace, Path(path), CORPUS / mapping if mapping else None
    )
    assert exit_code == code, output
    assert message in output
    assert stored(sqlite_workspace) == (stored_items, quarantined)


def test_quarantine_lists_each_reason(sqlite_workspace: Workspace) -> None:
    run_import(sqlite_workspace, CORPUS / "ragged.csv")
    run_import(sqlite_workspace, CORPUS / "formula.xlsx")
    result = CliRunner().invoke(app, ["quarantine", "--workspace", str(sqlite_workspace.path)])
    output = " ".join(result.output.split())
    assert result.exit_code == 0
    assert "Quarantine: 4 rows" in output
    assert "the row has 7 values but the header names 5 columns" in output
    assert "the row has 3 values but the header names 5 columns" in output
    assert output.count("the cell holds a formula") == 2


def test_a_ten_megabyte_cell_quarantines_its_row_only(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "huge-cell.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("source_ref,item_type,received_at,last_name,notes\n")
        handle.write("R1,Claim,2026-11-01,Smith,short\n")
        handle.write("R2,Claim,2026-11-01,Jones," + "x" * 10 * 1024 * 1024 + "\n")
        handle.write("R3,Claim,2026-11-01,Okafor,short\n")
    exit_code, output = run_import(sqlite_workspace, path)
    assert exit_code == 0
    assert "read 3 · new 2 · updated 0 · unchanged 0 · quarantined 1" in output
    with sqlite_workspace.engine.connect() as conn:
        (held,) = conn.execute(select(quarantine)).all()
    assert held.column_name == "notes" and "10,485,760 characters" in held.reason
    assert held.row_number == 3


def test_uk_dates_quarantine_names_the_impossible_date(sqlite_workspace: Workspace) -> None:
    run_import(sqlite_workspace, CORPUS / "uk-dates.csv", CORPUS / "uk-dates.yaml")
    with sqlite_workspace.engine.connect() as conn:
        (held,) = conn.execute(select(quarantine)).all()
        refs = sorted(ref for (ref,) in conn.execute(select(items.c.source_ref)))
    assert refs == ["R1", "R3"]
    assert (held.row_number, held.column_name) == (3, "Received")
    assert "'31/02/2026' is not a real date" in held.reason


def test_windows_1252_text_survives(sqlite_workspace: Workspace) -> None:
    run_import(sqlite_workspace, CORPUS / "windows-1252.csv")
    with sqlite_workspace.engine.connect() as conn:
        found = dict(conn.execute(select(items.c.source_ref, items.c.notes)).all())
        names = sorted(name for (name,) in conn.execute(select(items.c.last_name)))
    assert found["R1"] == "“owes £40”" and found["R2"] == "café"
    assert names == ["Brontë", "Zoë"]
