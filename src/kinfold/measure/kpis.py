"""The sixteen back-office measures of docs/kpis.md, from one frame of records.

Each measure is two pieces of SQL: the records behind it (one row per roster day, piece
of work, item, case or QA check, with the time `counted_at` it counts at and the columns it can
be grouped by) and the figure computed from them. So every figure carries the number of
records behind it, and any figure can be drilled into (`drill`) to list those records.

Settings (kinfold.yaml), all optional:

    standard times: {Housing Benefit new claim: 45}   # minutes of handling per item
    service levels: {Housing Benefit new claim: 5}    # working days from receipt
    service level days: 5                             # for item types not named

An item type with no standard time set takes the median handling time of its completed
items (the sum of their pieces of work).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from kinfold.errors import KinfoldError
from kinfold.measure.adherence import conformance
from kinfold.measure.frame import Frame

GRAINS = ("day", "week", "month", "all")
DIMENSIONS = ("team", "worker", "item_type", "need", "activity")
AGE_BANDS = ((0, 2), (3, 5), (6, 10), (11, 20), (21, None))  # working days waiting


def band_name(low: int, high: int | None) -> str:
    """The name of an age band of the backlog, as its figure's detail is called."""
    return f"{low}-{high} working days" if high else f"over {low - 1} working days"


# The first day of the period holding `counted_at`. A month's is found by arithmetic: over
# ten million records, date_trunc('month', ...) takes a third of a second longer.
PERIOD_START = {
    "day": "CAST(counted_at AS DATE)",
    "week": "CAST(date_trunc('week', counted_at) AS DATE)",
    "month": "CAST(counted_at AS DATE) - CAST(dayofmonth(counted_at) - 1 AS INTEGER)",
    "all": "NULL",
}
STAFF = frozenset({"team", "worker"})
ITEM_DIMS = frozenset({"team", "worker", "item_type", "need"})


@dataclass(frozen=True)
class Measure:
    name: str
    unit: str  # share, hours, minutes, days, items, money, count
    formula: str  # in words, as docs/kpis.md gives it
    records: str  # SQL: the records behind the figure, each with `at`
    value: str  # SQL aggregate over the records: the figure
    dims: frozenset[str]
    details: tuple[tuple[str, str, str], ...] = ()  # (name, unit, SQL aggregate)


@dataclass(frozen=True)
class Figure:
    measure: str
    period: date | None  # the first day of the period; None for all time
    group: str
    value: float | None
    unit: str
    records: int
    details: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Figures:
    as_of: datetime
    grain: str
    by: str | None
    figures: list[Figure]
    skipped: list[str]  # measures that are not defined by this grouping, with why


# Paid, available and handling hours: a roster day or a piece of work a row
WORK_TIME = """
    SELECT day AS counted_at, team, worker, paid_hours AS paid,
           paid_hours - shrinkage_hours AS available,
           0.0 AS handling, 0.0 AS earned, 0 AS completed, 'roster day' AS record,
           worker || ' ' || day AS ref FROM roster
    UNION ALL
    SELECT completed_at, team, worker, 0, 0, handling, 0, 0, 'piece of work',
           CAST(event_id AS VARCHAR)
    FROM work WHERE handling IS NOT NULL
"""
EARNED = (
    WORK_TIME
    + """
    UNION ALL
    SELECT i.closed_at, coalesce(w.team, '(no team)'), i.worker, 0, 0, 0, s.minutes / 60.0, 1,
           'item completed', CAST(i.item_id AS VARCHAR)
    FROM items i JOIN standard s USING (item_type) LEFT JOIN workers w ON w.worker = i.worker
    WHERE i.closed_at IS NOT NULL
"""
)
# Tables several measures share, made once per frame when a measure first needs one.
# A number for each activity and worker: grouping and sorting ten million pieces of work
# by a small number costs a fifth less than by its name
CODES = """
    SELECT {name}, CAST(row_number() OVER (ORDER BY {name}) AS INTEGER) AS code
    FROM (SELECT DISTINCT {name} FROM work WHERE {name} IS NOT NULL)
"""
# Each item's steps: the pieces of work of each activity (by its code), the first and
# last completed, and their handling time
STEPS = """
    SELECT w.item_id, a.code, count(*) AS n, min(w.completed_at) AS first_at,
           max(w.completed_at) AS last_at, sum(w.handling) AS handling
    FROM work w LEFT JOIN activity_codes a USING (activity)
    WHERE w.lifecycle = 'complete' AND w.item_id IS NOT NULL
    GROUP BY w.item_id, a.code
"""
# Each item's pieces of work, whether an activity was repeated, the last completed, and
# the handling time of them all
ITEM_WORK = """
    SELECT item_id, sum(n) AS touches, sum(n) > count(*) AS repeated, max(last_at) AS last_at,
           sum(handling) AS handling
    FROM steps GROUP BY item_id
"""
DONE_ITEMS = """
    SELECT i.closed_at AS counted_at, i.item_id, i.case_key, i.team, i.worker, i.item_type, i.need,
           i.received_at, i.closed_at,
           (i.closed_epoch - i.received_epoch) / 86400.0 AS calendar_days,
           c2.workday - c1.workday AS working_days, t.days AS target_days,
           coalesce(k.touches, 0) AS touches, coalesce(k.repeated, false) AS repeated,
           r.item_id IS NOT NULL AS reopened,
           coalesce(k.last_at > f.failed_at, false) AS qa_corrected,
           d.done_at IS NOT NULL AS completes_case
    FROM items i
    JOIN calendar c1 ON c1.day = CAST(i.received_at AS DATE)
    JOIN calendar c2 ON c2.day = CAST(i.closed_at AS DATE)
    JOIN targets t USING (item_type)
    LEFT JOIN item_work k USING (item_id)
    LEFT JOIN (SELECT DISTINCT item_id FROM reopened) r USING (item_id)
    LEFT JOIN (SELECT item_id, min(checked_at) AS failed_at FROM qa WHERE NOT passed
               GROUP BY item_id) f USING (item_id)
    LEFT JOIN case_done d ON d.case_key = i.case_key AND d.done_at = i.closed_at
                          AND d.last_item = i.item_id
    WHERE i.closed_at IS NOT NULL
"""
CASE_DONE = """
    SELECT case_key, any_value(coalesce(case_id, -item_id)) AS case_number,
           any_value(team) AS team, min(received_at) AS first_received,
           max(closed_at) AS done_at, arg_max(item_id, (closed_at, item_id)) AS last_item,
           min(received_epoch) AS first_epoch, max(closed_epoch) AS done_epoch
    FROM items GROUP BY case_key
    HAVING count(*) FILTER (WHERE closed_at IS NULL) = 0
"""
DONE_CASES = """
    SELECT d.done_at AS counted_at, d.case_key, d.team, d.first_received,
           (d.done_epoch - d.first_epoch) / 86400.0 AS calendar_days,
           c2.workday - c1.workday AS working_days, coalesce(k.touches, 0) AS touches,
           coalesce(k.handoffs, 0) AS handoffs
    FROM case_done d
    JOIN calendar c1 ON c1.day = CAST(d.first_received AS DATE)
    JOIN calendar c2 ON c2.day = CAST(d.done_at AS DATE)
    LEFT JOIN (SELECT case_number, count(*) AS touches,
                      count(*) FILTER (WHERE previous <> code) AS handoffs
               FROM (SELECT coalesce(w.case_id, -w.item_id) AS case_number, c.code,
                            lag(c.code) OVER (PARTITION BY coalesce(w.case_id, -w.item_id)
                                              ORDER BY w.completed_at, w.event_id) AS previous
                     FROM work w LEFT JOIN worker_codes c USING (worker)
                     WHERE w.lifecycle = 'complete')
               GROUP BY case_number) k USING (case_number)
"""
ITEMS_DONE = "SELECT * FROM done_items"
CASES_DONE = "SELECT * FROM done_cases"
# open items at the end of each period of {ends} (a table of `period_end` days)
OPEN_AT = """
    SELECT p.period_end AS counted_at, i.item_id, i.case_id, i.case_key, i.team, i.item_type,
           i.need, c2.workday - c1.workday AS age, s.minutes AS standard_minutes,
           t.days AS target_days
    FROM (SELECT period_end, period_end + INTERVAL 1 DAY AS period_over FROM {ends}) p
    JOIN (SELECT *, coalesce(closed_at, CASE WHEN status = 'open' THEN TIMESTAMP '9999-12-31' END)
                        AS open_until FROM items) i
      ON i.received_at <= p.period_over AND i.open_until > p.period_over
    JOIN calendar c1 ON c1.day = CAST(i.received_at AS DATE)
    JOIN calendar c2 ON c2.day = p.period_end
    LEFT JOIN standard s USING (item_type)
    JOIN targets t USING (item_type)
"""
NEEDED_SKILLS = """
    SELECT TIMESTAMP '{as_of}' AS counted_at, w.team, w.worker, n.item_type,
           coalesce(s.level, 0) >= 2 AS signed_off
    FROM (SELECT DISTINCT team, item_type FROM items
          WHERE status = 'open' OR received_at >= TIMESTAMP '{as_of}' - INTERVAL 90 DAY) n
    JOIN workers w USING (team)
    LEFT JOIN skills s ON s.worker = w.worker AND s.item_type = n.item_type
"""
DEMAND = """
    SELECT TIMESTAMP '{as_of}' AS counted_at, i.item_id, i.team, i.item_type, i.need,
           EXISTS (SELECT 1 FROM skills s JOIN workers w USING (worker)
                   WHERE w.team = i.team AND s.item_type = i.item_type AND s.level >= 2)
               AS competent
    FROM items i
    WHERE i.status = 'open' OR i.received_at >= TIMESTAMP '{as_of}' - INTERVAL 90 DAY
"""
COST = """
    SELECT day AS counted_at, team, worker, paid_hours * coalesce(cost_per_hour, 0) AS cost,
           0 AS tasks, 0 AS items, 0 AS cases, 'roster day' AS record FROM roster
    UNION ALL
    SELECT completed_at, team, worker, 0, 1, 0, 0, 'piece of work' FROM work
    WHERE lifecycle = 'complete' AND completed_at IS NOT NULL
    UNION ALL
    SELECT d.counted_at, coalesce(w.team, '(no team)'), d.worker, 0, 0, 1, completes_case::INT,
           'item completed'
    FROM done_items d LEFT JOIN workers w ON w.worker = d.worker
"""

MEASURES = (
    Measure("Staff competency", "share",
            "signed-off (worker, item type) pairs needed by the team's work / all such pairs",
            NEEDED_SKILLS, "avg(signed_off::INT)", frozenset({"team", "worker", "item_type"})),
    Measure("Staff competency (demand-weighted)", "share",
            "share of the team's work (open, or received in 90 days) that a signed-off "
            "worker of the team can do", DEMAND, "avg(competent::INT)",
            frozenset({"team", "item_type", "need"})),
    Measure("Shrinkage", "share", "shrinkage hours / paid hours",
            "SELECT day AS counted_at, * FROM roster",
            "sum(shrinkage_hours) / nullif(sum(paid_hours), 0)",
            STAFF, (("planned", "share", "sum(planned_hours) / nullif(sum(paid_hours), 0)"),
                    ("unplanned", "share", "sum(unplanned_hours) / nullif(sum(paid_hours), 0)"))),
    Measure("Productivity", "share", "standard time of items completed / available hours",
            EARNED, "sum(earned) / nullif(sum(available), 0)", STAFF,
            (("items per available hour", "count", "sum(completed) / nullif(sum(available), 0)"),
             )),
    Measure("Utilisation", "share", "handling time / paid hours", WORK_TIME,
            "sum(handling) / nullif(sum(paid), 0)", STAFF),
    Measure("Occupancy", "share", "handling time / available hours", WORK_TIME,
            "sum(handling) / nullif(sum(available), 0)", STAFF),
    Measure("Idle time", "hours", "available hours - handling time", WORK_TIME,
            "CASE WHEN sum(paid) > 0 THEN sum(available) - sum(handling) END", STAFF,
            (("share of available", "share",
              "(sum(available) - sum(handling)) / nullif(sum(available), 0)"),)),
    Measure("Throughput", "items", "items completed in the period", ITEMS_DONE, "count(*)",
            ITEM_DIMS, (("cases", "count", "sum(completes_case::INT)"),)),
    Measure("Backlog", "items", "open items at the end of the period",
            OPEN_AT.format(ends="period_ends"),
            "count(*)", frozenset({"team", "item_type", "need"}),
            (("cases", "count", "count(DISTINCT coalesce(case_id, -item_id))"),
             *((band_name(low, high), "items", f"count(*) FILTER (WHERE age >= {low}"
                + (f" AND age <= {high})" if high else ")")) for low, high in AGE_BANDS),
             ("work content", "hours", "sum(standard_minutes) / 60.0"))),
    Measure("Service level", "share",
            "items completed within their target working days of receipt / items completed",
            ITEMS_DONE, "avg((working_days <= target_days)::INT)", ITEM_DIMS),
    Measure("Service level (open items)", "share",
            "open items still within their target / open items, now",
            OPEN_AT.format(ends="(SELECT max(day) AS period_end FROM calendar)"),
            "avg((age <= target_days)::INT)", frozenset({"team", "item_type", "need"})),
    Measure("Average task time", "minutes", "mean handling time per piece of work",
            "SELECT completed_at AS counted_at, * FROM work WHERE handling IS NOT NULL",
            "avg(handling) * 60", frozenset(DIMENSIONS),
            (("median", "minutes", "quantile_cont(handling, 0.5) * 60"),
             ("90th percentile", "minutes", "quantile_cont(handling, 0.9) * 60"))),
    Measure("Cost per task", "money", "paid hours x cost per hour / pieces of work completed",
            COST, "sum(cost) / nullif(sum(tasks), 0)", STAFF,
            (("per item", "money", "sum(cost) / nullif(sum(items), 0)"),
             ("per case", "money", "sum(cost) / nullif(sum(cases), 0)"))),
    Measure("End-to-end time", "days", "completion - receipt per item, median (calendar days)",
            ITEMS_DONE, "median(calendar_days)", ITEM_DIMS,
            (("90th percentile", "days", "quantile_cont(calendar_days, 0.9)"),
             ("median working days", "days", "median(working_days)"),
             ("90th percentile working days", "days", "quantile_cont(working_days, 0.9)"))),
    Measure("End-to-end time per case", "days", "completion of the last item - receipt of "
            "the first, per case, median (calendar days)", CASES_DONE, "median(calendar_days)",
            frozenset({"team"}), (("90th percentile", "days", "quantile_cont(calendar_days, 0.9)"),
                                  ("median working days", "days", "median(working_days)"))),
    Measure("Re-work", "share", "items completed that were reopened, had an activity repeated, "
            "or failed QA and were corrected / items completed", ITEMS_DONE,
            "avg((reopened OR repeated OR qa_corrected)::INT)", ITEM_DIMS,
            (("reopened", "count", "sum(reopened::INT)"),
             ("activity repeated", "count", "sum(repeated::INT)"),
             ("failed QA, corrected", "count", "sum(qa_corrected::INT)"))),
    Measure("Touch points", "count", "pieces of work per item completed", ITEMS_DONE,
            "avg(touches)", ITEM_DIMS),
    Measure("Touch points per case", "count", "pieces of work per case completed; handoffs: "
            "changes of worker within the case", CASES_DONE, "avg(touches)", frozenset({"team"}),
            (("handoffs", "count", "avg(handoffs)"),)),
    Measure("Process adherence", "share", "items completed whose activities fit their item "
            "type's process model / items completed",
            "SELECT d.*, c.conforming, c.deviations FROM done_items d JOIN conformance c "
            "USING (item_id)", "avg(conforming::INT)", ITEM_DIMS),
    Measure("Quality", "share", "QA checks passed / QA checks",
            "SELECT checked_at AS counted_at, * FROM qa", "avg(passed::INT)", ITEM_DIMS,
            (("mean score", "score", "avg(score)"),)),
)  # fmt: skip
BY_NAME = {measure.name.casefold(): measure for measure in MEASURES}


def prepare(frame: Frame, grain: str, measures: list[Measure]) -> None:
    """The last day of each period of `grain`, and the shared tables `measures` use (made
    once per frame): the settings' standard times and targets, completed items and cases,
    and each completed item's conformance to its process model."""
    _period_ends(frame, grain)
    used = " ".join(_records(frame, measure) for measure in measures)
    for name in SHARED:
        if re.search(rf"\b{name}\b", used):
            _make(frame, name)


def _make(frame: Frame, name: str) -> None:
    """The shared table `name`, after the tables it is made from."""
    if name not in frame.made:
        needs, make = SHARED[name]
        for each in needs:
            _make(frame, each)
        make(frame)
        frame.made.add(name)


def _standard(frame: Frame) -> None:
    given = frame.settings.standard_times
    frame.db.register("given_standard", pa.table({"item_type": list(given),
                                                  "minutes": list(given.values())}))  # fmt: skip
    frame.db.execute("""
        CREATE OR REPLACE TABLE standard AS
        WITH types AS (SELECT DISTINCT item_type FROM items),
        measured AS (
            SELECT i.item_type, median(w.handling) * 60 AS minutes
            FROM item_work w JOIN items i USING (item_id)
            WHERE i.closed_at IS NOT NULL AND w.handling IS NOT NULL
            GROUP BY i.item_type)
        SELECT t.item_type, coalesce(g.minutes, m.minutes) AS minutes,
               g.minutes IS NOT NULL AS given
        FROM types t LEFT JOIN given_standard g USING (item_type)
        LEFT JOIN measured m USING (item_type)
    """)


def _targets(frame: Frame) -> None:
    targets = frame.settings.service_levels
    default = frame.settings.service_level_days
    frame.db.register("given_targets", pa.table({"item_type": list(targets),
                                                 "days": list(targets.values())}))  # fmt: skip
    frame.db.execute(f"""
        CREATE OR REPLACE TABLE targets AS
        SELECT t.item_type, coalesce(g.days, {float(default)}) AS days
        FROM (SELECT DISTINCT item_type FROM items) t LEFT JOIN given_targets g USING (item_type)
    """)


def _coded(name: str) -> Callable[[Frame], None]:
    return _made(f"{name}_codes", CODES.format(name=name))


def _made(name: str, query: str) -> Callable[[Frame], None]:
    def make(frame: Frame) -> None:
        frame.db.execute(f"CREATE OR REPLACE TABLE {name} AS {query}")

    return make


# name: (the tables it is made from, how it is made)
SHARED: dict[str, tuple[tuple[str, ...], Callable[[Frame], None]]] = {
    "activity_codes": ((), _coded("activity")),
    "worker_codes": ((), _coded("worker")),
    "steps": (("activity_codes",), _made("steps", STEPS)),
    "item_work": (("steps",), _made("item_work", ITEM_WORK)),
    "standard": (("item_work",), _standard),
    "targets": ((), _targets),
    "case_done": ((), _made("case_done", CASE_DONE)),
    "done_items": (("item_work", "targets", "case_done"), _made("done_items", DONE_ITEMS)),
    "done_cases": (("case_done", "worker_codes"), _made("done_cases", DONE_CASES)),
    "conformance": (("activity_codes", "steps"), conformance),
}


def compute(
    frame: Frame, grain: str = "month", by: str | None = None, only: tuple[str, ...] = ()
) -> Figures:
    """Every measure (or those named in `only`) per period of `grain` and group of `by`."""
    _check(grain, by)
    chosen = _chosen(only)
    prepare(frame, grain, chosen)
    skipped = []
    alike: dict[str, list[Measure]] = {}  # measures of the same records, computed together
    for measure in chosen:
        if by is not None and by not in measure.dims:
            skipped.append(f"{measure.name}: not by {by.replace('_', ' ')}")
        else:
            alike.setdefault(measure.records, []).append(measure)
    found: dict[str, list[Figure]] = {}
    for measures in alike.values():
        found.update(_figures(frame, measures, grain, by))
    figures = [figure for measure in chosen for figure in found.get(measure.name, [])]
    return Figures(frame.as_of, grain, by, figures, skipped)


def drill(
    frame: Frame,
    measure_name: str,
    grain: str = "month",
    by: str | None = None,
    period: date | None = None,
    group: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The records behind one figure (its measure, the period holding the day `period`,
    and its group), each item with its source and the source's reference: every record,
    or `limit` of them from `offset`, in a total order (so that pages of them meet)."""
    query, params, columns = _drilled(frame, measure_name, grain, by, period, group)
    order = ", ".join(["counted_at", *(f'"{c}"' for c in columns if c != "counted_at")])
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    result = frame.db.execute(f"{query} ORDER BY {order}{page}", params)
    return columns, result.fetchall()


def drill_count(
    frame: Frame,
    measure_name: str,
    grain: str = "month",
    by: str | None = None,
    period: date | None = None,
    group: str | None = None,
) -> int:
    """How many records `drill` would give, all of them."""
    query, params, _ = _drilled(frame, measure_name, grain, by, period, group)
    return int(frame.db.execute(f"SELECT count(*) FROM ({query})", params).fetchall()[0][0])


def _drilled(
    frame: Frame,
    measure_name: str,
    grain: str,
    by: str | None,
    period: date | None,
    group: str | None,
) -> tuple[str, list[Any], list[str]]:
    """The query of a figure's records, its parameters and its columns."""
    _check(grain, by)
    (measure,) = _chosen((measure_name,))
    prepare(frame, grain, [measure])
    where: list[str] = []
    params: list[Any] = []
    if period is not None and grain != "all":
        where.append(
            f"{PERIOD_START[grain]} = CAST(date_trunc('{grain}', CAST(? AS DATE)) AS DATE)"
        )
        params.append(period)
    if by is not None and group is not None:
        where.append(f"CAST({by} AS VARCHAR) = ?")
        params.append(group)
    records = f"SELECT * FROM ({_records(frame, measure)}) r" + (
        f" WHERE {' AND '.join(where)}" if where else ""
    )
    columns = [row[0] for row in frame.db.execute(f"DESCRIBE {records}", params).fetchall()]
    if "item_id" in columns and "source_ref" not in columns and _has_refs(frame):
        at = columns.index("item_id") + 1
        picked = [f'r."{c}"' for c in columns[:at]] + ["s.source", "s.source_ref"]
        picked += [f'r."{c}"' for c in columns[at:]]
        records = (f"SELECT {', '.join(picked)} FROM ({records}) r "
                   "LEFT JOIN items s ON s.item_id = r.item_id")  # fmt: skip
        columns[at:at] = ["source", "source_ref"]
    return records, params, columns


def _has_refs(frame: Frame) -> bool:
    """The frame's items carry their source's references (not in Parquet saved before)."""
    query = ("SELECT 1 FROM information_schema.columns WHERE table_name = 'items' "
             "AND column_name = 'source_ref'")  # fmt: skip
    return bool(frame.db.execute(query).fetchall())


def team_workers(frame: Frame, team: str) -> frozenset[str]:
    """The workers of one team, as the frame's records name them."""
    rows = frame.db.execute("SELECT worker FROM workers WHERE team = ?", [team]).fetchall()
    return frozenset(worker for (worker,) in rows)


def _figures(
    frame: Frame, measures: list[Measure], grain: str, by: str | None
) -> dict[str, list[Figure]]:
    """The figures of measures that share their records, from one pass over them."""
    period = PERIOD_START[grain]
    group = f"coalesce(CAST({by} AS VARCHAR), '(none)')" if by else "'all'"
    values = [sql for m in measures for sql in (m.value, *(sql for _, _, sql in m.details))]
    query = (
        f"SELECT {period} AS period, {group} AS grp, count(*) AS n, {', '.join(values)} "
        f"FROM ({_records(frame, measures[0])}) r GROUP BY ALL ORDER BY period, grp"
    )
    found: dict[str, list[Figure]] = {measure.name: [] for measure in measures}
    for period_start, grp, count, *numbers in frame.db.execute(query).fetchall():
        given = iter(numbers)
        for m in measures:
            value = _number(next(given))
            named = {name: _number(next(given)) for name, _, _ in m.details}
            found[m.name].append(
                Figure(m.name, period_start, grp, value, m.unit, int(count), named)
            )
    return found


def _records(frame: Frame, measure: Measure) -> str:
    return measure.records.format(as_of=frame.as_of.isoformat(" "))


def _period_ends(frame: Frame, grain: str) -> None:
    """The last day of each period (up to the as-of day), for measures at a point in time."""
    unit = "month" if grain == "all" else grain
    query = "CREATE OR REPLACE TABLE period_ends AS SELECT max(day) AS period_end FROM calendar" + (
        "" if grain == "all" else f" GROUP BY date_trunc('{unit}', day)"
    )
    frame.db.execute(query)


def _chosen(only: tuple[str, ...]) -> list[Measure]:
    if not only:
        return list(MEASURES)
    unknown = [name for name in only if name.casefold() not in BY_NAME]
    if unknown:
        raise KinfoldError(
            f"There is no measure '{unknown[0]}'.",
            f"The measures are: {', '.join(measure.name for measure in MEASURES)}.",
        )
    return [BY_NAME[name.casefold()] for name in only]


def _check(grain: str, by: str | None) -> None:
    if grain not in GRAINS:
        raise KinfoldError(f"'{grain}' is not a period.", f"Choose one of: {', '.join(GRAINS)}.")
    if by is not None and by not in DIMENSIONS:
        raise KinfoldError(f"Figures cannot be grouped by '{by}'.",
                           f"Choose one of: {', '.join(DIMENSIONS)}.")  # fmt: skip


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
