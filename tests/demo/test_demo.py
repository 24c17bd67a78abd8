"""The demo backlog: realistic in size and shape, carrying the hard cases of real records,
reproducible from its seed, and loadable as a workspace on either database."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from kinfold.demo import load_demo
from kinfold.demo.files import DemoSummary, generate_demo
from kinfold.demo.names import NICKNAMES
from kinfold.ingest.importer import ImportResult
from kinfold.store.schema import events, items, quarantine, roster, workers
from tests.conftest import DEMO_DAY


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def all_records(folder: Path) -> list[dict[str, Any]]:
    """Every item of the three sources, in one shape: source, ref, first, last, dob, address."""
    records = [
        {"source": "benefits", "ref": row["source_ref"], "first": row["first_name"],
         "last": row["last_name"], "dob": row["date_of_birth"], "address": row["address_line_1"],
         "postcode": row["postcode"]}
        for row in read_csv(folder / "benefits.csv")
    ]  # fmt: skip
    workbook = openpyxl.load_workbook(folder / "revenues.xlsx", read_only=True)
    sheet_rows = list(workbook["Accounts"].iter_rows(values_only=True))
    workbook.close()
    header = list(sheet_rows[0])
    for values in sheet_rows[1:]:
        row = dict(zip(header, values, strict=False))
        last, _, first = str(row["Customer Name"]).partition(", ")
        records.append(
            {"source": "revenues", "ref": row["Account Ref"], "first": first, "last": last.title(),
             "dob": row["DOB"], "address": row["Address 1"], "postcode": row["Post Code"]}
        )  # fmt: skip
    for row in json.loads((folder / "housing.json").read_text(encoding="utf-8"))["records"]:
        records.append(
            {"source": "housing", "ref": row["caseNumber"], "first": row["applicant"]["forename"],
             "last": row["applicant"]["surname"], "dob": row["applicant"]["dob"],
             "address": row["address"]["line1"], "postcode": row["address"]["postcode"]}
        )  # fmt: skip
    return records


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("full"), households=1_500, seed=7, today=DEMO_DAY)


def test_size_and_shape(full_demo: DemoSummary) -> None:
    assert 5_400 <= full_demo.total_items <= 6_600  # "1,500 households: roughly 6,000 items"
    assert set(full_demo.items) == {"benefits", "revenues", "housing"}
    assert 20 <= full_demo.workers <= 30
    truth = read_csv(full_demo.out / "truth.csv")
    assert len(truth) == full_demo.total_items
    assert len({(row["source"], row["source_ref"]) for row in truth}) == len(truth)
    per_household = Counter(row["household_id"] for row in truth)
    assert len(per_household) <= 1_500
    assert max(per_household.values()) >= 25  # a few households hold many items
    assert sorted(per_household.values())[len(per_household) // 2] <= 3


def test_the_hard_cases_of_real_records_are_there(full_demo: DemoSummary) -> None:
    truth = {
        (row["source"], row["source_ref"]): row for row in read_csv(full_demo.out / "truth.csv")
    }
    records = all_records(full_demo.out)
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_person[truth[(record["source"], record["ref"])]["person_id"]].append(record)

    nicknamed = typos = swapped = several_systems = 0
    for seen in by_person.values():
        firsts = {record["first"] for record in seen if record["first"]}
        lasts = {record["last"] for record in seen}
        if any(NICKNAMES.get(a) and b in NICKNAMES[a] for a in firsts for b in firsts):
            nicknamed += 1
        if len(lasts) > 1:
            typos += 1
        if any(record["first"] in lasts for record in seen):
            swapped += 1
        if len({record["source"] for record in seen}) > 1:
            several_systems += 1
    assert nicknamed >= 20 and typos >= 20 and swapped >= 3 and several_systems >= 300

    missing_dob = sum(1 for record in records if not record["dob"])
    assert missing_dob >= 300
    addresses = [str(record["address"]) for record in records]
    assert any(" Rd" in line for line in addresses) and any(" Road" in line for line in addresses)
    assert any(line.startswith("Flat ") and ", " in line for line in addresses)
    assert any("/" in line.split(" ")[0] for line in addresses)
    postcodes = [str(record["postcode"]) for record in records if record["postcode"]]
    assert any(" " not in code for code in postcodes) and any(code.islower() for code in postcodes)

    people = read_people(full_demo, truth, records)
    twins = same_named = 0
    for members in people.values():
        births = Counter(dob for _, _, dob in members.values() if dob)
        twins += any(count > 1 for count in births.values())
        names = Counter((first, last) for first, last, _ in members.values())
        same_named += any(count > 1 for count in names.values())
    assert twins >= 5 and same_named >= 3
    smiths = {
        truth[(r["source"], r["ref"])]["household_id"] for r in records if r["last"] == "Smith"
    }
    assert len(smiths) >= 20  # a common surname across many different households


def read_people(
    demo: DemoSummary, truth: dict[tuple[str, str], dict[str, str]], records: list[dict[str, Any]]
) -> dict[str, dict[str, tuple[str, str, str]]]:
    """household -> person -> the (first, last, dob) most often recorded for them."""
    seen: dict[str, Counter[tuple[str, str, str]]] = defaultdict(Counter)
    household_of: dict[str, str] = {}
    for record in records:
        row = truth[(record["source"], record["ref"])]
        if record["dob"]:
            dob = str(record["dob"])
            if "/" in dob:
                day, month, year = dob.split("/")
                dob = f"{year}-{month}-{day}"
            seen[row["person_id"]][(record["first"], record["last"], dob)] += 1
        household_of[row["person_id"]] = row["household_id"]
    households: dict[str, dict[str, tuple[str, str, str]]] = defaultdict(dict)
    for person, versions in seen.items():
        households[household_of[person]][person] = versions.most_common(1)[0][0]
    return households


def test_the_same_seed_gives_the_same_backlog(tmp_path: Path) -> None:
    one = generate_demo(tmp_path / "one", households=120, seed=5, today=date(2026, 3, 2))
    two = generate_demo(tmp_path / "two", households=120, seed=5, today=date(2026, 3, 2))
    other = generate_demo(tmp_path / "three", households=120, seed=6, today=date(2026, 3, 2))
    for name in ("benefits.csv", "housing.json", "truth.csv", "events.csv", "roster.csv", "qa.csv"):
        assert (one.out / name).read_bytes() == (two.out / name).read_bytes(), name
    assert (one.out / "benefits.csv").read_bytes() != (other.out / "benefits.csv").read_bytes()


def test_the_demo_loads_as_a_workspace(
    backend: str, demo_files: DemoSummary, tmp_path: Path
) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    for path in demo_files.out.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    imported: list[ImportResult] = []
    workspace = load_demo(folder, on_import=imported.append)
    try:
        with workspace.engine.connect() as conn:
            stored: dict[str, int] = dict(
                conn.execute(select(items.c.source, func.count()).group_by(items.c.source)).all()
            )
            held = conn.execute(
                select(func.count()).select_from(quarantine).where(quarantine.c.kind == "items")
            ).scalar_one()
            staff = conn.execute(select(func.count()).select_from(workers)).scalar_one()
            days = conn.execute(select(func.count()).select_from(roster)).scalar_one()
            closed = conn.execute(
                select(
                    func.count(),
                    func.count(items.c.closed_at),
                    func.count().filter(items.c.issues.contains("closed_at")),
                ).where(items.c.status == "closed")
            ).one()
            work = conn.execute(
                select(func.count())
                .select_from(events)
                .where(events.c.started_at.is_not(None), events.c.entity_type == "item")
            ).scalar_one()
    finally:
        workspace.close()
    for result in imported:
        assert result.read == result.new + result.quarantined, result
    assert sum(stored.values()) + held == demo_files.total_items
    assert held <= demo_files.total_items * 0.01
    assert staff == demo_files.workers and days > 0
    assert closed[0] > 100 and tuple(closed) == (closed[0], closed[0], 0)  # each has its date
    by_kind = {result.kind: result for result in imported}
    assert (
        work == by_kind["events"].new
        and by_kind["events"].new + by_kind["events"].quarantined == demo_files.events
    )


def test_loading_the_demo_again_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, demo_files: DemoSummary, tmp_path: Path
) -> None:
    monkeypatch.delenv("KINFOLD_DATABASE_URL", raising=False)
    folder = tmp_path / "demo"
    folder.mkdir()
    for path in demo_files.out.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    load_demo(folder).close()
    again: list[ImportResult] = []
    load_demo(folder, on_import=again.append).close()
    assert [result.kind for result in again] == [
        "items", "items", "items", "workers", "skills", "roster", "events", "qa",
    ]  # fmt: skip
    for result in again:
        assert (result.new, result.updated) == (0, 0), result
        assert result.unchanged + result.quarantined == result.read > 0
