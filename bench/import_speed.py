"""Import 1,000,000 canonical CSV rows into a SQLite workspace: time and peak memory,
against DuckDB's read_csv of the same file (the floor for just parsing it), same run.

    .venv/bin/python -m bench.import_speed [--rows 1000000] [--runs 3]

Target (foundation issue): at most 60 s and 2 GB peak memory for 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from bench.common import OUT, Run, machine, median, record, run_measured
from kinfold.demo.files import canonical_row, demo_items
from kinfold.ingest.fields import CANONICAL

TODAY = date(2026, 11, 22)
KINFOLD = str(Path(sys.executable).with_name("kinfold"))


def make_file(rows: int) -> Path:
    """Demo items in the canonical layout, as one source; made once and kept in bench/out."""
    path = OUT / f"canonical-{rows}.csv"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CANONICAL)
        items = demo_items(households=rows, seed=1, today=TODAY)
        writer.writerows(canonical_row(item, "bench") for item in itertools.islice(items, rows))
    partial.rename(path)
    return path


def duckdb_read(path: Path) -> float:
    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute(
        f"create table items as select * from read_csv('{path}', header = true, all_varchar = true)"
    )
    counted = connection.execute("select count(*) from items").fetchone()
    connection.close()
    assert counted is not None
    return time.perf_counter() - started


def kinfold_import(path: Path, rows: int) -> tuple[Run, Run]:
    """A first import into a new workspace, then the same file again (all unchanged)."""
    folder = Path(tempfile.mkdtemp(prefix="kinfold-bench-"))
    command = [KINFOLD, "import", str(path), "--source", "bench", "--workspace", str(folder)]
    try:
        run_measured([KINFOLD, "init", str(folder)], env={"KINFOLD_DATABASE_URL": ""})
        first = run_measured(command, env={"KINFOLD_DATABASE_URL": ""})
        again = run_measured(command, env={"KINFOLD_DATABASE_URL": ""})
    finally:
        shutil.rmtree(folder)
    for run in (first, again):
        if f"read {rows:,} ·" not in run.output:
            raise RuntimeError(f"unexpected import result:\n{run.output}")
    return first, again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    path = make_file(options.rows)
    size_mb = path.stat().st_size / 2**20
    print(f"{path} ({size_mb:.0f} MB)")

    firsts, agains, ducks = [], [], []
    for attempt in range(1, options.runs + 1):
        first, again = kinfold_import(path, options.rows)
        firsts.append(first)
        agains.append(again)
        ducks.append(duckdb_read(path))
        print(
            f"run {attempt}: import {first.seconds:.1f} s (peak {first.peak_mb:.0f} MB), "
            f"re-import {again.seconds:.1f} s; duckdb read_csv {ducks[-1]:.2f} s"
        )

    seconds = median([run.seconds for run in firsts])
    peak = max(run.peak_mb for run in firsts)
    duck = median(ducks)
    verdict = "met" if seconds <= 60 and peak <= 2048 else "NOT met"
    runs = ", ".join(f"{run.seconds:.1f}" for run in firsts)
    again_seconds = median([run.seconds for run in agains])
    again_peak = max(run.peak_mb for run in agains)
    record(
        "import_speed",
        f"""
## Import of {options.rows:,} canonical CSV rows into SQLite (`bench/import_speed.py`)

{date.today().isoformat()}, {machine()}. File of {size_mb:.0f} MB; median of
{options.runs} runs, each `kinfold import` in its own process into a new workspace; peak
memory is the whole process tree's (the importer and its worker processes).

| | time (median) | peak memory (max) |
| --- | --- | --- |
| `kinfold import`, first time (read, map, validate, store) | {seconds:.1f} s | {peak:.0f} MB |
| the same file again (all unchanged) | {again_seconds:.1f} s | {again_peak:.0f} MB |
| DuckDB `read_csv` into a table (parsing only) | {duck:.2f} s | |
| ratio kinfold first import / DuckDB | {seconds / duck:.1f}x | |

Target: at most 60 s and 2,048 MB. **{verdict}** (runs: {runs} s).
""",
    )
    print(f"median {seconds:.1f} s, peak {peak:.0f} MB; duckdb {duck:.2f} s; {seconds / duck:.1f}x")


if __name__ == "__main__":
    main()
