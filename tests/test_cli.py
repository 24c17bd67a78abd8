"""The command line: each command reads back what it wrote, and errors never show a traceback."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from kinfold.cli import app
from tests.conftest import write


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


def test_init_import_status(backend: str, tmp_path: Path) -> None:
    folder = str(tmp_path / "team")
    assert run("init", folder, "--name", "Food Safety")[0] == 0
    claims = write(
        tmp_path / "claims.csv",
        "source_ref,item_type,received_at,last_name,status\nB1,Claim,2026-11-01,Lee,open\n"
        "B2,Claim,2026-11-01,Ng,closed\n",
    )
    code, output = run("import", str(claims), "--source", "benefits", "-w", folder)
    assert code == 0
    assert "read 2 · new 2 · updated 0 · unchanged 0 · quarantined 0" in output
    code, output = run("status", "-w", folder)
    assert code == 0
    assert "Workspace 'Food Safety'" in output
    assert "│ benefits │ 2 │ 1 │ 1 │ just now (claims.csv) │" in output
    assert "Freshness: benefits: just now" in output


def test_demo_with_load(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, output = run("demo", "--out", str(out), "--households", "60", "--seed", "3", "--load")
    assert code == 0
    assert "about 60 households" in output
    assert "Imported revenues.xlsx as items from 'revenues'" in output
    code, status = run("status", "-w", str(out))
    assert code == 0
    for source in ("benefits", "revenues", "housing"):
        assert f"{source}: just now" in status
    assert "Workers: 25 in 3 teams" in status


def test_errors_are_messages(tmp_path: Path) -> None:
    code, output = run("status", "-w", str(tmp_path))
    assert code == 1
    assert "Error: No kinfold workspace" in output and "kinfold init" in output
    run("init", str(tmp_path / "w"))
    code, output = run("demo", "--out", str(tmp_path / "d"), "--as-of", "22/11/2026")
    assert code == 1
    assert "'22/11/2026' is not a date in the form YYYY-MM-DD" in output
    code, output = run(
        "import", str(tmp_path / "missing.csv"), "--source", "x", "-w", str(tmp_path / "w")
    )
    assert code == 1
    assert "There is no file at" in output
    code, output = run("import", "roster.csv", "--kind", "roster", "--source", "x")
    assert code == 1 and "a roster file has fixed columns" in output


def test_version() -> None:
    assert run("--version") == (0, "kinfold 0.1.0")


def test_import_a_named_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    cover = workbook.active
    assert cover is not None
    cover.append(["Summary"])
    claims = workbook.create_sheet("Claims")
    claims.append(["source_ref", "item_type", "received_at", "last_name"])
    claims.append(["C1", "Claim", "2026-11-01", "Lee"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    folder = str(tmp_path / "team")
    run("init", folder)
    code, output = run("import", str(path), "--source", "s", "--sheet", "Claims", "-w", folder)
    assert code == 0, output
    assert "sheet 'Claims'" in output and "new 1" in output
    code, output = run("import", str(path), "--source", "s", "--sheet", "Nope", "-w", folder)
    assert code == 1 and "no sheet called 'Nope'" in output
