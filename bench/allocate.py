"""Re-ranking a large backlog, and get-next latency with 50 workers asking at once.

    .venv/bin/python -m bench.allocate [--items 1000000] [--cases 200000] [--runs 3]
    make bench-allocate   # the same, with a throwaway PostgreSQL for the get-next half

Targets (prioritise and allocate issue): re-rank 200,000 cases (1,000,000 items) in at
most 20 s; get-next p99 at most 50 ms with 50 concurrent workers on PostgreSQL, at most
100 ms on SQLite.

The re-rank store is the demo's items imported with `kinfold import`, folded into
exactly `--cases` cases by address (people and households from the same rows), so the
rule meets real flags, due dates, needs and ages. Get-next runs against a backlog of
20,000 ranked cases in one team of 50 skilled workers; each worker asks 40 times, and
every call's latency (from asking to being given a case) is kept, after one round that
warms the connection pool (PostgreSQL plans a statement afresh for each new connection's
first few uses; a running service has done that long before). PostgreSQL is used
when `KINFOLD_TEST_POSTGRES_URL` names a server (the make target starts one).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy import Engine
from tests.allocate.stock import backlog

from bench.common import machine, median, record
from bench.import_speed import make_file
from kinfold.allocate.backlog import refresh
from kinfold.allocate.next import get_next
from kinfold.ingest.importer import import_items
from kinfold.priority.run import prioritise
from kinfold.settings import Settings
from kinfold.store.database import DATABASE_URL_ENV
from kinfold.workspace import init_workspace

CREW, ASKS, BACKLOG = 50, 40, 20_000
SETTINGS = Settings.parse({"allocate": {"work in progress cap": 1_000}})


def rerank_store(folder: Path, file: Path, case_count: int) -> Engine:
    """A workspace of the file's items folded into `case_count` cases by address."""
    workspace = init_workspace(folder)
    import_items(workspace.engine, file, "bench", actor="bench")
    key = "lower(coalesce(postcode, '')) || '|' || lower(coalesce(address_line_1, ''))"
    with workspace.engine.begin() as conn:
        modulo = "%%" if conn.dialect.name == "postgresql" else "%"  # psycopg's placeholders
        for statement in (
            f"CREATE TEMP TABLE homes AS SELECT key, (ROW_NUMBER() OVER (ORDER BY key) - 1) "
            f"{modulo} {case_count} + 1 AS case_id FROM (SELECT DISTINCT {key} AS key FROM items) "
            "AS keys",
            "CREATE INDEX homes_key ON homes (key)",
            f"UPDATE items SET case_id = (SELECT case_id FROM homes WHERE homes.key = {key})",
            "UPDATE items SET household_id = case_id",
            "INSERT INTO households (id, address, postcode_sector, person_count) "
            "SELECT case_id, min(address_line_1), min(substr(postcode, 1, length(postcode) - 2)), "
            "count(DISTINCT coalesce(last_name, '') || coalesce(date_of_birth, '')) "
            "FROM items GROUP BY case_id",
            # one person per date of birth in a household (mistyped dates make a few more)
            "INSERT INTO people (first_name, last_name, date_of_birth, household_id, item_count) "
            "SELECT min(first_name), min(last_name), date_of_birth, case_id, count(*) "
            "FROM items GROUP BY case_id, date_of_birth",
            "INSERT INTO cases (id, household_id, status, open_items, created_at, updated_at) "
            "SELECT case_id, case_id, CASE WHEN sum(CASE WHEN status = 'open' THEN 1 ELSE 0 END) "
            "> 0 THEN 'open' ELSE 'closed' END, sum(CASE WHEN status = 'open' THEN 1 ELSE 0 END), "
            "min(received_at), min(received_at) FROM items GROUP BY case_id",
        ):
            conn.exec_driver_sql(statement)
    return workspace.engine


def time_rerank(engine: Engine, runs: int) -> tuple[list[float], list[float], int, int, int]:
    """Seconds of `prioritise` alone and of the whole refresh (owners, routing, ranking)."""
    alone, whole = [], []
    ranked = 0
    for _ in range(runs):
        started = time.perf_counter()
        ranked = prioritise(engine, "bench").cases
        alone.append(time.perf_counter() - started)
        started = time.perf_counter()
        refresh(engine, Settings(), "bench")
        whole.append(time.perf_counter() - started)
    with engine.connect() as conn:
        item_count = conn.exec_driver_sql("SELECT count(*) FROM items").scalar_one()
        people = conn.exec_driver_sql("SELECT count(*) FROM people").scalar_one()
    return alone, whole, ranked, item_count, people


def time_get_next(engine: Engine) -> list[float]:
    """Every get-next call's seconds, 50 workers asking 40 times each, all at once."""
    latencies: list[float] = []
    given: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(CREW)

    def work(worker_ref: str) -> None:
        start.wait()
        for _ in range(ASKS):
            asked = time.perf_counter()
            try:
                case = get_next(engine, worker_ref, SETTINGS, date.today()).case_id
            except BaseException as error:
                failures.append(error)
                return
            latencies.append(time.perf_counter() - asked)
            given.append(case)

    threads = [threading.Thread(target=work, args=(f"W{n:02d}",)) for n in range(1, CREW + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"get next failed: {failures[0]!r}")
    assert len(given) == len(set(given)) == CREW * ASKS, "a case was given twice"
    return latencies


def runs_text(seconds: list[float]) -> str:
    return ", ".join(f"{value:.1f}" for value in seconds)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=1000)[round(share * 1000) - 1]


def get_next_runs(runs: int, postgres_url: str | None) -> dict[str, list[list[float]]]:
    found: dict[str, list[list[float]]] = {}
    for backend in ("sqlite", "postgresql") if postgres_url else ("sqlite",):
        folder = Path(tempfile.mkdtemp(prefix="kinfold-bench-next-"))
        database = None
        try:
            if backend == "postgresql":
                assert postgres_url is not None
                database = f"bench_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(postgres_url, autocommit=True) as server:
                    server.execute(f"CREATE DATABASE {database}")
                os.environ[DATABASE_URL_ENV] = postgres_url.rsplit("/", 1)[0] + f"/{database}"
            workspace = init_workspace(folder)
            backlog(workspace.engine, BACKLOG, CREW)  # the get-next tests' backlog, larger
            found[backend] = []
            for run in range(runs + 1):
                # each run starts with no case owned, so every run meets the same backlog
                with workspace.engine.begin() as conn:
                    conn.exec_driver_sql("UPDATE cases SET owner_id = NULL, owner_since = NULL, "
                                         "work_state = 'unallocated'")  # fmt: skip
                latencies = time_get_next(workspace.engine)
                if run:  # the first round warms the pool's connections, as a running service has
                    found[backend].append(latencies)
            workspace.close()
        finally:
            os.environ.pop(DATABASE_URL_ENV, None)
            shutil.rmtree(folder, ignore_errors=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    postgres_url = os.environ.get("KINFOLD_TEST_POSTGRES_URL")

    folder = Path(tempfile.mkdtemp(prefix="kinfold-bench-rerank-"))
    try:
        engine = rerank_store(folder, make_file(options.items), options.cases)
        alone, whole, ranked, item_count, people = time_rerank(engine, options.runs)
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"re-rank of {ranked:,} open cases ({item_count:,} items): {alone} s; "
          f"with owners and routing {whole} s")  # fmt: skip

    latencies = get_next_runs(options.runs, postgres_url)
    rows = []
    for backend, runs in latencies.items():
        p50 = median([percentile(run, 0.5) * 1000 for run in runs])
        p95 = median([percentile(run, 0.95) * 1000 for run in runs])
        p99 = median([percentile(run, 0.99) * 1000 for run in runs])
        target = 50 if backend == "postgresql" else 100
        verdict = "met" if p99 <= target else "NOT met"
        rows.append(f"| {backend} | {p50:.1f} ms | {p95:.1f} ms | {p99:.1f} ms | "
                    f"at most {target} ms: **{verdict}** |")  # fmt: skip
        print(backend, [round(percentile(run, 0.99) * 1000, 1) for run in runs])
    if not postgres_url:
        rows.append("| postgresql | not run: no `KINFOLD_TEST_POSTGRES_URL` (use `make "
                    "bench-allocate`) | | | |")  # fmt: skip
    rerank = median(alone)
    record("allocate", f"""
## Re-rank and get next (`bench/allocate.py`)

{date.today().isoformat()}, {machine()}. Median of {options.runs} runs.

Re-rank: {ranked:,} open cases of {options.cases:,} ({item_count:,} demo items, {people:,}
people) scored and ordered under the default rule, SQLite: **{rerank:.1f} s**
(runs: {runs_text(alone)});
with ownership settled and every case routed as well: {median(whole):.1f} s.
Target at most 20 s: **{"met" if rerank <= 20 else "NOT met"}**.

Get next: {CREW} workers asking {ASKS} times each, all at once, over {BACKLOG:,} ranked
cases; latency of each call from asking to being given a case; no case given twice.

| database | p50 | p95 | p99 | target |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}
""")  # fmt: skip


if __name__ == "__main__":
    main()
