"""Import event logs from case systems: CSV, XLSX, JSON or XES, mapped like items.

One row per event: the case it is about (an item, by source and reference), the
activity, the worker who did it (resource), and either its time and lifecycle
(`start`, `complete`, or another word such as `schedule`) or its start and completion
times. Files whose headers are the field names below (or XES's standard keys) need no
mapping; any other layout is mapped field by field, as items are (docs/mapping.md).

A start and the next completion of the same activity in the same case become one piece
of work with both times (first started, first completed, as process-mining tools pair
them); a completion with no start is work whose handling time is unknown; a start never
completed stays "started". Lifecycles are read by the XES standard lifecycle model
(`LIFECYCLE`: `COMPLETE`, `Start`, `ate-abort` are complete, start, ate_abort); its other
transitions (schedule, assign, suspend, resume, ...) and a log's own words are kept as
moments of the case. A log's own words are listed in the import's notes, with how to map
them (`values:` under lifecycle in a mapping), and so is a log with no completion, no
resource or a single one: its measures would read nothing, or one worker's.

What cannot be used goes to quarantine with the row and the reason, and the rest is
imported: a row without a case, an activity or a readable time; events of a case that
is not in the workspace (unless `add_items`, which makes an item of each such case);
and, in a file that mixes times with and without a time zone, the times without one
(which zone they are in cannot be told). Re-importing a log adds nothing twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert

from kinfold import clock
from kinfold.errors import KinfoldError, MappingError
from kinfold.ingest import values as v
from kinfold.ingest.fields import header_key
from kinfold.ingest.importer import ImportResult, import_run, quarantine_entry
from kinfold.ingest.items import Rejected
from kinfold.ingest.mapping import FieldRule, Mapping, load_mapping
from kinfold.ingest.readers import read_table
from kinfold.ingest.tables import SourceRow, Value
from kinfold.store import events as event_store
from kinfold.store import items as item_store
from kinfold.store import workforce
from kinfold.store.schema import items

EVENT_FIELDS = (
    "source", "case_id", "activity", "resource", "timestamp", "lifecycle",
    "started_at", "completed_at", "item_type", "need", "outcome",
)  # fmt: skip
# Headers that need no mapping: the field names, XES's standard keys, and the columns of
# kinfold's own work-events file.
ALIASES = {
    **{name: name for name in EVENT_FIELDS},
    "source_ref": "case_id",
    "case": "case_id",
    "case:concept:name": "case_id",
    "concept:name": "activity",
    "worker_ref": "resource",
    "worker": "resource",
    "org:resource": "resource",
    "time:timestamp": "timestamp",
    "time": "timestamp",
    "lifecycle:transition": "lifecycle",
    "start_timestamp": "started_at",
    "case:item_type": "item_type",
}
UNKNOWN_WORKER = "unknown"
# the XES standard lifecycle model's transitions (IEEE 1849, the lifecycle extension)
LIFECYCLE = frozenset({
    "schedule", "assign", "reassign", "withdraw", "start", "suspend", "resume",
    "pi_abort", "ate_abort", "complete", "autoskip", "manualskip", "unknown",
})  # fmt: skip
SHOWN_WORDS = 5
INSERT_CHUNK = 20_000


@dataclass(frozen=True)
class LogEvent:
    """One row of a log, read: where it is in the file, what it says, and when."""

    number: int
    source: str
    case_ref: str
    activity: str
    resource: str
    moment: datetime  # when it happened (the completion, for a row with both times)
    lifecycle: str  # start, complete, or the log's own word
    started: datetime | None = None  # for a row that gives both times
    item_type: str | None = None
    need: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class Work:
    """An event as the workspace keeps it, and the rows of the log it was made from."""

    rows: tuple[LogEvent, ...]
    activity: str
    resource: str
    lifecycle: str
    started_at: datetime | None
    completed_at: datetime | None
    outcome: str | None

    @property
    def moment(self) -> datetime:
        moment = self.completed_at or self.started_at
        assert moment is not None
        return moment


def import_event_log(
    engine: Engine,
    path: Path,
    source: str | None = None,
    *,
    mapping_path: Path | None = None,
    add_items: bool = False,
    item_type: str | None = None,
    end_activities: Sequence[str] = (),
    actor: str = "import",
) -> ImportResult:
    """Import the events of `path` about items of `source` (see the module's docstring).

    With `add_items`, a case that is not yet an item becomes one, of the row's item type
    (or `item_type`), received at its first event, and completed at its last when that is
    one of `end_activities` (or, when none are named, at its last event, as
    process-mining tools take every case of a log to be finished)."""
    spec = load_mapping(mapping_path, "events", EVENT_FIELDS) if mapping_path else None
    table = read_table(path, sheet=spec.sheet if spec else None)
    mapping = (spec or _canonical(table.columns)).bind(table.columns, table.file_name)
    _check(mapping, table.file_name)
    source = (source or mapping.source or "").strip()
    if not source and "source" not in mapping.rules:
        raise KinfoldError(
            f"Which source system are the cases of {table.file_name} from?",
            "Name it with --source (the source of the items the cases are), "
            "or `source:` in the mapping.",
        )
    ends = frozenset((*mapping.end_activities, *end_activities))
    with (
        engine.begin() as conn,
        import_run(conn, "events", source or "events", path, table, actor) as result,
    ):
        unused = sorted(set(table.columns) - mapping.used_columns())
        if unused:
            result.notes.append(f"columns not used: {', '.join(unused)}")
        loader = _Loader(conn, result, mapping, source, actor)
        loader.load(table.rows, add_items, item_type, ends)
    return result


def lifecycle_of(written: str | None) -> str:
    """A transition of the XES standard lifecycle model as kinfold names it (`COMPLETE`,
    `ate-abort` -> complete, ate_abort), or a log's own word as written, in lower case;
    complete when none is given."""
    if written is None:
        return "complete"
    word = written.strip().lower()
    standard = "_".join(word.replace("-", " ").split())
    return standard if standard in LIFECYCLE else word


def log_notes(events: Iterable[LogEvent]) -> list[str]:
    """What a person should know of a log before reading its measures: lifecycle words
    outside the standard model, and no completion, no resource or a single one."""
    words: Counter[str] = Counter()
    resources: set[str] = set()
    completions = 0
    for event in events:
        words[event.lifecycle] += 1
        resources.add(event.resource)
        completions += event.lifecycle == "complete" or event.started is not None
    notes = []
    own = [(word, count) for word, count in words.most_common() if word not in LIFECYCLE]
    if own:
        shown = ", ".join(f"'{word}' ({count:,})" for word, count in own[:SHOWN_WORDS])
        notes.append(
            f"lifecycle values outside the XES standard lifecycle model, kept as moments "
            f"and not as work done: {shown}{' and more' if len(own) > SHOWN_WORDS else ''}; "
            "map them to start and complete under `values:` for lifecycle in a mapping file"
        )
    if words and not completions:
        notes.append("no event is a completion: touch points, re-work and process adherence "
                     "will read 0 until the lifecycle values that mean done are mapped to "
                     "complete")  # fmt: skip
    named = resources - {UNKNOWN_WORKER}
    if words and not named:
        notes.append("no event names who did it (no resource): handoffs and the measures by "
                     "worker will read nothing")  # fmt: skip
    elif words and len(named) == 1:
        only = next(iter(named))
        notes.append(f"every event that names who did it names '{only}': handoffs will "
                     "read 0, and the measures by worker are one worker's")  # fmt: skip
    return notes


def pair(case_events: Iterable[LogEvent]) -> list[Work]:
    """The work in one case's events (in time order): each completion with the first
    unpaired start of the same activity, as process-mining tools pair them."""
    work: list[Work] = []
    starts: dict[str, deque[LogEvent]] = defaultdict(deque)
    for event in case_events:
        if event.started is not None:
            work.append(_work((event,), "complete", event.started, event.moment))
        elif event.lifecycle == "start":
            starts[event.activity].append(event)
        elif event.lifecycle == "complete":
            waiting = starts[event.activity]
            if waiting:
                begun = waiting.popleft()
                work.append(_work((begun, event), "complete", begun.moment, event.moment))
            else:
                work.append(_work((event,), "complete", None, event.moment))
        else:
            work.append(_work((event,), event.lifecycle, None, event.moment))
    for waiting in starts.values():
        work += [_work((begun,), "start", begun.moment, None) for begun in waiting]
    return sorted(work, key=lambda piece: (piece.moment, piece.rows[0].number))


def _work(
    rows: tuple[LogEvent, ...], lifecycle: str, started: datetime | None, done: datetime | None
) -> Work:
    last = rows[-1]
    return Work(rows, last.activity, last.resource, lifecycle, started, done, last.outcome)


def _canonical(columns: list[str]) -> Mapping:
    rules: dict[str, FieldRule] = {}
    for column in columns:
        name = ALIASES.get(header_key(column))
        if name is not None and name not in rules:
            rules[name] = FieldRule(name, (column,))
    return Mapping(rules, origin="the standard event log columns", kind="events")


def _check(mapping: Mapping, file_name: str) -> None:
    missing = [name for name in ("case_id", "activity") if name not in mapping.rules]
    if "timestamp" not in mapping.rules and "completed_at" not in mapping.rules:
        missing.append("timestamp (or completed_at)")
    if missing:
        raise MappingError(
            f"{file_name}: no column gives {', '.join(missing)} (using {mapping.origin}).",
            "An event log needs the case, the activity and the time of each event; "
            "name the columns case_id, activity, timestamp (see docs/measure.md) "
            "or write a mapping file (--mapping).",
        )


class _Loader:
    def __init__(
        self, conn: Connection, result: ImportResult, mapping: Mapping, source: str, actor: str
    ) -> None:
        self.conn, self.result, self.mapping, self.source = conn, result, mapping, source
        self.actor = actor
        self.quarantine = item_store.QuarantineWriter(conn, result.kind, result.source)
        self.held: list[dict[str, Any]] = []  # quarantine records not yet written
        self.raw: dict[int, dict[str, Value]] = {}  # row number -> values, while needed

    def load(
        self,
        rows: Iterable[SourceRow],
        add_items: bool,
        item_type: str | None,
        ends: frozenset[str],
    ) -> None:
        read = self._read(rows)
        self.result.notes.extend(log_notes(event for event, _ in read))
        zoned = [event for event, has_zone in read if has_zone]
        if zoned and len(zoned) < len(read):
            for event, has_zone in read:
                if not has_zone:
                    self._reject(event.number, Rejected(
                        "the time has no time zone, while other rows of this file give one: "
                        "which zone it is in cannot be told", "timestamp"))  # fmt: skip
            read = [(event, True) for event in zoned]
        cases: dict[tuple[str, str], list[LogEvent]] = defaultdict(list)
        for event, _ in read:
            cases[(event.source, event.case_ref)].append(event)
        known = workforce.item_ids(self.conn)
        if add_items:
            self._add_items(cases, known, item_type, ends)
        workers = set(workforce.worker_ids(self.conn))
        self._write(cases, known, workers | {UNKNOWN_WORKER} if workers else set())
        self.quarantine.add(self.held)

    def _read(self, rows: Iterable[SourceRow]) -> list[tuple[LogEvent, bool]]:
        read = []
        for row in rows:
            self.result.read += 1
            try:
                if row.problem is not None:
                    raise Rejected(row.problem.reason, row.problem.column)
                read.append(self._event(row))
                self.raw[row.number] = row.values
            except Rejected as rejected:
                self._quarantine_row(row.number, row.values, rejected)
        return read

    def _event(self, row: SourceRow) -> tuple[LogEvent, bool]:
        rules = self.mapping.rules

        def text(name: str) -> str | None:
            rule = rules.get(name)
            return v.text(rule.extract(row.values)) if rule else None

        def required(name: str) -> str:
            found = text(name)
            if found is None:
                raise Rejected(f"{name} is empty", _column(rules[name]))
            return found

        def moment(name: str) -> tuple[datetime, bool]:
            try:
                value = rules[name].extract(row.values)
                return v.parse_moment(value, self.mapping.formats_for(name))
            except v.BadValue as error:
                raise Rejected(f"{name}: {error}", _column(rules[name])) from error

        case_ref, activity = required("case_id"), required("activity")
        source = text("source") or self.source
        if not source:
            raise Rejected("source is empty", _column(rules["source"]))
        started: datetime | None = None
        if "timestamp" in rules and text("timestamp") is not None:
            at, zoned = moment("timestamp")
            lifecycle = lifecycle_of(text("lifecycle"))
        else:
            at, zoned = moment("completed_at")
            lifecycle = "complete"
            if "started_at" in rules and text("started_at") is not None:
                started, start_zoned = moment("started_at")
                zoned = zoned and start_zoned
                if at < started:
                    column = _column(rules["completed_at"])
                    raise Rejected("completed_at is before started_at", column)
        event = LogEvent(
            row.number, source, case_ref, activity, text("resource") or UNKNOWN_WORKER,
            at, lifecycle, started, text("item_type"), text("need"), text("outcome"),
        )  # fmt: skip
        return event, zoned

    def _add_items(
        self,
        cases: dict[tuple[str, str], list[LogEvent]],
        known: dict[tuple[str, str], int],
        item_type: str | None,
        ends: frozenset[str],
    ) -> None:
        """Make an item of each case not yet in the workspace; a case that cannot be one
        is quarantined, and taken out of `cases` (each row is quarantined once)."""
        import_id = self.result.import_id
        new = []
        for (source, ref), case_events in list(cases.items()):
            if (source, ref) in known:
                continue
            kind = next((e.item_type for e in case_events if e.item_type), item_type)
            if kind is None:
                self._reject_case(case_events, Rejected(
                    f"case {ref} is not an item yet, and no item type is given for it",
                    _column(self.mapping.rules.get("item_type"))))  # fmt: skip
                del cases[(source, ref)]
                continue
            first = min(case_events, key=lambda e: e.started or e.moment)
            last = max(case_events, key=lambda e: (e.moment, e.number))
            done = last.activity in ends if ends else True
            new.append({
                "source": source, "source_ref": ref, "item_type": kind,
                "need": next((e.need for e in case_events if e.need), None),
                "received_at": first.started or first.moment,
                "status": "closed" if done else "open",
                "closed_at": last.moment if done else None,
                "row_hash": _digest("log", source, ref), "first_import_id": import_id,
                "last_import_id": import_id,
            })  # fmt: skip
        for start in range(0, len(new), INSERT_CHUNK):
            self.conn.execute(insert(items), new[start : start + INSERT_CHUNK])
        if new:
            known.update(workforce.item_ids(self.conn))
            self.result.notes.append(
                f"{len(new):,} cases became new items"
                + ("" if ends else ", each completed at its last event")
            )

    def _write(
        self,
        cases: dict[tuple[str, str], list[LogEvent]],
        known: dict[tuple[str, str], int],
        workers: set[str],
    ) -> None:
        """Store each case's work; a piece of work by someone who is not among the
        workspace's workers is quarantined (when it has workers: a log read on its own,
        for its measures, keeps the resources it names)."""
        held = event_store.existing_keys(self.conn)
        recorded = clock.now()
        rows: list[dict[str, Any]] = []
        for (source, ref), case_events in cases.items():
            item_id = known.get((source, ref))
            if item_id is None:
                self._reject_case(case_events, Rejected(
                    f"there is no item {ref} from source '{source}' in the workspace",
                    _column(self.mapping.rules["case_id"])))  # fmt: skip
                continue
            case_events.sort(key=lambda e: (e.moment, e.number))
            seen: dict[str, int] = defaultdict(int)
            for piece in pair(case_events):
                if workers and piece.resource not in workers:
                    for event in piece.rows:
                        self._reject(event.number, Rejected(
                            f"there is no worker {piece.resource} among the workspace's "
                            "workers (import the workers file first)",
                            _column(self.mapping.rules.get("resource"))))  # fmt: skip
                    continue
                key = self._key(source, ref, piece, seen)
                if key in held:
                    self.result.unchanged += len(piece.rows)
                    continue
                held.add(key)
                rows.append(event_store.event_row(
                    actor=piece.resource, action=piece.activity, entity_type="item",
                    entity_id=item_id, started_at=piece.started_at,
                    completed_at=piece.completed_at, outcome=piece.outcome,
                    import_id=self.result.import_id, event_key=key, recorded_at=recorded,
                ) | {"lifecycle": piece.lifecycle})  # fmt: skip
                self.result.new += len(piece.rows)
                if len(rows) >= INSERT_CHUNK:
                    event_store.record_many(self.conn, rows)
                    rows = []
        event_store.record_many(self.conn, rows)

    @staticmethod
    def _key(source: str, ref: str, piece: Work, seen: dict[str, int]) -> str:
        """The same piece of work read again has the same key (the n-th of identical ones
        in a case keeps n)."""
        times = [moment.isoformat() if moment else "" for moment in
                 (piece.started_at, piece.completed_at)]  # fmt: skip
        base = _digest(source, ref, piece.activity, piece.resource, piece.lifecycle, *times)
        seen[base] += 1
        return _digest(base, str(seen[base]))

    def _reject_case(self, case_events: list[LogEvent], rejected: Rejected) -> None:
        for event in case_events:
            self._reject(event.number, rejected)

    def _reject(self, number: int, rejected: Rejected) -> None:
        self._quarantine_row(number, self.raw.pop(number, {}), rejected)

    def _quarantine_row(self, number: int, values: dict[str, Value], rejected: Rejected) -> None:
        self.result.quarantined += 1
        self.held.append(quarantine_entry(self.result, number, values, rejected))


def _column(rule: FieldRule | None) -> str | None:
    return rule.columns[0] if rule and rule.columns else None


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
