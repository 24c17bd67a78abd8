"""Import the team side of a workspace: workers, skills, roster, work events and QA checks.

Each file has fixed column names (see docs/import.md); rows that cannot be used go to
quarantine with the reason, as for items. Re-importing a file changes nothing; a changed
row updates its record and the change is written to the event log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from kinfold.errors import FileFormatError
from kinfold.ingest import values as v
from kinfold.ingest.fields import header_key
from kinfold.ingest.importer import ImportResult, import_run, quarantine_entry
from kinfold.ingest.items import Rejected
from kinfold.ingest.readers import Value, read_table
from kinfold.store import events
from kinfold.store import items as item_store
from kinfold.store import workforce as store

REQUIRED: dict[str, tuple[str, ...]] = {
    "workers": ("worker_ref", "name", "team", "hours_per_week", "cost_per_hour"),
    "skills": ("worker_ref", "item_type", "level"),
    "roster": ("worker_ref", "date", "paid_hours"),
    "events": ("source", "source_ref", "activity", "worker_ref", "started_at", "completed_at"),
    "qa": ("source", "source_ref", "worker_ref", "checked_by", "checked_at", "passed"),
}
KINDS = tuple(REQUIRED)
PASSED = {"pass": True, "passed": True, "yes": True, "true": True, "1": True,
          "fail": False, "failed": False, "no": False, "false": False, "0": False}  # fmt: skip


def import_workforce(
    engine: Engine, path: Path, kind: str, *, actor: str = "import"
) -> ImportResult:
    """Import a workers, skills, roster, events or qa file (`kind`) into the workspace."""
    if kind not in REQUIRED:
        raise FileFormatError(
            f"'{kind}' is not something kinfold imports.",
            f"Choose one of: items, {', '.join(KINDS)}.",
        )
    table = read_table(path)
    keys = {header_key(column): column for column in table.columns}
    missing = [name for name in REQUIRED[kind] if name not in keys]
    if missing:
        raise FileFormatError(
            f"{table.file_name} has no column {', '.join(missing)}, needed for a {kind} file.",
            f"A {kind} file has the columns {', '.join(REQUIRED[kind])}; see docs/import.md.",
        )
    with import_run(engine, kind, kind, path, table, actor) as (conn, result):
        loader = _LOADERS[kind](conn, result, actor)
        quarantine = item_store.QuarantineWriter(conn, kind, kind)
        for row in table.rows:
            result.read += 1
            try:
                if row.problem is not None:
                    raise Rejected(row.problem.reason, row.problem.column)
                values = {header_key(column): value for column, value in row.values.items()}
                outcome = loader(values)
            except Rejected as rejected:
                result.quarantined += 1
                quarantine.add([quarantine_entry(result, row.number, row.values, rejected)])
                continue
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _required_text(values: dict[str, Value], name: str) -> str:
    text = v.text(values.get(name))
    if text is None:
        raise Rejected(f"{name} is empty", name)
    return text


def _number(values: dict[str, Value], name: str, required: bool = True) -> float | None:
    text = v.text(values.get(name))
    if text is None:
        if required:
            raise Rejected(f"{name} is empty", name)
        return None
    try:
        number = float(text)
    except ValueError as error:
        raise Rejected(f"{name} '{text}' is not a number", name) from error
    if number < 0:
        raise Rejected(f"{name} {text} is below zero", name)
    return number


def _moment(values: dict[str, Value], name: str) -> datetime:
    try:
        return v.parse_datetime(values.get(name))
    except v.BadValue as error:
        raise Rejected(f"{name}: {error}", name) from error


def _day(values: dict[str, Value], name: str) -> date:
    try:
        return v.parse_date(values.get(name))
    except v.BadValue as error:
        raise Rejected(f"{name}: {error}", name) from error


class _Workers:
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        self.conn, self.result, self.actor = conn, result, actor
        self.known = store.worker_rows(conn)
        self.teams = store.team_ids(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        ref = _required_text(values, "worker_ref")
        team = _required_text(values, "team")
        record = {
            "name": _required_text(values, "name"),
            "hours_per_week": _number(values, "hours_per_week"),
            "cost_per_hour": _number(values, "cost_per_hour"),
        }
        if team not in self.teams:
            self.teams[team] = store.add_team(self.conn, team)
        record["team_id"] = self.teams[team]
        before = self.known.get(ref)
        if before is None:
            store.insert_workers(self.conn, [{"worker_ref": ref, "active": True, **record}])
            self.known[ref] = {"worker_ref": ref, **record}
            return "new"
        changed = {key: value for key, value in record.items() if before[key] != value}
        if not changed:
            return "unchanged"
        store.update_worker(self.conn, before["id"], changed)
        old = {key: before[key] for key in changed}
        _log_change(self, "worker.updated", "worker", ref, old, changed)
        before.update(changed)
        return "updated"


class _Skills:
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        self.conn, self.result, self.actor = conn, result, actor
        self.workers = store.worker_ids(conn)
        self.levels = store.skill_levels(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        worker_id = _worker(self.workers, values, "worker_ref")
        item_type = _required_text(values, "item_type")
        text = _required_text(values, "level")
        if text not in ("0", "1", "2", "3"):
            raise Rejected(
                f"level '{text}' should be 0 (none), 1 (learning), 2 (signed off) or 3 (expert)",
                "level",
            )
        level, key = int(text), (worker_id, item_type)
        before = self.levels.get(key)
        if before == level:
            return "unchanged"
        store.set_skill(self.conn, worker_id, item_type, level, exists=before is not None)
        self.levels[key] = level
        if before is None:
            return "new"
        _log_change(
            self,
            "skill.updated",
            "worker",
            worker_id,
            {"level": before, "item_type": item_type},
            {"level": level},
        )
        return "updated"


class _Roster:
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        self.conn, self.result, self.actor = conn, result, actor
        self.workers = store.worker_ids(conn)
        self.days = store.roster_days(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        worker_id = _worker(self.workers, values, "worker_ref")
        day = _day(values, "date")
        paid = _number(values, "paid_hours")
        assert paid is not None
        shrinkage: dict[str, float] = {}
        for name in values:
            if name.endswith("_hours") and name != "paid_hours":
                hours = _number(values, name, required=False)
                if hours:
                    shrinkage[name.removesuffix("_hours")] = hours
        away = sum(shrinkage.values())
        if away > paid + 1e-9:
            raise Rejected(
                f"shrinkage of {away:g} hours is more than the {paid:g} paid hours",
                "paid_hours",
            )
        record = {
            "paid_hours": paid,
            "cost_per_hour": _number(values, "cost_per_hour", required=False),
            "shrinkage": shrinkage,
        }
        key = (worker_id, day.isoformat())
        before = self.days.get(key)
        if before == record:
            return "unchanged"
        store.put_roster_day(
            self.conn, {"worker_id": worker_id, "day": day, **record}, exists=before is not None
        )
        self.days[key] = record
        if before is None:
            return "new"
        _log_change(self, "roster.updated", "worker", worker_id, {"day": key[1], **before}, record)
        return "updated"


class _WorkEvents:
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        self.conn, self.result = conn, result
        self.items = store.item_ids(conn)
        self.workers = store.worker_ids(conn)
        self.keys = events.existing_keys(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        item_id = _item(self.items, values)
        _worker(self.workers, values, "worker_ref")
        started, completed = _moment(values, "started_at"), _moment(values, "completed_at")
        if completed < started:
            raise Rejected("completed_at is before started_at", "completed_at")
        activity = _required_text(values, "activity")
        worker = _required_text(values, "worker_ref")
        outcome = v.text(values.get("outcome"))
        key = _digest(
            str(item_id),
            activity,
            worker,
            started.isoformat(),
            completed.isoformat(),
            outcome or "",
        )
        if key in self.keys:
            return "unchanged"
        self.keys.add(key)
        row = events.event_row(
            actor=worker,
            action=activity,
            entity_type="item",
            entity_id=item_id,
            started_at=started,
            completed_at=completed,
            outcome=outcome,
            import_id=self.result.import_id,
            event_key=key,
        )
        events.record_many(self.conn, [row])
        return "new"


class _QaChecks:
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        self.conn, self.result, self.actor = conn, result, actor
        self.items = store.item_ids(conn)
        self.workers = store.worker_ids(conn)
        self.known = store.qa_keys(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        item_id = _item(self.items, values)
        worker_id = _worker(self.workers, values, "worker_ref")
        checked_by = _required_text(values, "checked_by")
        checked_at = _moment(values, "checked_at")
        passed_text = _required_text(values, "passed").lower()
        if passed_text not in PASSED:
            raise Rejected(f"passed '{passed_text}' should be pass or fail", "passed")
        record = {
            "checked_by": checked_by,
            "passed": PASSED[passed_text],
            "score": _number(values, "score", required=False),
            "reason": v.text(values.get("reason")),
        }
        key = (item_id, worker_id, checked_at.replace(tzinfo=None).isoformat())
        before = self.known.get(key)
        if before is None:
            store.insert_qa(
                self.conn,
                [{"item_id": item_id, "worker_id": worker_id, "checked_at": checked_at, **record}],
            )
            self.known[key] = record
            return "new"
        changed = {name: value for name, value in record.items() if before[name] != value}
        if not changed:
            return "unchanged"
        store.update_qa(self.conn, before["id"], changed)
        old = {key: before[key] for key in changed}
        _log_change(self, "qa_check.updated", "item", item_id, old, changed)
        before.update(changed)
        return "updated"


def _worker(known: dict[str, int], values: dict[str, Value], name: str) -> int:
    ref = _required_text(values, name)
    if ref not in known:
        raise Rejected(
            f"worker '{ref}' is not in the workspace; import the workers file first", name
        )
    return known[ref]


def _item(known: dict[tuple[str, str], int], values: dict[str, Value]) -> int:
    key = (_required_text(values, "source"), _required_text(values, "source_ref"))
    if key not in known:
        raise Rejected(
            f"there is no item {key[1]} from source '{key[0]}' in the workspace", "source_ref"
        )
    return known[key]


def _log_change(
    loader: Any,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    events.record(
        loader.conn,
        actor=loader.actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        import_id=loader.result.import_id,
    )


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


_LOADERS: dict[
    str, Callable[[Connection, ImportResult, str], Callable[[dict[str, Value]], str]]
] = {
    "workers": _Workers,
    "skills": _Skills,
    "roster": _Roster,
    "events": _WorkEvents,
    "qa": _QaChecks,
}
