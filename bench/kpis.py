"""The sixteen measures over 10,000,000 pieces of work, and kinfold against pm4py on a
real log.

    .venv/bin/python -m bench.kpis [--events 10000000] [--runs 3]

Targets (measure issue): all sixteen measures over 10,000,000 events in at most 15 s
(DuckDB over Parquet); and on the real log (BPI Challenge 2012, from ../shared/data)
the ratio of kinfold's time to pm4py's for the measures both compute.

The large log is made once into `bench/out/kpis-<events>/` as Parquet files in the
shapes `Frame.save` writes (checked against a frame of a real workspace): 1,000 workers
in 100 teams, two years of rosters with shrinkage, items of 20 types folded two to a
case, each with eight pieces of work drawn from its type's process (some steps repeated,
skipped or swapped, so re-work and adherence have something to find), one item in
thirty QA-checked and one in a hundred reopened. Each timed run is a process of its
own: read the Parquet files, compute every measure by month (and again by team).

On BPI 2012 both sides compute: case count, end-to-end time (median and 90th
percentile), re-work, touch points and handling time per activity. pm4py's side reads
the XES file and computes them as the test `tests/measure/test_against_pm4py.py` does;
kinfold's side reads the same file into a workspace (`import_event_log`) and computes
them from the store. Both are timed from the file, and again from data already loaded
(pm4py's event log in memory; kinfold's store).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
from tests.conftest import shared_data
from tests.measure.test_against_pm4py import pm4py_work

from bench.common import OUT, machine, median, record, run_measured
from kinfold.measure.frame import TABLES, from_parquet, from_store
from kinfold.measure.kpis import MEASURES, compute
from kinfold.settings import Settings
from kinfold.workspace import init_workspace

WORKERS, TEAMS, TYPES, STEPS = 1_000, 100, 20, 8
DAYS = 730
TARGET = 15  # seconds, all the measures over 10,000,000 pieces of work
BOTH = ("Throughput", "End-to-end time", "Re-work", "Touch points")

# One generator per table, over `range`; {items} is the number of items.
DAYS_SQL = f"""
    SELECT CAST(t.day AS DATE) AS day
    FROM range(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01' + INTERVAL {DAYS} DAY,
               INTERVAL 1 DAY) t(day)
    WHERE dayofweek(t.day) BETWEEN 1 AND 5"""
MAKE = {
    "workers": f"""
        SELECT 'w' || lpad(CAST(n AS VARCHAR), 4, '0') AS worker,
               'Team ' || (n % {TEAMS}) AS team
        FROM range({WORKERS}) t(n)""",
    "items": f"""
        SELECT *, 'bench' AS source, 'B-' || item_id AS source_ref,
               epoch(received_at) AS received_epoch, epoch(closed_at) AS closed_epoch
        FROM (SELECT n AS item_id, n // 2 AS case_id, 'case ' || (n // 2) AS case_key,
               'Type ' || (hash(n // 2) % {TYPES}) AS item_type,
               CASE hash(n // 2) % 3 WHEN 0 THEN 'money' WHEN 1 THEN 'housing'
                    ELSE 'health' END AS need,
               'Team ' || ((n // 2) % {TEAMS}) AS team, received_at,
               CASE WHEN open THEN NULL ELSE received_at + to_minutes(
                   CAST(60 + hash(n, 'e2e') % (60 * 24 * 40) AS BIGINT)) END AS closed_at,
               CASE WHEN open THEN 'open' ELSE 'closed' END AS status,
               received_at + INTERVAL 20 DAY AS due_at, worker
        FROM (SELECT n, TIMESTAMP '2024-01-01' + to_minutes(
                        CAST(hash(n // 2, 'in') % (60 * 24 * ({DAYS} - 45)) AS BIGINT))
                        AS received_at,
                     hash(n, 'open') % 10 = 0 AS open,
                     'w' || lpad(CAST((n // 2) % {TEAMS} + {TEAMS} * (hash(n) % 10) AS VARCHAR),
                                 4, '0') AS worker
              FROM range({{items}}) t(n)))""",
    # the k-th piece of work of an item: its type's k-th step, now and then another
    "work": f"""
        SELECT i.item_id * {STEPS} + k AS event_id, i.item_id, i.case_id, i.case_key,
               i.item_type, i.need, i.team AS case_team, i.team,
               i.worker, CASE WHEN hash(i.item_id, k) % 25 = 0 THEN 'Step ' || (k + 1) % {STEPS}
                              ELSE 'Step ' || k END AS activity, 'complete' AS lifecycle,
               done - to_minutes(CAST(5 + hash(i.item_id, k, 'h') % 55 AS BIGINT)) AS started_at,
               done AS completed_at,
               (5 + hash(i.item_id, k, 'h') % 55) / 60.0 AS handling, true AS known_worker
        FROM items i, range({STEPS}) s(k),
             LATERAL (SELECT i.received_at + to_microseconds(CAST(
                 (epoch_us(coalesce(i.closed_at, i.received_at + INTERVAL 10 DAY))
                  - epoch_us(i.received_at)) * (k + 1.0) / {STEPS} AS BIGINT)) AS done)""",
    "roster": """
        SELECT w.worker, w.team, d.day, 7.4 AS paid_hours, 18.5 AS cost_per_hour,
               coalesce(s.hours, 0) AS shrinkage_hours,
               CASE WHEN s.category = 'annual_leave' THEN s.hours ELSE 0 END AS planned_hours,
               CASE WHEN s.category = 'sickness' THEN s.hours ELSE 0 END AS unplanned_hours
        FROM workers w CROSS JOIN days d
        LEFT JOIN shrinkage s ON s.worker = w.worker AND s.day = d.day""",
    "shrinkage": """
        SELECT w.worker, w.team, d.day,
               CASE WHEN hash(w.worker, d.day) % 3 = 0 THEN 'sickness' ELSE 'annual_leave' END
                   AS category, 7.4 AS hours
        FROM workers w, days d WHERE hash(w.worker, d.day, 's') % 12 = 0""",
    "qa": """
        SELECT item_id, worker, team, item_type, need, closed_at + INTERVAL 1 DAY AS checked_at,
               hash(item_id, 'qa') % 10 <> 0 AS passed,
               CAST(hash(item_id, 'score') % 101 AS DOUBLE) AS score,
               CASE WHEN hash(item_id, 'qa') % 10 = 0 THEN 'wrong amount' END AS reason
        FROM items WHERE closed_at IS NOT NULL AND item_id % 30 = 0""",
    "skills": f"""
        SELECT w.worker, w.team, 'Type ' || t AS item_type,
               CAST(hash(w.worker, t) % 4 AS INTEGER) AS level
        FROM workers w, range({TYPES}) s(t)""",
    "reopened": """
        SELECT item_id, closed_at - INTERVAL 1 DAY AS reopened_at FROM items
        WHERE closed_at IS NOT NULL AND item_id % 100 = 7""",
}


def make_log(events: int) -> Path:
    """The Parquet files of a log of `events` pieces of work (kept; made once)."""
    folder = OUT / f"kpis-{events}"
    if all((folder / f"{name}.parquet").exists() for name in TABLES):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    db = duckdb.connect()
    db.execute(f"CREATE TABLE days AS {DAYS_SQL}")
    shapes = _real_shapes()
    order = ("workers", "items", "work", "shrinkage", "roster", "qa", "skills", "reopened")
    for name in order:
        query = MAKE[name].format(items=events // STEPS)
        made = [column[0] for column in db.execute(f"{query} LIMIT 0").description]
        assert made == [column for column, _ in shapes[name]], (name, made, shapes[name])
        columns = ", ".join(f"{column} {kind}" for column, kind in shapes[name])
        db.execute(f"CREATE TABLE {name} ({columns})")
        db.execute(f"INSERT INTO {name} {query}")
        db.execute(f"COPY {name} TO '{folder / name}.parquet' (FORMAT parquet)")
    print(f"made {events:,} pieces of work in {time.perf_counter() - started:.1f} s")
    return folder


def _real_shapes() -> dict[str, list[tuple[str, str]]]:
    """The columns and types of each table of a real workspace's frame."""
    with tempfile.TemporaryDirectory() as folder:
        workspace = init_workspace(Path(folder) / "workspace")
        real = from_store(workspace.engine, workspace.settings)
        workspace.close()
        return {name: [(row[0], row[1]) for row in real.sql(f"DESCRIBE {name}")]
                for name in TABLES}  # fmt: skip


def measure_once(folder: Path, by: str | None) -> None:
    """One timed run (in its own process): read the files, compute every measure."""
    started = time.perf_counter()
    frame = from_parquet(folder, Settings())
    figures = compute(frame, "month", by)
    seconds = time.perf_counter() - started
    names = {figure.measure for figure in figures.figures}
    assert names | {s.split(":")[0] for s in figures.skipped} == {m.name for m in MEASURES}
    print(f"{seconds:.3f} {len(figures.figures)} {len(names)}")


def pm4py_side(xes: Path) -> tuple[float, float, dict[str, float]]:
    """Seconds to read, seconds to compute, and the figures, pm4py's way."""
    import pm4py

    started = time.perf_counter()
    log = pm4py.read_xes(str(xes), return_legacy_log_object=True, show_progress_bar=False)
    read = time.perf_counter() - started
    started = time.perf_counter()
    durations, work, handled = pm4py_work(log)
    means = {activity: statistics.mean(minutes) for activity, minutes in handled.items()}
    figures = {
        "cases": len(log),
        "median": float(np.median(durations)),
        "p90": float(np.percentile(durations, 90)),
        "rework": sum(len(set(names)) < len(names) for names in work) / len(work),
        "touches": statistics.mean(map(len, work)),
        "handling": statistics.mean(m for minutes in handled.values() for m in minutes),
        "activities": len(means),
    }
    return read, time.perf_counter() - started, figures


def kinfold_side(xes: Path, folder: Path) -> tuple[float, float, dict[str, float]]:
    """Seconds to import, seconds to compute (from the store), and the figures."""
    from kinfold.ingest.eventlog import import_event_log

    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    workspace = init_workspace(folder)
    import_event_log(workspace.engine, xes, "bpi", add_items=True, item_type="Loan")
    read = time.perf_counter() - started
    started = time.perf_counter()
    frame = from_store(workspace.engine, workspace.settings)
    found = {f.measure: f for f in compute(frame, "all", None, BOTH).figures}
    by_activity = compute(frame, "all", "activity", ("Average task time",)).figures
    seconds = time.perf_counter() - started
    (total,) = frame.db.execute("SELECT avg(handling) * 60 FROM work").fetchone() or (None,)
    workspace.close()
    e2e = found["End-to-end time"]
    figures = {
        "cases": found["Throughput"].value or 0,
        "median": e2e.value or 0,
        "p90": e2e.details["90th percentile"] or 0,
        "rework": found["Re-work"].value or 0,
        "touches": found["Touch points"].value or 0,
        "handling": float(total or 0),
        "activities": len(by_activity),
    }
    return read, seconds, figures


def against_pm4py(runs: int) -> str:
    source = shared_data("BPI_Challenge_2012.xes.gz")
    work = Path(tempfile.mkdtemp(prefix="kinfold-kpis-"))
    xes = work / "bpi.xes"
    xes.write_bytes(gzip.decompress(source.read_bytes()))
    theirs: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for run in range(runs):
            read, seconds, pm4py_figures = pm4py_side(xes)
            theirs.append((read, seconds))
            read, seconds, kinfold_figures = kinfold_side(xes, work / "workspace")
            ours.append((read, seconds))
            print(f"run {run + 1}: pm4py {theirs[-1]}, kinfold {ours[-1]}", flush=True)
    shutil.rmtree(work)
    for name, value in pm4py_figures.items():
        assert abs(kinfold_figures[name] - value) <= 1e-6 * max(1, abs(value)), (
            name,
            kinfold_figures[name],
            value,
        )

    def med(pairs: list[tuple[float, float]], which: int) -> float:
        return median([pair[which] for pair in pairs])

    read_p, compute_p = med(theirs, 0), med(theirs, 1)
    read_k, compute_k = med(ours, 0), med(ours, 1)
    whole_p = median([a + b for a, b in theirs])
    whole_k = median([a + b for a, b in ours])
    figures = pm4py_figures
    return f"""
BPI Challenge 2012 ({figures["cases"]:,.0f} cases, 262,200 events), {runs} runs, medians;
both sides give the same figures (checked in the run): end-to-end median
{figures["median"]:.5f} days, 90th percentile {figures["p90"]:.4f} days, re-work
{figures["rework"]:.5f}, touch points {figures["touches"]:.4f}, mean handling time
{figures["handling"]:.4f} minutes over {figures["activities"]:.0f} activities.

| step | pm4py | kinfold | ratio kinfold / pm4py |
| --- | --- | --- | --- |
| read the XES file (pm4py: into memory; kinfold: into a workspace, SQLite) | {read_p:.1f} s | {read_k:.1f} s | {read_k / read_p:.2f}x |
| compute the measures both compute (kinfold: from the store, frame included) | {compute_p:.2f} s | {compute_k:.2f} s | {compute_k / compute_p:.2f}x |
| from the file to the figures | {whole_p:.1f} s | {whole_k:.1f} s | {whole_k / whole_p:.2f}x |
"""  # noqa: E501


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--once", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--by", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        measure_once(args.once, args.by)
        return
    folder = make_log(args.events)
    rows = []
    for by in (None, "team"):
        command = [sys.executable, "-m", "bench.kpis", "--once", str(folder)]
        runs = [run_measured(command + (["--by", by] if by else [])) for _ in range(args.runs)]
        inner = [float(run.output.split()[-3]) for run in runs]
        count = runs[0].output.split()[-2]
        print(f"by {by or 'nothing'}: {inner}", flush=True)
        verdict = "met" if median(inner) <= TARGET else "NOT met"
        rows.append(
            f"| by month{', by team' if by else ''} | {count} | {median(inner):.1f} s "
            f"({', '.join(f'{s:.1f}' for s in inner)}) | "
            f"{median([run.seconds for run in runs]):.1f} s | "
            f"{max(run.peak_mb for run in runs):,.0f} MB | {verdict} |"
        )
    pm4py_table = against_pm4py(args.runs)
    record(
        "kpis",
        f"""
## Measures: `bench/kpis.py`

{date.today().isoformat()}, {machine()}. {args.events:,} pieces of work
({args.events // STEPS:,} items, {WORKERS:,} workers in {TEAMS} teams, {DAYS} days of
rosters) as Parquet; each run a process of its own that reads the files and computes all
sixteen measures ({len(MEASURES)} with the per-case, open-item and demand-weighted
variants).

| measures | figures | read + compute, median (runs) | process wall time, median | peak memory | at most {TARGET} s |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

{pm4py_table}
""",  # noqa: E501
    )


if __name__ == "__main__":
    main()
