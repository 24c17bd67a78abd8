"""Write the demo backlog as the files a council would really be handed.

Three source systems with their own layouts (a canonical CSV, an XLSX workbook with its
own column names and date format, a JSON export) and the mapping files that read them;
the roster, skills and work history of the team; and the truth: the real person and
household behind every item, for measuring linkage.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from kinfold import clock
from kinfold.demo.population import PopulationMaker
from kinfold.demo.records import DemoItem, RecordMaker
from kinfold.demo.workforce import (
    SHRINKAGE,
    HistoryMaker,
    QaCheck,
    WorkEvent,
    make_roster,
    make_workers,
)
from kinfold.ingest.fields import CANONICAL

REVENUES_COLUMNS = (
    "Account Ref", "Case Type", "Date Received", "Target Date", "Stage", "Date Closed",
    "Customer Name",
    "DOB", "Address 1", "Address 2", "Address 3", "Town", "Post Code", "UPRN", "Tel",
    "Risk Indicators", "Officer Notes",
)  # fmt: skip
REVENUES_CODES = {
    "eviction_notice": "EVICT", "homeless": "HMLS", "domestic_abuse": "DA",
    "child_under_5": "U5", "over_75": "O75", "disabled": "DIS", "mental_health": "MH",
    "lives_alone": "ALONE", "carer": "CARER", "no_income": "NOINC",
    "utilities_disconnected": "DISCON", "language_barrier": "LANG",
    "digital_exclusion": "NODIG", "safeguarding_concern": "SAFEG", "pregnant": "PREG",
    "care_leaver": "CL", "self_harm_risk": "SHR", "no_food": "NOFOOD",
    "no_heating": "NOHEAT", "hospital_discharge": "HOSP",
}  # fmt: skip
HOUSING_LABELS = {
    "eviction_notice": "Section 21 notice",
    "domestic_abuse": "Fleeing DV",
    "child_under_5": "Under 5s in household",
}
HOUSING_STATES = {"open": "OPEN", "closed": "CLOSED"}

REVENUES_MAPPING = (
    """\
# The revenues system's workbook: its own column names, UK dates, "SMITH, John" names.
source: revenues
sheet: Accounts
date_format: "%d/%m/%Y"
fields:
  source_ref: Account Ref
  item_type: Case Type
  received_at: Date Received
  due_at: Target Date
  status:
    column: Stage
    values: {Live: open, Arrangement: open, Closed: closed}
  closed_at: {column: Date Closed, format: "%d/%m/%Y %H:%M"}
  full_name: Customer Name
  date_of_birth: DOB
  address_line_1: Address 1
  address_line_2: Address 2
  address_line_3: Address 3
  town: Town
  postcode: Post Code
  uprn: UPRN
  phone: Tel
  flags:
    column: Risk Indicators
    split: ","
    values:
"""
    + "".join(f"      {code}: {flag}\n" for flag, code in REVENUES_CODES.items())
    + """\
  notes: Officer Notes
  need: {value: income}
"""
)

HOUSING_MAPPING = (
    """\
# The housing system's JSON export: records nested under "records".
source: housing
records: records
fields:
  source_ref: caseNumber
  item_type: category
  received_at: opened
  due_at: deadline
  status:
    column: state
    values: {OPEN: open, PENDING_REVIEW: open, CLOSED: closed}
  closed_at: closed
  first_name: applicant.forename
  last_name: applicant.surname
  date_of_birth: applicant.dob
  address_line_1: address.line1
  address_line_2: address.line2
  town: address.town
  postcode: address.postcode
  uprn: address.uprn
  phone: contact.phone
  email: contact.email
  gp_practice: gpPractice
  school: school
  flags:
    column: vulnerabilities
    values:
"""
    + "".join(f"      {label}: {flag}\n" for flag, label in HOUSING_LABELS.items())
    + """\
  notes: caseNotes
  need: {value: housing}
"""
)


@dataclass
class DemoSummary:
    out: Path
    households: int
    people: int
    items: dict[str, int] = field(default_factory=dict)
    workers: int = 0
    events: int = 0
    qa_checks: int = 0

    @property
    def total_items(self) -> int:
        return sum(self.items.values())


def demo_items(households: int, seed: int, today: date) -> Iterator[DemoItem]:
    """Every item of the demo backlog, one household at a time."""
    rng = random.Random(seed)
    population = PopulationMaker(rng, today)
    records = RecordMaker(rng, today)
    for household in population.households(households):
        yield from records.items(household)


def generate_demo(
    out: Path, households: int = 1_500, seed: int = 7, today: date | None = None
) -> DemoSummary:
    """Write the demo backlog, workforce and truth into `out` (created if needed)."""
    today = today or clock.now().date()
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + 1)
    workers = make_workers(rng)
    roster = make_roster(rng, workers, today)
    history = HistoryMaker(rng, workers, roster, today)
    summary = DemoSummary(out=out, households=households, people=0)
    population = PopulationMaker(random.Random(seed), today)
    records = RecordMaker(population.rng, today)
    with (
        _CsvOut(out / "benefits.csv", CANONICAL) as benefits,
        _CsvOut(out / "truth.csv", ("source", "source_ref", "person_id", "household_id")) as truth,
        _CsvOut(out / "events.csv", EVENT_COLUMNS) as events,
        _CsvOut(out / "qa.csv", QA_COLUMNS) as qa,
        _XlsxOut(out / "revenues.xlsx", "Accounts", REVENUES_COLUMNS) as revenues,
        _JsonOut(out / "housing.json", today) as housing,
    ):
        for household in population.households(households):
            for item in records.items(household):
                worked = list(history.events(item))
                for happened in worked:
                    if isinstance(happened, WorkEvent):
                        events.write(event_row(happened))
                        summary.events += 1
                    else:
                        qa.write(qa_row(happened))
                        summary.qa_checks += 1
                if item.status == "closed":
                    item.closed_at = _completed_at(item, worked, today)
                summary.items[item.source] = summary.items.get(item.source, 0) + 1
                if item.source == "benefits":
                    benefits.write(canonical_row(item))
                elif item.source == "revenues":
                    revenues.write(revenues_row(item))
                else:
                    housing.write(housing_record(item))
                truth.write([item.source, item.source_ref, item.person_id, item.household_id])
    summary.people = population.people
    summary.workers = len(workers)
    _write_workforce(out, workers, roster)
    (out / "revenues.yaml").write_text(REVENUES_MAPPING, encoding="utf-8")
    (out / "housing.yaml").write_text(HOUSING_MAPPING, encoding="utf-8")
    return summary


def _completed_at(item: DemoItem, worked: list[WorkEvent | QaCheck], today: date) -> datetime:
    """The end of the item's last piece of work; closed in the source system on its due
    date (or this morning, if that is still to come) when no work is on record."""
    done = [event.completed_at for event in worked if isinstance(event, WorkEvent)]
    if done:
        return max(done)
    return max(item.received_at, min(item.due_at, datetime.combine(today, time(9))))


def canonical_row(item: DemoItem, source: str | None = None) -> list[Any]:
    lines = [*item.address_lines, "", "", ""][:3]
    return [
        source or item.source, item.source_ref, item.item_type, item.need,
        _minutes(item.received_at), item.due_at.date().isoformat(),
        item.status, _minutes(item.closed_at), item.first_name, item.last_name, None,
        item.date_of_birth, *lines, item.town, item.postcode, item.uprn, item.phone, item.email,
        item.ni_number, None, item.school, item.gp_practice, ";".join(item.flags), item.notes,
    ]  # fmt: skip


def revenues_row(item: DemoItem) -> list[Any]:
    surname = (item.last_name or "").upper()
    name = f"{surname}, {item.first_name}" if item.first_name else surname
    lines = [*item.address_lines, "", "", ""][:3]
    codes = [REVENUES_CODES.get(flag, flag.upper()) for flag in item.flags]
    stage = (
        "Closed"
        if item.status == "closed"
        else ("Arrangement" if "arrangement" in item.item_type else "Live")
    )
    return [
        item.source_ref, item.item_type, _uk_date(item.received_at.date().isoformat()),
        _uk_date(item.due_at.date().isoformat()), stage,
        item.closed_at.strftime("%d/%m/%Y %H:%M") if item.closed_at else None, name,
        _uk_date(item.date_of_birth),
        *lines, item.town, item.postcode, item.uprn, item.phone, ", ".join(codes), item.notes,
    ]  # fmt: skip


def housing_record(item: DemoItem) -> dict[str, Any]:
    lines = [*item.address_lines, "", ""]
    record: dict[str, Any] = {
        "caseNumber": item.source_ref,
        "category": item.item_type,
        "opened": item.received_at.isoformat(),
        "deadline": item.due_at.date().isoformat(),
        "state": HOUSING_STATES[item.status],
        "closed": item.closed_at.isoformat() if item.closed_at else None,
        "applicant": {
            "forename": item.first_name,
            "surname": item.last_name,
            "dob": item.date_of_birth,
        },
        "address": {
            "line1": lines[0],
            "line2": ", ".join(line for line in lines[1:] if line) or None,
            "town": item.town,
            "postcode": item.postcode,
            "uprn": int(item.uprn) if item.uprn else None,
        },
        "contact": {"phone": item.phone, "email": item.email},
        "vulnerabilities": [
            HOUSING_LABELS.get(flag, flag.replace("_", " ").capitalize()) for flag in item.flags
        ],
        "gpPractice": item.gp_practice,
        "school": item.school,
        "caseNotes": item.notes,
    }
    return record


EVENT_COLUMNS = (
    "source",
    "source_ref",
    "activity",
    "worker_ref",
    "started_at",
    "completed_at",
    "outcome",
)
QA_COLUMNS = (
    "source",
    "source_ref",
    "worker_ref",
    "checked_by",
    "checked_at",
    "passed",
    "score",
    "reason",
)


def event_row(event: WorkEvent) -> list[Any]:
    return [
        event.source, event.source_ref, event.activity, event.worker_ref,
        event.started_at.isoformat(sep=" "), event.completed_at.isoformat(sep=" "), event.outcome,
    ]  # fmt: skip


def qa_row(check: QaCheck) -> list[Any]:
    return [
        check.source, check.source_ref, check.worker_ref, check.checked_by,
        check.checked_at.isoformat(sep=" "), "pass" if check.passed else "fail", check.score,
        check.reason,
    ]  # fmt: skip


def _write_workforce(out: Path, workers: list[Any], roster: list[Any]) -> None:
    with _CsvOut(
        out / "workers.csv", ("worker_ref", "name", "team", "hours_per_week", "cost_per_hour")
    ) as file:
        for worker in workers:
            file.write(
                [
                    worker.worker_ref,
                    worker.name,
                    worker.team,
                    worker.hours_per_week,
                    worker.cost_per_hour,
                ]
            )
    with _CsvOut(out / "skills.csv", ("worker_ref", "item_type", "level")) as file:
        for worker in workers:
            for item_type, level in worker.skills.items():
                file.write([worker.worker_ref, item_type, level])
    columns = ("worker_ref", "date", "paid_hours", *(f"{name}_hours" for name in SHRINKAGE))
    with _CsvOut(out / "roster.csv", columns) as file:
        for entry in roster:
            hours = [entry.shrinkage.get(name, 0) for name in SHRINKAGE]
            file.write([entry.worker_ref, entry.day.isoformat(), entry.paid_hours, *hours])


def _minutes(moment: datetime | None) -> str | None:
    return moment.isoformat(sep=" ", timespec="minutes") if moment else None


def _uk_date(iso: str | None) -> str | None:
    if not iso:
        return None
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


class _CsvOut:
    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(columns)

    def write(self, row: list[Any]) -> None:
        self.writer.writerow(row)

    def __enter__(self) -> _CsvOut:
        return self

    def __exit__(self, *_: object) -> None:
        self.handle.close()


class _XlsxOut:
    def __init__(self, path: Path, sheet: str, columns: tuple[str, ...]) -> None:
        import openpyxl

        self.path = path
        self.workbook = openpyxl.Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(sheet)
        self.sheet.append(list(columns))

    def write(self, row: list[Any]) -> None:
        self.sheet.append(row)

    def __enter__(self) -> _XlsxOut:
        return self

    def __exit__(self, *_: object) -> None:
        self.workbook.save(self.path)


class _JsonOut:
    """A JSON export written record by record: {"export": {...}, "records": [...]}."""

    def __init__(self, path: Path, exported_on: date) -> None:
        self.handle = path.open("w", encoding="utf-8")
        header = {"system": "Housing case system", "exported_at": f"{exported_on}T18:00:00"}
        self.handle.write('{"export": ' + json.dumps(header) + ', "records": [\n')
        self.first = True

    def write(self, record: dict[str, Any]) -> None:
        self.handle.write(("" if self.first else ",\n") + json.dumps(record, ensure_ascii=False))
        self.first = False

    def __enter__(self) -> _JsonOut:
        return self

    def __exit__(self, *_: object) -> None:
        self.handle.write("\n]}\n")
        self.handle.close()
