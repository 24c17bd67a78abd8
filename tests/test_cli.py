"""The command line: each command reads back what it wrote, and errors never show a traceback."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kinfold import clock
from kinfold.cli import app
from kinfold.demo.accounts import TEAM
from kinfold.store.schema import events
from kinfold.workspace import open_workspace
from tests.conftest import DEMO_DAY, write


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


def demo(out: Path, households: int, seed: int) -> tuple[int, str]:
    """`kinfold demo --load` as of the tests' demo day: the same data whenever it runs."""
    return run("demo", "--out", str(out), "--households", str(households), "--seed", str(seed),
               "--as-of", DEMO_DAY.isoformat(), "--load")  # fmt: skip


def test_demo_with_load(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, output = demo(out, 60, 3)
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


def test_fold_writes_people_households_and_cases(tmp_path: Path) -> None:
    claims = write(
        tmp_path / "claims.csv",
        "source_ref,item_type,received_at,first_name,last_name,date_of_birth,address_line_1,"
        "postcode\n"
        'C1,Claim,2026-11-01,Ann,Lee,1970-01-02,"Flat 2, 10 High St",LS6 2AB\n'
        "C2,Claim,2026-11-02,Ann,Lee,1970-01-02,2/10 High Street,ls62ab\n"
        'C3,Claim,2026-11-03,Bo,Lee,2001-05-06,"Flat 2, 10 High Street",LS6 2AB\n'
        'C4,Claim,2026-11-04,,=HYPERLINK("http://example.com"),,,\n',
    )
    out = tmp_path / "out"
    code, output = run("fold", str(claims), "--out", str(out))
    assert code == 0, output
    assert "4 items -> 3 people -> 2 households (2 cases)" in output
    with (out / "items.csv").open(encoding="utf-8") as handle:
        rows = {row["source_ref"]: row for row in csv.DictReader(handle)}
    assert rows["C1"]["person_id"] == rows["C2"]["person_id"] != rows["C3"]["person_id"]
    assert rows["C1"]["case_id"] == rows["C3"]["case_id"] != rows["C4"]["case_id"]
    assert rows["C4"]["household_id"] not in ("", rows["C1"]["household_id"])
    assert rows["C1"]["priority_rank"] != "" and rows["C1"]["priority_score"] != ""
    assert "oldest item" in rows["C1"]["priority_reasons"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    counts = ("items", "people", "households", "cases", "hotspots", "quarantined_rows")
    assert [summary[name] for name in counts] == [4, 3, 2, 2, 0, 0]
    with (out / "households.csv").open(encoding="utf-8") as handle:
        bases = {row["household_id"]: row["basis"] for row in csv.DictReader(handle)}
    assert bases == {
        rows["C1"]["household_id"]: "address",
        rows["C4"]["household_id"]: "no address",
    }
    with (out / "people.csv").open(encoding="utf-8") as handle:
        last_names = {row["last_name"] for row in csv.DictReader(handle)}
    assert '\'=HYPERLINK("http://example.com")' in last_names  # shown, never run
    for name in ("people.csv", "households.csv", "cases.csv", "hotspots.csv"):
        assert (out / name).read_text(encoding="utf-8").count("\n") >= 1


COMBINED = (
    "source,source_ref,item_type,received_at,first_name,last_name,date_of_birth,postcode\n"
    "benefits,1,Claim,2026-11-01,Ann,Lee,1970-01-02,LS6 2AB\n"
    "housing,1,Repair,2026-11-02,Ann,Lee,1970-01-02,LS6 2AB\n"
    "revenues,R-9,Arrears,2026-11-03,Bo,Ng,1990-03-04,LS7 1AA\n"
)


def test_fold_splits_a_file_by_its_source_column(tmp_path: Path) -> None:
    combined = write(tmp_path / "combined.csv", COMBINED)
    out = tmp_path / "out"
    code, output = run("fold", str(combined), "--out", str(out))
    assert code == 0, output
    assert "3 items -> 2 people" in output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["items"], summary["quarantined_rows"]) == (3, 0)
    with (out / "items.csv").open(encoding="utf-8") as handle:
        kept = sorted((row["source"], row["source_ref"]) for row in csv.DictReader(handle))
    assert kept == [("benefits", "1"), ("housing", "1"), ("revenues", "R-9")]


def test_import_splits_a_file_by_its_source_column_and_refuses_a_contrary_source(
    tmp_path: Path,
) -> None:
    folder = str(tmp_path / "team")
    run("init", folder)
    combined = write(tmp_path / "combined.csv", COMBINED)
    code, output = run("import", str(combined), "--source", "benefits", "-w", folder)
    assert code == 1
    assert (
        "--source is 'benefits', but its source column also names 'housing' (first at row 3)"
        in output
    )
    code, output = run("status", "-w", folder)
    assert "benefits" not in output
    code, output = run("import", str(combined), "-w", folder)
    assert code == 0, output
    for source in ("benefits", "housing", "revenues"):
        assert f"Imported combined.csv as items from '{source}'" in output
    assert output.count("read 1 · new 1 · updated 0 · unchanged 0 · quarantined 0") == 3
    code, output = run("import", str(combined), "-w", folder)
    assert output.count("read 1 · new 0 · updated 0 · unchanged 1 · quarantined 0") == 3


def test_fold_refuses_a_mapping_that_loses_the_names(tmp_path: Path) -> None:
    claims = write(tmp_path / "claims.csv", "Ref,Type,Date,Who\nC1,Claim,2026-11-01,Ann Lee\n")
    mapping = write(
        tmp_path / "m.yaml", "fields:\n  source_ref: Ref\n  item_type: Type\n  received_at: Date\n"
    )
    code, output = run(
        "fold", str(claims), "--out", str(tmp_path / "out"), "--mapping", str(mapping)
    )
    assert code == 1
    assert "no column gives a name" in output
    assert not (tmp_path / "out").exists()


def test_resolve_and_review_in_a_workspace(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert demo(out, 80, 5)[0] == 0
    code, output = run("resolve", "-w", str(out))
    assert code == 0, output
    assert "items ->" in output and "households" in output
    assert "open cases in order under priority rule version 1" in output
    code, output = run("review", "-w", str(out), "--limit", "1")
    assert code == 0
    assert viewed(out) == 1  # the people shown: the audit log says who looked, and when
    if "No links are waiting for review." not in output:
        link = output.split("Link ")[1].split(":")[0]
        code, decided = run("review", "split", link, "-w", str(out))
        assert code == 0 and "are different people" in decided
    code, output = run("review", "split", "999999", "-w", str(out))
    assert code == 1 and "There is no link 999999." in output


def viewed(folder: Path) -> int:
    """The views of the review queue in the workspace's audit log."""
    opened = open_workspace(folder)
    try:
        with opened.engine.connect() as conn:
            query = select(func.count()).where(events.c.action == "review.viewed")
            return int(conn.execute(query).scalar_one())
    finally:
        opened.close()


def test_the_priority_rule_is_shown_previewed_saved_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime.combine(DEMO_DAY, time(17), UTC))
    out = tmp_path / "demo"
    assert demo(out, 60, 3)[0] == 0
    assert run("resolve", "-w", str(out))[0] == 0
    code, shown = run("rule", "show", "-w", str(out))
    assert code == 0 and "risk flags:" in shown
    text = CliRunner().invoke(app, ["rule", "show", "-w", str(out)]).output
    bad = write(tmp_path / "bad.yaml", text.replace("at most: 30", "at most: plenty"))
    code, output = run("rule", "save", str(bad), "-w", str(out))
    assert code == 1 and "bad.yaml line" in output and "`at most` should be a number" in output
    good = write(tmp_path / "good.yaml", text.replace("overdue: 30", "overdue: 90"))
    code, output = run("rule", "preview", str(good), "-w", str(out))
    assert code == 0 and "would move" in output
    code, output = run("rule", "save", str(good), "--note", "overdue matters", "-w", str(out))
    assert code == 0 and "as version 2 of the priority rule" in output
    code, output = run("rule", "history", "-w", str(out))
    assert "overdue matters" in output and "Version 2 is in force." in output
    code, output = run("rule", "show", "--version", "1", "-w", str(out))
    assert "overdue: 30" in output
    code, output = run("prioritise", "--top", "3", "-w", str(out))
    assert code == 0 and "rule version 2" in output and "reasons" in output
    code, output = run("rule", "save", str(good), "--team", "Nowhere team", "-w", str(out))
    assert code == 1 and "There is no team 'Nowhere team'" in output and TEAM in output
    ours = write(tmp_path / "ours.yaml", text.replace("child under 5: 20", "child under 5: 200"))
    code, output = run("rule", "save", str(ours), "--team", TEAM, "--note", "children", "-w",
                       str(out))  # fmt: skip
    assert code == 0 and "as version 3 of the priority rule" in output
    code, output = run("rule", "history", "--team", TEAM, "-w", str(out))
    assert "children" in output and "overdue matters" not in output
    assert "child under 5: 200" in run("rule", "show", "--team", TEAM, "-w", str(out))[1]
    workspaces = run("rule", "show", "-w", str(out))[1]
    assert "child under 5: 20" in workspaces and "child under 5: 200" not in workspaces
    code, output = run("hotspots", "--kind", "household", "-w", str(out))
    assert code == 0 and "one household:" in output and "a household visit:" in output
    code, output = run("hotspots", "--kind", "street", "-w", str(out))
    assert code == 1 and "'street' is not a kind of hotspot" in output
