"""The store: migrations build exactly the schema the code expects, on both databases;
statements stay bounded; many events are stored as one at a time would be."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from kinfold import clock
from kinfold.store import events, schema
from kinfold.store.database import BATCH, batches, migrate, normalise_url
from kinfold.store.schema import metadata
from kinfold.workspace import Workspace

SOURCE = Path(__file__).parents[2] / "src" / "kinfold"


def test_migrations_match_the_schema(workspace: Workspace) -> None:
    with workspace.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_migrating_twice_changes_nothing(workspace: Workspace) -> None:
    before = sorted(inspect(workspace.engine).get_table_names())
    migrate(workspace.engine)
    assert sorted(inspect(workspace.engine).get_table_names()) == before
    assert {"items", "events", "imports", "quarantine", "workers", "roster"} <= set(before)


def test_postgres_urls_use_psycopg() -> None:
    assert normalise_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_batches_bound_every_list_of_values() -> None:
    assert [len(batch) for batch in batches(range(1201))] == [BATCH, BATCH, 201]
    assert list(batches([])) == []


def test_no_statement_binds_an_unbounded_list_of_values() -> None:
    """Every `.in_(...)` takes a subquery, a fixed list, or one batch of `batches(...)`;
    no SQL string writes a list of values into `IN (...)`."""
    unbounded = [f"{path.relative_to(SOURCE)}:{line}" for path in sorted(SOURCE.rglob("*.py"))
                 for line in unbounded_lists(path.read_text(encoding="utf-8"))]  # fmt: skip
    assert unbounded == []


def test_the_scan_finds_unbounded_lists() -> None:
    found = unbounded_lists(
        "def f(conn, ids, wanted):\n"
        "    conn.execute(select(t).where(t.c.id.in_(ids)))\n"
        "    conn.execute(text(f'SELECT 1 FROM t WHERE id IN ({listed})'))\n"
        "    for batch in batches(ids):\n"
        "        conn.execute(select(t).where(t.c.id.in_(batch)))\n"
        "    conn.execute(select(t).where(t.c.id.not_in(select(u.c.id))))\n"
        "    conn.execute(select(t).where(t.c.kind.in_(('a', 'b'))))\n"
        "    conn.execute(select(t).where(t.c.kind.in_(KINDS)))\n"
        "    conn.execute(select(t).where(t.c.id.in_(select(u.c.id).where(u.c.x == 1))))\n"
        "    conn.execute(select(t).where(t.c.id.in_(sorted(ids))))\n"
    )
    assert found == [2, 3, 10]


def unbounded_lists(source: str) -> list[int]:
    """The lines of `source` that bind an unbounded list of values in one statement."""
    tree = ast.parse(source)
    batched = {node.target.id for node in ast.walk(tree)
               if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
               and isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name)
               and node.iter.func.id == "batches"}  # fmt: skip
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("in_", "not_in") and node.args
                and not _bounded(node.args[0], batched)):  # fmt: skip
            lines.append(node.lineno)
        if isinstance(node, ast.JoinedStr) and any(
            isinstance(text, ast.Constant)
            and re.search(r"\bIN \($", str(text.value))
            and isinstance(value, ast.FormattedValue)
            for text, value in pairwise(node.values)
        ):  # a list of values written into the SQL
            lines.append(node.lineno)
    return sorted(set(lines))


def _bounded(argument: ast.expr, batched: set[str]) -> bool:
    """A subquery, a list written out, a constant, or a batch."""
    while isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute):
        argument = argument.func.value  # select(...).where(...): back to select(...)
    if isinstance(argument, ast.Call):
        return isinstance(argument.func, ast.Name) and argument.func.id == "select"
    if isinstance(argument, ast.Tuple | ast.List | ast.Set):
        return all(isinstance(element, ast.Constant) for element in argument.elts)
    if isinstance(argument, ast.Name):
        return argument.id.isupper() or argument.id in batched
    return False


def test_many_events_are_stored_as_one_at_a_time_would_be(workspace: Workspace) -> None:
    """`record_many` hands SQLite's driver the values SQLAlchemy would make of them."""
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)

    def rows(key: str) -> list[dict[str, Any]]:
        return [events.event_row(
            actor="W1", action="Check", entity_type="item", entity_id=n, started_at=at,
            completed_at=at + timedelta(hours=2, microseconds=5), recorded_at=at,
            after={"name": "Zoë"} if n else None, event_key=f"{key}{n}",
        ) | {"lifecycle": "complete"} for n in range(3)]  # fmt: skip

    with workspace.engine.begin() as conn:
        events.record_many(conn, rows("many"))
        conn.execute(insert(schema.events), rows("one"))  # SQLAlchemy's own statement
        stored = conn.execute(select(schema.events).order_by(schema.events.c.id)).all()
    kept = [row._asdict() for row in stored]
    for row in kept:
        del row["id"], row["event_key"]
    assert kept[:3] == kept[3:] and len(kept) == 6
    assert clock.as_utc(stored[0].completed_at) == at + timedelta(hours=2, microseconds=5)
    assert json.loads(stored[1].after) == {"name": "Zoë"} and stored[0].after is None
