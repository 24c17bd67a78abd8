"""Import a file of items into a workspace: read, map, validate, quarantine, store.

An import is one transaction: it is wholly done or not done at all. Every row read is
counted once as new, updated, unchanged or quarantined. Re-importing the same file
changes nothing; a changed row updates its item and the change (before and after) is
written to the event log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.ingest.items import ITEM_FIELDS, Rejected, build_item, row_hash
from kinfold.ingest.mapping import Mapping, canonical_mapping, load_mapping
from kinfold.ingest.readers import SourceRow, SourceTable, read_table
from kinfold.store import events
from kinfold.store import items as store

BATCH = 5_000
RAW_CELL_LIMIT = 1_000  # characters of each cell kept in a quarantine record

Progress = Callable[[int], None]


@dataclass
class ImportResult:
    import_id: int
    source: str
    file_name: str
    kind: str = "items"
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows read, and what became of each: every row is counted exactly once."""
        return {
            "read": self.read,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
        }


def open_source(path: Path, mapping_path: Path | None = None) -> tuple[SourceTable, Mapping]:
    """Read a file's header and check the mapping against it, before anything is written."""
    spec = load_mapping(mapping_path) if mapping_path is not None else None
    table = read_table(
        path,
        sheet=spec.sheet if spec else None,
        records=spec.records if spec else None,
    )
    mapping = (spec or canonical_mapping(table.columns)).bind(table.columns, table.file_name)
    return table, mapping


def import_items(
    engine: Engine,
    path: Path,
    source: str | None = None,
    *,
    mapping_path: Path | None = None,
    actor: str = "import",
    progress: Progress | None = None,
    total: Callable[[int | None], None] | None = None,
) -> ImportResult:
    """Import the items of `path` from `source`; see the module's docstring."""
    table, mapping = open_source(path, mapping_path)
    source = (source or mapping.source or "").strip()
    if not source:
        raise KinfoldError(
            f"Which source system is {table.file_name} from?",
            "Name it with --source (for example --source benefits) or `source:` in the mapping.",
        )
    if total is not None:
        total(table.estimated_rows)
    with import_run(engine, "items", source, path, table, actor) as (conn, result):
        _Loader(conn, result, mapping, actor).load(table.rows, progress)
    return result


@contextmanager
def import_run(
    engine: Engine, kind: str, source: str, path: Path, table: SourceTable, actor: str
) -> Iterator[tuple[Connection, ImportResult]]:
    """One import as one transaction: its record, its rows, and its event in the log."""
    started = clock.now()
    with engine.begin() as conn:
        import_id = store.start_import(
            conn,
            kind=kind,
            source=source,
            file_name=table.file_name,
            file_sha256=file_digest(path),
            actor=actor,
            started_at=started,
        )
        result = ImportResult(import_id, source, table.file_name, kind, notes=list(table.notes))
        yield conn, result
        store.finish_import(conn, import_id, result.counts(), clock.now())
        events.record(
            conn,
            actor=actor,
            action="import",
            entity_type="import",
            entity_id=import_id,
            import_id=import_id,
            after={"kind": kind, "source": source, "file": table.file_name, **result.counts()},
            started_at=started,
            completed_at=clock.now(),
        )
    if result.read == 0:
        result.notes.append("the file has a header but no rows")


class _Loader:
    """Classifies and writes rows in batches, inside the import's transaction."""

    def __init__(self, conn: Connection, result: ImportResult, mapping: Mapping, actor: str):
        self.conn = conn
        self.result = result
        self.mapping = mapping
        self.actor = actor
        self.known = store.known_items(conn, result.source)
        self.quarantine = store.QuarantineWriter(conn, result.kind, result.source)
        self.seen: dict[str, int] = {}  # source_ref -> row number in this file

    def load(self, rows: Iterator[SourceRow], progress: Progress | None) -> None:
        batch: list[SourceRow] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._write(batch)
                if progress is not None:
                    progress(len(batch))
                batch = []
        self._write(batch)
        if progress is not None and batch:
            progress(len(batch))

    def _write(self, batch: list[SourceRow]) -> None:
        result = self.result
        new: list[dict[str, Any]] = []
        changed: dict[int, dict[str, Any]] = {}
        bad: list[dict[str, Any]] = []
        for row in batch:
            result.read += 1
            try:
                item = self._item(row)
            except Rejected as rejected:
                bad.append(quarantine_entry(result, row, rejected))
                continue
            ref = item["source_ref"]
            known = self.known.get(ref)
            if known is None:
                item.update(
                    source=result.source,
                    first_import_id=result.import_id,
                    last_import_id=result.import_id,
                )
                new.append(item)
                self.known[ref] = store.KnownItem(-1, item["row_hash"])
            elif known.row_hash == item["row_hash"]:
                result.unchanged += 1
            else:
                changed[known.id] = item
                self.known[ref] = store.KnownItem(known.id, item["row_hash"])
        store.insert_items(self.conn, new)
        result.new += len(new)
        self._update(changed)
        self.quarantine.add(bad)
        result.quarantined += len(bad)

    def _item(self, row: SourceRow) -> dict[str, Any]:
        if row.problem is not None:
            raise Rejected(row.problem.reason, row.problem.column)
        item = build_item(row.values, self.mapping, self.result.source)
        first = self.seen.setdefault(item["source_ref"], row.number)
        if first != row.number:
            raise Rejected(
                f"source_ref '{item['source_ref']}' appears again in this file "
                f"(first at row {first})",
                ", ".join(self.mapping.rules["source_ref"].columns),
            )
        return item

    def _update(self, changed: dict[int, dict[str, Any]]) -> None:
        if not changed:
            return
        before_rows = store.fetch_items(self.conn, changed)
        updates, logged = [], []
        for item_id, item in changed.items():
            before = before_rows[item_id]
            diff = [name for name in ITEM_FIELDS if _differs(before.get(name), item.get(name))]
            updates.append(
                {
                    **{name: item[name] for name in ITEM_FIELDS},
                    "row_hash": item["row_hash"],
                    "last_import_id": self.result.import_id,
                    "item_id": item_id,
                }
            )
            logged.append(
                events.event_row(
                    actor=self.actor,
                    action="item.updated",
                    entity_type="item",
                    entity_id=item_id,
                    import_id=self.result.import_id,
                    before={name: before.get(name) for name in diff},
                    after={name: item.get(name) for name in diff},
                )
            )
        store.update_items(self.conn, updates)
        events.record_many(self.conn, logged)
        self.result.updated += len(changed)


def quarantine_entry(result: ImportResult, row: SourceRow, rejected: Rejected) -> dict[str, Any]:
    """The quarantine record of a row: where it is, what is wrong, and what it held."""
    raw = {key: None if value is None else _clip(str(value)) for key, value in row.values.items()}
    return {
        "import_id": result.import_id,
        "kind": result.kind,
        "source": result.source,
        "file_name": result.file_name,
        "row_number": row.number,
        "column_name": rejected.column,
        "reason": rejected.reason,
        "raw": json.dumps(raw, ensure_ascii=False, default=str),
        "row_hash": row_hash(row.values),
        "created_at": clock.now(),
    }


def _differs(before: Any, after: Any) -> bool:
    if isinstance(before, datetime) and isinstance(after, datetime):
        return clock.as_utc(before) != clock.as_utc(after)
    return bool(before != after)


def _clip(text: str) -> str:
    if len(text) <= RAW_CELL_LIMIT:
        return text
    return f"{text[:RAW_CELL_LIMIT]}… ({len(text):,} characters in the file)"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
