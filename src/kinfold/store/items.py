"""Items, imports and quarantine: what the importer reads and writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, case, func, insert, select, update

from kinfold import clock
from kinfold.store.database import in_batches, insert_rows
from kinfold.store.schema import imports, items, quarantine


class KnownItem(NamedTuple):
    id: int
    row_hash: str


def start_import(
    conn: Connection,
    *,
    kind: str,
    source: str,
    file_name: str,
    file_sha256: str,
    actor: str,
    started_at: datetime,
) -> int:
    result = conn.execute(
        insert(imports).values(
            kind=kind,
            source=source,
            file_name=file_name,
            file_sha256=file_sha256,
            actor=actor,
            started_at=started_at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_import(
    conn: Connection, import_id: int, counts: dict[str, int], finished_at: datetime
) -> None:
    conn.execute(
        update(imports)
        .where(imports.c.id == import_id)
        .values(finished_at=finished_at, **{f"rows_{name}": n for name, n in counts.items()})
    )


def known_items(conn: Connection, source: str) -> dict[str, KnownItem]:
    query = select(items.c.source_ref, items.c.id, items.c.row_hash).where(items.c.source == source)
    return {ref: KnownItem(item_id, digest) for ref, item_id, digest in conn.execute(query)}


# The columns of a new item, in the order `ItemEncoder` gives their values.
# what an import writes: resolve sets who each item is about
INSERT_COLUMNS = tuple(
    column.name
    for column in items.columns
    if column.name not in ("id", "person_id", "household_id", "case_id", "erased_at")
)


class ItemEncoder:
    """Turns a new item into the values the database driver takes, in INSERT_COLUMNS order.

    Made in the importer and applied where items are built (possibly another process), so
    the importer's own process only hands finished rows to the driver: on SQLite, a
    million-row import would otherwise spend a third of its time on per-row parameter
    processing. Times go to SQLite as SQLAlchemy's DateTime stores them.
    """

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        positions = {name: index for index, name in enumerate(INSERT_COLUMNS)}
        self.moments = [positions[name] for name in ("received_at", "due_at", "closed_at")]
        self.stored: dict[datetime, str] = {}  # backlogs repeat their dates: format each once

    def __call__(self, item: dict[str, Any]) -> tuple[Any, ...]:
        values = [item[name] for name in INSERT_COLUMNS]
        if self.dialect == "sqlite":
            for index in self.moments:
                moment = values[index]
                if moment is not None:
                    text = self.stored.get(moment)
                    if text is None:
                        if len(self.stored) > 100_000:
                            self.stored.clear()
                        text = self.stored[moment] = sqlite_datetime(moment)
                    values[index] = text
        return tuple(values)


def insert_items(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Add new items, given as ItemEncoder made them for this connection's database."""
    insert_rows(conn, items, INSERT_COLUMNS, rows)


def sqlite_datetime(moment: datetime) -> str:
    """A UTC time as SQLAlchemy's SQLite DateTime stores it: `2026-11-01 09:30:00.000000`."""
    return clock.as_utc(moment).replace(tzinfo=None).isoformat(" ", "microseconds")


def set_row_hash(conn: Connection, item_id: int, digest: str) -> None:
    conn.execute(update(items).where(items.c.id == item_id).values(row_hash=digest))


def fetch_items(conn: Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    return {row.id: row._asdict() for row in in_batches(conn, select(items), items.c.id, ids)}


def update_items(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Replace the content of items by id (`item_id` in each row)."""
    if not rows:
        return
    names = [name for name in rows[0] if name != "item_id"]
    statement = (
        update(items)
        .where(items.c.id == bindparam("item_id"))
        .values({name: bindparam(name) for name in names})
    )
    conn.execute(statement, list(rows))


class QuarantineWriter:
    """Adds quarantine records, skipping any already held (the same row of the same file
    content, quarantined by an earlier import), so re-importing adds nothing."""

    def __init__(self, conn: Connection, kind: str, source: str) -> None:
        self.conn = conn
        query = select(quarantine.c.row_hash, quarantine.c.row_number).where(
            quarantine.c.kind == kind, quarantine.c.source == source
        )
        self.held = {(digest, number) for digest, number in conn.execute(query)}

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        fresh = []
        for row in rows:
            key = (row["row_hash"], row["row_number"])
            if key not in self.held:
                self.held.add(key)
                fresh.append(row)
        if fresh:
            self.conn.execute(insert(quarantine), fresh)


def quarantined(conn: Connection, source: str | None = None, limit: int = 1000) -> list[Any]:
    query = select(quarantine).order_by(quarantine.c.id).limit(limit)
    if source is not None:
        query = query.where(quarantine.c.source == source)
    return list(conn.execute(query))


def quarantine_count(conn: Connection, source: str | None = None) -> int:
    query = select(func.count()).select_from(quarantine)
    if source is not None:
        query = query.where(quarantine.c.source == source)
    return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class SourceCounts:
    source: str
    items: int
    open: int
    closed: int
    last_import_at: datetime | None
    last_file: str | None


def counts_by_source(conn: Connection) -> list[SourceCounts]:
    """Items per source, open and closed, and the last finished import of each."""
    totals = select(
        items.c.source,
        func.count().label("items"),
        func.sum(case((items.c.status == "open", 1), else_=0)).label("open"),
        func.sum(case((items.c.status == "closed", 1), else_=0)).label("closed"),
    ).group_by(items.c.source)
    counted = {row.source: row for row in conn.execute(totals)}
    last = (
        select(imports.c.source, imports.c.finished_at, imports.c.file_name)
        .where(imports.c.kind == "items", imports.c.finished_at.is_not(None))
        .order_by(imports.c.finished_at)
    )
    latest = {row.source: row for row in conn.execute(last)}
    result = []
    for source in sorted(set(counted) | set(latest)):
        row = counted.get(source)
        imported = latest.get(source)
        result.append(
            SourceCounts(
                source=source,
                items=int(row.items) if row else 0,
                open=int(row.open or 0) if row else 0,
                closed=int(row.closed or 0) if row else 0,
                last_import_at=imported.finished_at if imported else None,
                last_file=imported.file_name if imported else None,
            )
        )
    return result
