"""Crash safety: an import or a resolve killed (SIGKILL) while it writes leaves the store as
it was before, and one that ends leaves it fully done, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, func, select, text

from kinfold.demo.files import DemoSummary
from kinfold.store.backup import checksums
from kinfold.store.database import database_url, open_engine
from kinfold.store.schema import cases, imports, items, resolve_runs
from kinfold.workspace import Workspace

KINFOLD = Path(sys.executable).with_name("kinfold")


def _late_items(demo_files: DemoSummary, out: Path) -> Path:
    """The demo's benefit claims again, as a new source: every row a new item."""
    with (demo_files.out / "benefits.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(
            {**row, "source": "late", "source_ref": "L" + row["source_ref"]} for row in rows
        )
    return out


def _writing(folder: Path) -> bool:
    """Whether another process is inside a write transaction on the workspace's store."""
    url = database_url(folder)
    if url.startswith("sqlite"):
        probe = sqlite3.connect(folder / "kinfold.db", timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True  # the write lock is held
        finally:
            probe.close()  # rolls back
        return False
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _state(folder: Path) -> dict[str, dict[str, object]]:
    engine = open_engine(database_url(folder))
    try:
        with engine.connect() as conn:
            return checksums(conn)
    finally:
        engine.dispose()


def _done(folder: Path, check: Callable[[Connection], bool]) -> bool:
    """Whether the command's work is all there: its own mark, every item in a case and
    every open case ranked."""
    engine = open_engine(database_url(folder))
    try:
        with engine.connect() as conn:
            unplaced = conn.execute(
                select(func.count()).select_from(items).where(items.c.case_id.is_(None))
            ).scalar_one()
            unranked = conn.execute(
                select(func.count())
                .select_from(cases)
                .where(cases.c.status == "open", cases.c.priority_rank.is_(None))
            ).scalar_one()
            return check(conn) and unplaced == 0 and unranked == 0
    finally:
        engine.dispose()


def _killed_while_writing(arguments: list[str], folder: Path) -> bool:
    """Run `kinfold ARGUMENTS` and kill it (SIGKILL) as soon as it writes; whether it was
    still running then."""
    process = subprocess.Popen([str(KINFOLD), *arguments, "-w", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while process.poll() is None and not _writing(folder) and time.monotonic() < deadline:
            time.sleep(0.01)
        running = process.poll() is None
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    return running


def _killed_leaves_before_and_run_leaves_done(
    arguments: list[str], folder: Path, check: Callable[[Connection], bool]
) -> None:
    before = _state(folder)
    assert _killed_while_writing(arguments, folder)
    assert _state(folder) == before  # killed while writing: nothing of it stays
    done = subprocess.run([str(KINFOLD), *arguments, "-w", str(folder)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr  # and the store, recovered, takes it whole
    assert _done(folder, check)


def test_an_import_or_a_resolve_killed_midway_leaves_the_store_before_or_done(
    backend: str, resolved_demo: Workspace, demo_files: DemoSummary, tmp_path: Path
) -> None:
    with resolved_demo.engine.connect() as conn:
        runs = conn.execute(
            select(func.count()).select_from(resolve_runs).where(resolve_runs.c.kind == "full")
        ).scalar_one()
    resolved_demo.close()
    folder = resolved_demo.path
    late = _late_items(demo_files, tmp_path / "late.csv")

    def imported(conn: Connection) -> bool:
        return (
            conn.execute(
                select(func.count()).select_from(imports).where(imports.c.file_name == "late.csv")
            ).scalar_one()
            == 1
        )

    _killed_leaves_before_and_run_leaves_done(
        ["import", str(late), "--source", "late"], folder, imported
    )

    def resolved(conn: Connection) -> bool:
        finished = conn.execute(
            select(func.count())
            .select_from(resolve_runs)
            .where(resolve_runs.c.kind == "full", resolve_runs.c.finished_at.is_not(None))
        ).scalar_one()
        return bool(finished > runs)

    _killed_leaves_before_and_run_leaves_done(["resolve"], folder, resolved)
