"""Linking an import into a resolved workspace, however big: every statement binds a
bounded number of values, and the new items find the people they are about."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from kinfold.intake import import_and_place
from kinfold.store.database import BATCH
from kinfold.store.schema import items
from kinfold.workspace import Workspace

COPIES = ("late1", "late2", "late3")


class MostBound:
    """The most values any one statement (or one row of an executemany) binds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.most = 0

    def __enter__(self) -> MostBound:
        event.listen(self.engine, "before_cursor_execute", self.seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self.seen)

    def seen(self, _conn: Any, _cursor: Any, _sql: str, parameters: Any, _context: Any,
             executemany: bool) -> None:  # fmt: skip
        one = parameters[0] if executemany and parameters else parameters
        self.most = max(self.most, len(one or ()))


@pytest.fixture
def three_copies(resolved_demo: Workspace, tmp_path: Path) -> Path:
    """The demo's benefits items three times over, as three new sources in one file:
    more new items than one statement may bind."""
    with (resolved_demo.path / "benefits.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    path = tmp_path / "copies.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for source in COPIES:
            writer.writerows({**row, "source": source} for row in rows)
    assert len(rows) * len(COPIES) > BATCH
    return path


def test_an_import_bigger_than_a_statement_is_placed_with_its_people(
    resolved_demo: Workspace, three_copies: Path
) -> None:
    engine = resolved_demo.engine
    with MostBound(engine) as bound:
        intake = import_and_place(engine, resolved_demo.settings, three_copies, actor="test")
    assert bound.most <= BATCH
    assert intake.linked is not None
    query = select(items.c.source, items.c.source_ref, items.c.person_id, items.c.case_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    person = {(source, ref): person for source, ref, person, _ in rows}
    copies = [(source, ref) for source, ref, _, _ in rows if source in COPIES]
    assert intake.linked.items == len(copies) == 3 * sum(s == "benefits" for s, *_ in rows)
    assert all(case is not None for *_, case in rows)  # every item is in a case
    same = sum(person[key] == person[("benefits", key[1])] for key in copies)
    assert same / len(copies) >= 0.95  # a copy is about the person its original is about
