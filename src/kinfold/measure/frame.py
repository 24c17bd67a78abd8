"""The records the measures are computed from, as DuckDB tables over Arrow.

Read once from the store (or from Parquet files of the same tables, for very large logs):

- `work`: every piece of work, one row per event: kinfold's own case actions and the
  events of imported logs (a start and its completion are one row). `handling` is its
  handling time in hours (empty when the log gave no start).
- `items`: every item with its case, team, receipt and completion (`closed_at`), and
  the worker who completed it (the worker of its last piece of work).
- `roster`: per worker per day, paid hours, shrinkage hours (planned, unplanned) and cost.
- `shrinkage`: the roster's shrinkage by category; `qa`: QA checks; `skills`: the matrix.
- `reopened`: items reopened after being closed, and when.
- `calendar`: every day from the first record to the "as of" day, with its working-day
  number (`workday`), so working days between two days are a subtraction.

Times are in the workspace's time zone (`time zone`, Europe/London unless it says
otherwise), as naive timestamps in DuckDB: a period is the local day, the ISO week (from
Monday) or the month, as the team lives them. Handling times are worked out before, in
UTC, so an hour that a clock change adds or takes away is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, text

from kinfold import clock
from kinfold.ingest.values import work_window
from kinfold.settings import Settings
from kinfold.workdays import WorkingDays

TABLES = ("work", "items", "roster", "shrinkage", "qa", "skills", "workers", "reopened")
# items dated outside the years of work: left out of the measures, listed by a check
OUTSIDE = "received_at NOT BETWEEN $earliest AND $cap OR closed_at NOT BETWEEN $earliest AND $cap"
# (made from the store's rows before they are left out; from saved tables, as they are)
UNDATED = ("CREATE TABLE IF NOT EXISTS undated AS SELECT item_id, received_at, closed_at "
           "FROM {items} WHERE " + OUTSIDE)  # fmt: skip
PLANNED_SHRINKAGE = frozenset({"leave", "annual_leave", "holiday", "training", "meetings",
                               "meeting", "coaching", "one_to_one", "team_meeting"})  # fmt: skip

# Work in the log: events of imported logs (they have a lifecycle), work events of the
# team's files (both times), and kinfold's own case actions; not imports or changes.
EVENTS_SQL = """
SELECT id AS event_id, entity_type, entity_id, actor AS worker, action AS activity,
       lifecycle, started_at, completed_at, after
FROM events
WHERE lifecycle IS NOT NULL
   OR (entity_type = 'item' AND started_at IS NOT NULL AND completed_at IS NOT NULL)
   OR (entity_type = 'case' AND action LIKE 'case.%' AND completed_at IS NOT NULL)
"""


# The store's rows as read, typed here (an empty table tells no types, SQLite no times)
RAW = {
    "events": "event_id BIGINT, entity_type VARCHAR, entity_id VARCHAR, worker VARCHAR, "
    "activity VARCHAR, lifecycle VARCHAR, started_at TIMESTAMP, completed_at TIMESTAMP, "
    "after VARCHAR, seconds DOUBLE",
    "cases": "case_id BIGINT, team_id BIGINT",
    "items": "item_id BIGINT, case_id BIGINT, item_type VARCHAR, need VARCHAR, "
    "case_team_id BIGINT, received_at TIMESTAMP, closed_at TIMESTAMP, status VARCHAR, "
    "due_at TIMESTAMP, source VARCHAR, source_ref VARCHAR, received_epoch DOUBLE, "
    "closed_epoch DOUBLE",
    "roster": "worker VARCHAR, team VARCHAR, day DATE, paid_hours DOUBLE, cost_per_hour DOUBLE",
    "shrinkage": "worker VARCHAR, day DATE, category VARCHAR, hours DOUBLE",
    "qa": "item_id BIGINT, worker VARCHAR, checked_at TIMESTAMP, passed BOOLEAN, score DOUBLE, "
    "reason VARCHAR",
    "skills": "worker VARCHAR, team VARCHAR, item_type VARCHAR, level INTEGER",
    "workers": "worker VARCHAR, team VARCHAR",
    "teams": "team_id BIGINT, team VARCHAR",
    "reopened": "item_id BIGINT, reopened_at TIMESTAMP, before VARCHAR, after VARCHAR",
}


class Database(Protocol):
    """What the measures ask of a database: DuckDB's connection, or `measure.spark`'s."""

    def execute(self, query: str, parameters: Any = None) -> Any: ...

    def register(self, view_name: str, python_object: Any) -> Any: ...

    def unregister(self, view_name: str) -> Any: ...


@dataclass
class Frame:
    """The measures' tables in one DuckDB connection (or a Spark session), as of a
    moment."""

    db: Database
    as_of: datetime  # naive, in the workspace's time zone
    settings: Settings
    made: set[str] = field(default_factory=set)  # the measures' shared tables made so far

    def sql(self, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.db.execute(query, params or []).fetchall()
        return rows

    def save(self, folder: Path) -> None:
        """Write the tables as Parquet, to measure again without the store."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            path = str(folder / f"{name}.parquet").replace("'", "''")
            self.db.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")


def from_store(engine: Engine, settings: Settings, as_of: datetime | None = None) -> Frame:
    """The records of a workspace, read through SQLAlchemy into Arrow."""
    with engine.connect() as conn:

        def table(query: str) -> pa.Table:
            result = conn.execute(text(query))
            names = list(result.keys())
            rows = result.fetchall()
            return pa.table({name: [_plain(row[i]) for row in rows]
                             for i, name in enumerate(names)})  # fmt: skip

        tables = {
            "events": table(EVENTS_SQL),
            "cases": table("SELECT id AS case_id, team_id FROM cases"),
            "items": table("SELECT i.id AS item_id, i.case_id, i.item_type, i.need, "
                           "c.team_id AS case_team_id, i.received_at, i.closed_at, i.status, "
                           "i.due_at, i.source, i.source_ref "
                           "FROM items i LEFT JOIN cases c ON c.id = i.case_id"),
            "roster": table("SELECT w.worker_ref AS worker, t.name AS team, r.day, r.paid_hours, "
                            "coalesce(r.cost_per_hour, w.cost_per_hour) AS cost_per_hour "
                            "FROM roster r JOIN workers w ON w.id = r.worker_id "
                            "JOIN teams t ON t.id = w.team_id"),
            "shrinkage": table("SELECT w.worker_ref AS worker, s.day, s.category, s.hours "
                               "FROM shrinkage s JOIN workers w ON w.id = s.worker_id"),
            "qa": table("SELECT q.item_id, w.worker_ref AS worker, q.checked_at, q.passed, "
                        "q.score, q.reason FROM qa_checks q JOIN workers w ON w.id = q.worker_id"),
            "skills": table("SELECT w.worker_ref AS worker, t.name AS team, s.item_type, s.level "
                            "FROM skills s JOIN workers w ON w.id = s.worker_id "
                            "JOIN teams t ON t.id = w.team_id WHERE w.active"),
            "workers": table("SELECT w.worker_ref AS worker, t.name AS team FROM workers w "
                             "JOIN teams t ON t.id = w.team_id"),
            "teams": table("SELECT id AS team_id, name AS team FROM teams"),
            "reopened": table("SELECT CAST(entity_id AS INTEGER) AS item_id, "
                              "recorded_at AS reopened_at, before, after "
                              "FROM events WHERE action = 'item.updated' "
                              "AND before LIKE '%\"status\": \"closed\"%'"),
        }  # fmt: skip
    db = _connect()
    for name, arrow in tables.items():
        db.execute(f"CREATE TABLE {name}_raw ({RAW[name]})")
        db.register(f"{name}_arrow", arrow)
        db.execute(f"INSERT INTO {name}_raw BY NAME SELECT * FROM {name}_arrow")
        db.unregister(f"{name}_arrow")
    # durations from the moments, before they become local times (a clock change is no time)
    db.execute("UPDATE events_raw SET seconds = epoch(completed_at - started_at)")
    db.execute("UPDATE items_raw SET received_epoch = epoch(received_at), "
               "closed_epoch = epoch(closed_at)")  # fmt: skip
    _to_zone(db, settings.time_zone)
    _shape(db)
    return _frame(db, settings, as_of)


def _to_zone(db: duckdb.DuckDBPyConnection, zone: str) -> None:
    """Every time the store gave (UTC) as the same moment in `zone`."""
    if zone == "UTC":
        return
    timed = db.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_name LIKE '%\\_raw' ESCAPE '\\' "
                       "AND data_type = 'TIMESTAMP'").fetchall()  # fmt: skip
    for table, column in timed:
        db.execute(f'UPDATE {table} SET "{column}" = timezone(?, timezone(\'UTC\', "{column}"))',
                   [zone])  # fmt: skip


def from_parquet(folder: Path, settings: Settings, as_of: datetime | None = None) -> Frame:
    """Tables saved by `Frame.save` (or made to the same shapes), read in place."""
    db = _connect()
    for name in TABLES:
        path = str(folder / f"{name}.parquet").replace("'", "''")
        db.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    saved = {row[0] for row in db.execute("DESCRIBE items").fetchall()}
    if "received_epoch" not in saved:  # saved before items kept their moments
        path = str(folder / "items.parquet").replace("'", "''")
        db.execute("CREATE OR REPLACE VIEW items AS SELECT *, epoch(received_at) AS "
                   "received_epoch, epoch(closed_at) AS closed_epoch "
                   f"FROM read_parquet('{path}')")  # fmt: skip
    return _frame(db, settings, as_of)


def _connect() -> duckdb.DuckDBPyConnection:
    """An in-memory database that writes nothing to the terminal (output may be CSV)."""
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    # Open items are found at each period's end by a range join against a few hundred
    # period ends at most: a nested loop does it in half the time of a merge join.
    db.execute("SET nested_loop_join_threshold = 1000")
    return db


def _shape(db: duckdb.DuckDBPyConnection) -> None:
    """From the store's rows to the measures' tables. An item dated outside the years of
    work (stored before imports refused such dates, or by hand) is left out of every
    measure, and kept in `undated` for the data-quality check that lists it."""
    window = _window()
    db.execute(UNDATED.format(items="items_raw"), window)
    db.execute(f"DELETE FROM items_raw WHERE {OUTSIDE}", window)
    db.execute("""
        CREATE TABLE work_raw AS
        WITH oldest AS (SELECT case_id, min(item_id) AS item_id FROM items_raw GROUP BY case_id),
        located AS (
            SELECT e.*, CASE WHEN e.entity_type = 'item' THEN TRY_CAST(e.entity_id AS BIGINT)
                        ELSE coalesce(TRY_CAST(json_extract_string(e.after, '$.item') AS BIGINT),
                                      o.item_id) END AS located_item,
                   CASE WHEN e.entity_type = 'case' THEN TRY_CAST(e.entity_id AS BIGINT) END
                       AS located_case
            FROM events_raw e
            LEFT JOIN oldest o ON e.entity_type = 'case'
                              AND o.case_id = TRY_CAST(e.entity_id AS BIGINT))
        SELECT l.event_id, i.item_id, coalesce(i.case_id, l.located_case) AS case_id,
               i.item_type, i.need, coalesce(c.team_id, i.case_team_id) AS case_team_id,
               l.worker, l.activity, coalesce(l.lifecycle, 'complete') AS lifecycle,
               l.started_at, l.completed_at, l.seconds
        FROM located l LEFT JOIN items_raw i ON i.item_id = l.located_item
        LEFT JOIN cases_raw c ON c.case_id = l.located_case
        WHERE l.entity_type = 'case' OR i.item_id IS NOT NULL
    """)
    db.execute("""
        CREATE TABLE work AS
        SELECT w.event_id, w.item_id, w.case_id,
               coalesce('case ' || w.case_id, 'item ' || w.item_id) AS case_key,
               coalesce(w.item_type, '(not known)') AS item_type,
               coalesce(w.need, '(none)') AS need,
               coalesce(ct.team, wt.team, '(no team)') AS case_team,
               coalesce(wt.team, '(no team)') AS team, w.worker, w.activity, w.lifecycle,
               w.started_at AS started_at,
               w.completed_at AS completed_at,
               CASE WHEN w.lifecycle = 'complete' AND w.started_at IS NOT NULL
                    THEN w.seconds / 3600.0 END AS handling,
               wk.worker IS NOT NULL AS known_worker
        FROM work_raw w
        LEFT JOIN teams_raw ct ON ct.team_id = w.case_team_id
        LEFT JOIN workers_raw wk ON wk.worker = w.worker
        LEFT JOIN workers_raw wt ON wt.worker = w.worker
    """)
    db.execute("""
        CREATE TABLE items AS
        WITH last_work AS (
            SELECT item_id, arg_max(worker, completed_at) AS completed_by
            FROM work WHERE item_id IS NOT NULL AND lifecycle = 'complete' GROUP BY item_id)
        SELECT i.item_id, i.case_id,
               coalesce('case ' || i.case_id, 'item ' || i.item_id) AS case_key,
               i.item_type, coalesce(i.need, '(none)') AS need,
               coalesce(t.team, '(no team)') AS team, i.received_at AS received_at,
               i.closed_at AS closed_at, i.status,
               i.due_at AS due_at, coalesce(l.completed_by, '(not known)') AS worker,
               i.source, i.source_ref, i.received_epoch, i.closed_epoch
        FROM items_raw i LEFT JOIN teams_raw t ON t.team_id = i.case_team_id
        LEFT JOIN last_work l USING (item_id)
    """)
    db.execute(
        """
        CREATE TABLE roster AS
        SELECT r.worker, r.team, r.day AS day, r.paid_hours, r.cost_per_hour,
               coalesce(sum(s.hours), 0) AS shrinkage_hours,
               coalesce(sum(s.hours) FILTER (WHERE s.planned), 0) AS planned_hours,
               coalesce(sum(s.hours) FILTER (WHERE NOT s.planned), 0) AS unplanned_hours
        FROM roster_raw r LEFT JOIN (
            SELECT *, category IN ? AS planned FROM shrinkage_raw) s
          ON s.worker = r.worker AND s.day = r.day
        GROUP BY ALL
    """.replace("?", "(" + ", ".join(f"'{c}'" for c in sorted(PLANNED_SHRINKAGE)) + ")")
    )
    db.execute("""CREATE TABLE shrinkage AS SELECT s.worker, w.team, s.day AS day, s.category,
                  s.hours FROM shrinkage_raw s LEFT JOIN workers_raw w USING (worker)""")
    db.execute("""CREATE TABLE qa AS SELECT q.item_id, q.worker,
                  coalesce(w.team, '(no team)') AS team,
                  i.item_type, i.need, q.checked_at AS checked_at, q.passed,
                  q.score, q.reason
                  FROM qa_raw q LEFT JOIN workers_raw w USING (worker)
                  LEFT JOIN items i USING (item_id)""")
    db.execute("CREATE TABLE skills AS SELECT * FROM skills_raw")
    db.execute("CREATE TABLE workers AS SELECT * FROM workers_raw")
    db.execute(
        "CREATE TABLE reopened AS SELECT item_id, reopened_at FROM reopened_raw "
        "WHERE json_extract_string(after, '$.status') = 'open'"
    )
    for name in (*RAW, "work"):  # the store's rows, now shaped
        db.execute(f"DROP TABLE {name}_raw")


def _frame(db: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime | None) -> Frame:
    """Add the calendar, and say as of when: `as_of`, else the latest time recorded. A
    date outside the years of work (stored before imports refused them, or by hand) is
    neither the calendar's start nor the as-of. (Saved tables read again keep such items,
    listed in `undated` as the store's are.)"""
    window = _window()
    db.execute(UNDATED.format(items="items"), window)
    first, latest = db.execute("""
        SELECT least((SELECT min(received_at) FROM items WHERE received_at >= $earliest),
                     (SELECT min(day) FROM roster WHERE day >= $earliest),
                     (SELECT min(coalesce(started_at, completed_at)) FROM work
                      WHERE coalesce(started_at, completed_at) >= $earliest)),
               greatest((SELECT max(received_at) FROM items WHERE received_at <= $cap),
                        (SELECT max(closed_at) FROM items WHERE closed_at <= $cap),
                        (SELECT max(coalesce(completed_at, started_at)) FROM work
                         WHERE coalesce(completed_at, started_at) <= $cap))
    """, window).fetchone() or (None, None)  # fmt: skip
    zone = ZoneInfo(settings.time_zone)
    as_of = _local(as_of, zone) if as_of is not None else latest or _local(clock.now(), zone)
    start = first.date() if isinstance(first, datetime) else (first or as_of.date())
    _calendar(db, start - timedelta(days=1), as_of.date(), WorkingDays.from_settings(settings))
    return Frame(db, as_of, settings)


def _calendar(db: duckdb.DuckDBPyConnection, first: date, last: date, days: WorkingDays) -> None:
    dates, numbers, working = [], [], []
    count, day = 0, first
    while day <= last:
        is_working = days.is_working(day)
        count += is_working
        dates.append(day)
        numbers.append(count)
        working.append(is_working)
        day += timedelta(days=1)
    db.register("calendar_arrow", pa.table({"day": dates, "workday": numbers, "working": working}))
    db.execute("CREATE OR REPLACE TABLE calendar AS SELECT * FROM calendar_arrow")
    db.unregister("calendar_arrow")


def _window() -> dict[str, datetime]:
    """The years of work (`work_window`), as the parameters `$earliest` and `$cap`."""
    earliest, cap = work_window()
    return {"earliest": _plain(earliest), "cap": _plain(cap)}


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A moment as the naive local time of `zone`; a naive one is taken as local already."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment


def _plain(value: Any) -> Any:
    """Times as naive UTC, as DuckDB's TIMESTAMP keeps them."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return clock.as_utc(value).replace(tzinfo=None)
    return value
