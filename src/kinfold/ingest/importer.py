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
from kinfold.ingest.building import (
    PARALLEL_FROM_ROWS,
    Builders,
    Outcome,
    PieceError,
    RowBuilder,
    SourcesBuilder,
    source_named,
)
from kinfold.ingest.items import ITEM_FIELDS, OtherSource, Rejected, row_digest
from kinfold.ingest.mapping import FieldRule, Mapping, canonical_mapping, load_mapping
from kinfold.ingest.readers import csv_columns, read_table, unreadable_row
from kinfold.ingest.tables import SourceRow, SourceTable, Value
from kinfold.privacy import PERSONAL_FIELDS
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


def open_source(
    path: Path, mapping_path: Path | None = None, sheet: str | None = None
) -> tuple[SourceTable, Mapping]:
    """Read a file's header and check the mapping against it, before anything is written.
    A workbook's sheet is `sheet`, else the mapping's, else the first."""
    spec = load_mapping(mapping_path) if mapping_path is not None else None
    table = read_table(
        path,
        sheet=sheet or (spec.sheet if spec else None),
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
    sheet: str | None = None,
    actor: str = "import",
    progress: Progress | None = None,
    total: Callable[[int | None], None] | None = None,
    parallel: bool | None = None,
    then: Callable[[Connection, ImportResult], None] | None = None,
) -> ImportResult:
    """Import the items of `path`, a file of one source; see the module's docstring."""

    def one_source(conn: Connection, results: list[ImportResult]) -> None:
        if len(results) > 1:  # raised inside the transaction: nothing is kept
            raise KinfoldError(
                f"{path.name} holds items of {len(results)} sources.",
                "`kinfold import` without --source imports each source it names as its own.",
            )
        if then is not None:
            then(conn, results[0])

    (result,) = import_sources(engine, path, source, mapping_path=mapping_path, sheet=sheet,
                               actor=actor, progress=progress, total=total, parallel=parallel,
                               then=one_source)  # fmt: skip
    return result


def import_sources(
    engine: Engine,
    path: Path,
    source: str | None = None,
    *,
    mapping_path: Path | None = None,
    sheet: str | None = None,
    actor: str = "import",
    progress: Progress | None = None,
    total: Callable[[int | None], None] | None = None,
    parallel: bool | None = None,
    then: Callable[[Connection, list[ImportResult]], None] | None = None,
) -> list[ImportResult]:
    """Import the items of `path`, one import per source its `source` column names (or
    the one `source` given), all in one transaction; see the module's docstring.

    `parallel` builds items in worker processes; by default, for files of 50,000 rows
    or more, where it pays for starting them. `then` runs in the import's transaction,
    after its rows are written: what it changes is committed with them, or not at all.
    """
    table, mapping = open_source(path, mapping_path, sheet)
    names = sources_of(path, table, mapping, mapping_path, sheet, source)
    if total is not None:
        total(table.estimated_rows)
    if parallel is None:
        parallel = (table.estimated_rows or 0) >= PARALLEL_FROM_ROWS
    split = mapping.rules.get("source") if len(names) > 1 else None
    with engine.begin() as conn:
        with import_runs(conn, "items", names, path, table, actor) as results:
            loader = _Loader(conn, results, mapping, table, actor, parallel, split)
            loader.load(progress)
            loader.refuse_other_sources()  # raised in the transaction: nothing is kept
        if then is not None:
            then(conn, results)
    return results


def sources_of(
    path: Path,
    table: SourceTable,
    mapping: Mapping,
    mapping_path: Path | None,
    sheet: str | None,
    given: str | None,
) -> list[str]:
    """The sources whose items `path` holds, in the order the file first names them.

    A file with a `source` column is split by it; a source given (by --source or the
    mapping's `source:`) must be the only one the column names, if it names any."""
    given = (given or mapping.source or "").strip() or None
    if given is not None:  # a row naming another is found as it is read
        return [given]
    rule = mapping.rules.get("source")
    named: dict[str, int] = {}  # source -> the first row naming it
    if rule is not None:
        for number, values in _readable_rows(path, table, rule, mapping_path, sheet):
            if (name := source_named(rule, values)) is not None:
                named.setdefault(name, number)
    if not named:
        raise KinfoldError(
            f"Which source system is {table.file_name} from?",
            "Name it with --source (for example --source benefits), `source:` in the "
            "mapping, or a source column in the file.",
        )
    return list(named)


def _readable_rows(
    path: Path, table: SourceTable, rule: FieldRule, mapping_path: Path | None, sheet: str | None
) -> Iterator[tuple[int, dict[str, Value]]]:
    """(row number, values) of each row of `path` read without a problem: of a CSV file,
    only the values `rule` reads from it."""
    plan = table.csv_plan
    if plan is not None and set(rule.columns) <= set(plan.columns):
        yield from csv_columns(plan, rule.columns)
        return
    table_again, _ = open_source(path, mapping_path, sheet)
    for number, values, problem in table_again.rows:
        if problem is None:
            yield number, values


@contextmanager
def import_run(
    conn: Connection, kind: str, source: str, path: Path, table: SourceTable, actor: str
) -> Iterator[ImportResult]:
    """One import, inside the caller's transaction: its record, its rows, and its event
    in the log."""
    with import_runs(conn, kind, [source], path, table, actor) as (result,):
        yield result


@contextmanager
def import_runs(
    conn: Connection, kind: str, sources: list[str], path: Path, table: SourceTable, actor: str
) -> Iterator[list[ImportResult]]:
    """One import per source of one file, inside the caller's transaction."""
    started, digest = clock.now(), file_digest(path)
    results = []
    for source in sources:
        import_id = store.start_import(
            conn,
            kind=kind,
            source=source,
            file_name=table.file_name,
            file_sha256=digest,
            actor=actor,
            started_at=started,
        )
        results.append(
            ImportResult(import_id, source, table.file_name, kind, notes=list(table.notes))
        )
    yield results
    for result in results:
        store.finish_import(conn, result.import_id, result.counts(), clock.now())
        events.record(
            conn,
            actor=actor,
            action="import",
            entity_type="import",
            entity_id=result.import_id,
            import_id=result.import_id,
            after={
                "kind": kind,
                "source": result.source,
                "file": table.file_name,
                **result.counts(),
            },
            started_at=started,
            completed_at=clock.now(),
        )
        if result.read == 0:
            result.notes.append("the file has a header but no rows")


class _Loader:
    """Builds and writes the rows of a file in batches (or pieces), in file order,
    inside the import's transaction: each source's rows into its own import."""

    def __init__(
        self,
        conn: Connection,
        results: list[ImportResult],
        mapping: Mapping,
        table: SourceTable,
        actor: str,
        parallel: bool,
        split: FieldRule | None,
    ) -> None:
        self.table = table
        encode = store.ItemEncoder(conn.dialect.name)
        builders: dict[str, RowBuilder] = {}
        self.writers: dict[str, _Writer] = {}
        for result in results:
            builders[result.source] = builder = RowBuilder(
                mapping,
                result.source,
                table.columns,
                stamp={
                    "source": result.source,
                    "first_import_id": result.import_id,
                    "last_import_id": result.import_id,
                },
                encode=encode,
                known=store.known_items(conn, result.source),
            )
            self.writers[result.source] = _Writer(conn, result, actor, builder)
        self.builders = Builders(SourcesBuilder(builders, split), table.csv_plan, parallel)

    def load(self, progress: Progress | None) -> None:
        try:
            if self.builders.parallel:
                offset = 1  # the header row
                try:
                    for records, outcomes in self.builders.pieces():
                        self._write(outcomes, offset, progress)
                        offset += records
                except PieceError as error:
                    raise unreadable_row(
                        self.table.file_name, offset + error.number, error.message
                    ) from error
            else:
                for batch in _batches(self.table.rows):
                    self._write(self.builders.build(batch), 0, progress)
        finally:
            self.builders.close()

    def refuse_other_sources(self) -> None:
        """Refuse an import for one source (given by --source or the mapping) whose
        source column names others: each of them, with the first row naming it."""
        for source, writer in self.writers.items():
            if writer.others:
                listed = ", ".join(f"'{name}' (first at row {row:,})"
                                   for name, row in writer.others.items())  # fmt: skip
                raise KinfoldError(
                    f"{self.table.file_name}: --source is '{source}', but its source column "
                    f"also names {listed}.",
                    "Leave out --source to import each source the column names as its own, "
                    "or correct the column.",
                )

    def _write(
        self, outcomes: dict[str, list[Outcome]], offset: int, progress: Progress | None
    ) -> None:
        for source, written in outcomes.items():
            self.writers[source].write(written, offset)
            if progress is not None:
                progress(len(written))


class _Writer:
    """Stores one source's outcomes: new items, changed items (each change logged),
    quarantined rows."""

    def __init__(
        self, conn: Connection, result: ImportResult, actor: str, builder: RowBuilder
    ) -> None:
        self.conn = conn
        self.result = result
        self.actor = actor
        self.known = builder.known  # the builder's, kept up to date as items are stored
        self.ref_columns = builder.ref_columns
        self.quarantine = store.QuarantineWriter(conn, result.kind, result.source)
        self.seen: dict[str, int] = {}  # source_ref -> row number in this file
        self.others: dict[str, int] = {}  # another source a row names -> its first row

    def write(self, outcomes: list[Outcome], offset: int) -> None:
        result = self.result
        new: list[tuple[Any, ...]] = []
        changed: dict[int, dict[str, Any]] = {}
        bad: list[dict[str, Any]] = []
        unchanged = 0
        for number, ref, built, values in outcomes:
            number += offset
            if isinstance(built, Rejected):
                if isinstance(built, OtherSource):
                    self.others.setdefault(built.source, number)
                bad.append(quarantine_entry(result, number, values or {}, built))
                continue
            assert ref is not None
            first = self.seen.setdefault(ref, number)
            if first != number:
                bad.append(_repeated(result, number, ref, first, built, self.ref_columns))
                continue
            if built is None:
                unchanged += 1
                continue
            digest, item = built
            if isinstance(item, tuple):  # a new item, ready for the driver
                new.append(item)
                self.known[ref] = store.KnownItem(-1, digest)
            else:
                item_id = self.known[ref].id
                changed[item_id] = item
                self.known[ref] = store.KnownItem(item_id, digest)
        store.insert_items(self.conn, new)
        unchanged += self._update(changed)
        self.quarantine.add(bad)
        result.new += len(new)
        result.unchanged += unchanged
        result.read += len(outcomes)
        result.quarantined += len(bad)

    def _update(self, changed: dict[int, dict[str, Any]]) -> int:
        """Write changed items and log each change; a new digest alone is not a change.
        Gives the number of items that turned out not to have changed."""
        if not changed:
            return 0
        same = 0
        before_rows = store.fetch_items(self.conn, changed)
        updates, logged = [], []
        for item_id, item in changed.items():
            before = before_rows[item_id]
            if before["erased_at"] is not None:  # the work goes on; the person stays erased
                item.update(dict.fromkeys(PERSONAL_FIELDS))
            if item["closed_at"] is None and item["status"] == "closed":
                item["closed_at"] = before["closed_at"]  # completed here, or by a log
            diff = [name for name in ITEM_FIELDS if _differs(before.get(name), item.get(name))]
            if not diff:  # read differently (a new mapping), but the same item
                same += 1
                store.set_row_hash(self.conn, item_id, item["row_hash"])
                continue
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
        self.result.updated += len(updates)
        return same


def quarantine_entry(
    result: ImportResult, number: int, values: dict[str, Value], rejected: Rejected
) -> dict[str, Any]:
    """The quarantine record of a row: where it is, what is wrong, and what it held."""
    raw = {key: None if value is None else _clip(str(value)) for key, value in values.items()}
    return {
        "import_id": result.import_id,
        "kind": result.kind,
        "source": result.source,
        "file_name": result.file_name,
        "row_number": number,
        "column_name": rejected.column,
        "reason": rejected.reason,
        "raw": json.dumps(raw, ensure_ascii=False, default=str),
        "row_hash": rejected.digest or row_digest(values),
        "created_at": clock.now(),
    }


def _repeated(
    result: ImportResult, number: int, ref: str, first: int, built: Any, columns: str | None
) -> dict[str, Any]:
    """A row whose source_ref an earlier row of the file already had."""
    digest, item = built if built is not None else (None, None)
    if isinstance(item, tuple):
        values = dict(zip(store.INSERT_COLUMNS, item, strict=True))
    else:
        values = item or {"source_ref": ref}
    reason = f"source_ref '{ref}' appears again in this file (first at row {first})"
    return quarantine_entry(result, number, values, Rejected(reason, columns, digest))


def _batches(rows: Iterator[SourceRow]) -> Iterator[list[SourceRow]]:
    batch: list[SourceRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


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
