"""Import 1,000,000 rows into a workspace that is already resolved, on SQLite and on
PostgreSQL: the import, linking every new item and re-ranking every backlog, in one
`kinfold import`. Time and peak memory of the whole process tree.

    .venv/bin/python -m bench.resolved_import [--rows 1000000]
    (PostgreSQL too when KINFOLD_TEST_POSTGRES_URL names a server: `make bench-resolved`)

Target (hardening issue): such an import works on both databases (before, more than
32,766 new items failed with "too many SQL variables" on SQLite).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import Run, machine, record, run_measured
from bench.import_speed import make_file
from kinfold.store.database import normalise_url

KINFOLD = str(Path(sys.executable).with_name("kinfold"))
SERVER_ENV = "KINFOLD_TEST_POSTGRES_URL"
DATABASE = "kinfold_bench_resolved_import"


def resolved_then_import(path: Path, database_url: str) -> tuple[Run, Run]:
    """A demo workspace, imported and resolved; then `path` imported into it."""
    folder = Path(tempfile.mkdtemp(prefix="kinfold-bench-resolved-"))
    env = {"KINFOLD_DATABASE_URL": database_url}
    try:
        demo = [KINFOLD, "demo", "--out", str(folder), "--households", "300", "--load"]
        run_measured(demo, env=env)
        resolve = run_measured([KINFOLD, "resolve", "--workspace", str(folder)], env=env)
        command = [KINFOLD, "import", str(path), "--source", "bench", "--workspace", str(folder)]
        imported = run_measured(command, env=env)
    finally:
        shutil.rmtree(folder)
    return resolve, imported


def fresh_database(server: str) -> str:
    """An empty database on the PostgreSQL server `server`, made again each run."""
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{DATABASE}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    options = parser.parse_args()
    path = make_file(options.rows)
    databases = {"SQLite": ""}
    if os.environ.get(SERVER_ENV):
        databases["PostgreSQL"] = fresh_database(os.environ[SERVER_ENV])
    lines = []
    for name, url in databases.items():
        _, imported = resolved_then_import(path, url)
        if f"read {options.rows:,} ·" not in imported.output or "Linked" not in imported.output:
            raise RuntimeError(f"unexpected import result on {name}:\n{imported.output}")
        linked = next(line for line in imported.output.splitlines() if line.startswith("Linked"))
        print(f"{name}: {imported.seconds:.0f} s, peak {imported.peak_mb:.0f} MB; {linked}")
        lines.append(f"| {name} | {imported.seconds:.0f} s | {imported.peak_mb:,.0f} MB |")
    table = "\n".join(lines)
    record(
        "resolved_import",
        f"""
## Import of {options.rows:,} rows into a resolved workspace (`bench/resolved_import.py`)

{date.today().isoformat()}, {machine()}. A demo workspace of 300 households, imported
and resolved; then one `kinfold import` of the {options.rows:,}-row canonical file as a
new source: reading, storing, linking every new item to people, households and cases,
and re-ranking every backlog, in one transaction. One run per database (each takes
minutes); peak memory is the whole process tree's.

| database | time | peak memory |
| --- | --- | --- |
{table}

Target: the import works on both databases (it failed above 32,766 new items on
SQLite). **{"met" if len(lines) == 2 else "NOT measured on PostgreSQL"}**.
""",
    )


if __name__ == "__main__":
    main()
