"""Import the team side of a workspace: workers, skills, roster, work events and QA checks.

Each file has fixed column names (see docs/import.md); rows that cannot be used go to
quarantine with the reason, as for items. Re-importing a file changes nothing; a changed
row updates its record and the change is written to the event log.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from kinfold.errors import FileFormatError
from kinfold.ingest import values as v
from kinfold.ingest.eventlog import import_event_log
from kinfold.ingest.fields import header_key
from kinfold.ingest.importer import ImportResult, import_run, quarantine_entry
from kinfold.ingest.items import Rejected
from kinfold.ingest.readers import read_table
from kinfold.ingest.tables import Value
from kinfold.store import events
from kinfold.store import items as item_store
from kinfold.store import workforce as store

REQUIRED: dict[str, tuple[str, ...]] = {
    "workers": ("worker_ref", "name", "team", "hours_per_week", "cost_per_hour"),
    "skills": ("worker_ref", "item_type", "level"),
    "roster": ("worker_ref", "date", "paid_hours"),
    "qa": ("source", "source_ref", "worker_ref", "checked_by", "checked_at", "passed"),
}
KINDS = (*REQUIRED, "events")
PASSED = {"pass": True, "passed": True, "yes": True, "true": True, "1": True,
          "fail": False, "failed": False, "no": False, "false": False, "0": False}  # fmt: skip


def import_workforce(
    engine: Engine, path: Path, kind: str, *, actor: str = "import"
) -> ImportResult:
    """Import a workers, skills, roster, events or qa file (`kind`) into the workspace.
    Events are an event log in its standard columns (see `ingest.eventlog`)."""
    if kind == "events":
        return import_event_log(engine, path, actor=actor)
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
    with engine.begin() as conn, import_run(conn, kind, kind, path, table, actor) as result:
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
    if not math.isfinite(number):  # "nan", "inf": float() takes them, no one means them
        raise Rejected(f"{name} '{text}' is not a number", name)
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


class _Loader:
    """What the loaders share: one row per key in a file, and every change logged."""

    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        self.conn, self.result, self.actor = conn, result, actor
        self.seen: dict[object, int] = {}

    def once(self, key: object, what: str, column: str) -> None:
        """Refuse a second row for the same record: which one is right is not ours to say."""
        self.seen[key] = self.seen.get(key, 0) + 1
        if self.seen[key] > 1:
            raise Rejected(f"{what} appears again in this file", column)

    def change(
        self,
        before: dict[str, Any],
        after: dict[str, Any],
        write: Callable[[dict[str, Any]], None],
        event: tuple[str, str, str | int],  # action, entity type, entity id
        context: dict[str, Any] | None = None,  # logged with the change: which day, skill
    ) -> str:
        """Write the fields of `after` that differ from `before`, and log the change."""
        changed = {name: value for name, value in after.items() if before.get(name) != value}
        if not changed:
            return "unchanged"
        write(changed)
        action, entity_type, entity_id = event
        events.record(
            self.conn,
            actor=self.actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before={**(context or {}), **{name: before.get(name) for name in changed}},
            after={**(context or {}), **changed},
            import_id=self.result.import_id,
        )
        before.update(changed)
        return "updated"


class _Workers(_Loader):
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        super().__init__(conn, result, actor)
        self.known = store.worker_rows(conn)
        self.teams = store.team_ids(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        ref = _required_text(values, "worker_ref")
        self.once(ref, f"worker '{ref}'", "worker_ref")
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
            return "new"
        return self.change(
            before,
            record,
            lambda changed: store.update_worker(self.conn, before["id"], changed),
            ("worker.updated", "worker", ref),
        )


class _Skills(_Loader):
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        super().__init__(conn, result, actor)
        self.workers = store.worker_ids(conn)
        self.levels = store.skill_levels(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        worker_id = _worker(self.workers, values, "worker_ref")
        item_type = _required_text(values, "item_type")
        self.once((worker_id, item_type), f"skill '{item_type}' of this worker", "item_type")
        text = _required_text(values, "level")
        if text not in ("0", "1", "2", "3"):
            raise Rejected(
                f"level '{text}' should be 0 (none), 1 (learning), 2 (signed off) or 3 (expert)",
                "level",
            )
        level = int(text)
        before = self.levels.get((worker_id, item_type))
        if before is None:
            store.set_skill(self.conn, worker_id, item_type, level, exists=False)
            return "new"
        return self.change(
            {"level": before},
            {"level": level},
            lambda _: store.set_skill(self.conn, worker_id, item_type, level, exists=True),
            ("skill.updated", "worker", worker_id),
            {"item_type": item_type},
        )


class _Roster(_Loader):
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        super().__init__(conn, result, actor)
        self.workers = store.worker_ids(conn)
        self.days = store.roster_days(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        worker_id = _worker(self.workers, values, "worker_ref")
        day = _day(values, "date")
        self.once((worker_id, day), f"the day {day.isoformat()} of this worker", "date")
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
        entry = {"worker_id": worker_id, "day": day, **record}
        before = self.days.get((worker_id, day.isoformat()))
        if before is None:
            store.put_roster_day(self.conn, entry, exists=False)
            return "new"
        return self.change(
            before,
            record,
            lambda _: store.put_roster_day(self.conn, entry, exists=True),
            ("roster.updated", "worker", worker_id),
            {"day": day.isoformat()},
        )


class _QaChecks(_Loader):
    def __init__(self, conn: Connection, result: ImportResult, actor: str) -> None:
        super().__init__(conn, result, actor)
        self.items = store.item_ids(conn)
        self.workers = store.worker_ids(conn)
        self.known = store.qa_keys(conn)

    def __call__(self, values: dict[str, Value]) -> str:
        item_id = _item(self.items, values)
        worker_id = _worker(self.workers, values, "worker_ref")
        checked_at = _moment(values, "checked_at")
        key = (item_id, worker_id, checked_at.replace(tzinfo=None).isoformat())
        self.once(key, "this QA check (item, worker and time)", "checked_at")
        passed_text = _required_text(values, "passed").lower()
        if passed_text not in PASSED:
            raise Rejected(f"passed '{passed_text}' should be pass or fail", "passed")
        record = {
            "checked_by": _required_text(values, "checked_by"),
            "passed": PASSED[passed_text],
            "score": _number(values, "score", required=False),
            "reason": v.text(values.get("reason")),
        }
        before = self.known.get(key)
        if before is None:
            store.insert_qa(
                self.conn,
                [{"item_id": item_id, "worker_id": worker_id, "checked_at": checked_at, **record}],
            )
            return "new"
        return self.change(
            before,
            record,
            lambda changed: store.update_qa(self.conn, before["id"], changed),
            ("qa_check.updated", "item", item_id),
        )


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


_LOADERS: dict[
    str, Callable[[Connection, ImportResult, str], Callable[[dict[str, Value]], str]]
] = {
    "workers": _Workers,
    "skills": _Skills,
    "roster": _Roster,
    "qa": _QaChecks,
}
