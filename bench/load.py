"""The web app on PostgreSQL under 200 users at once for five minutes.

    .venv/bin/python -m bench.load [--users 200] [--seconds 300] [--workers 3]
                                   [--items 200000] [--cases 50000] [--think 5]

Target (hardening issue): no errors, p99 recorded, and get-next never gives a case twice.

A throwaway PostgreSQL 15 is started on loopback (scripts/postgres.sh); the store is
`bench/web.py`'s (items folded into cases by address, three teams, a caseworker account
for each user) built on it. `kinfold serve --workers N` runs in its own process; the
load comes from two other processes, each with half the users. Every user signs in, then
loops: a backlog page, a case of their team, get next, with `--think` seconds (half to
one and a half times it) between clicks. At `--think 1` the two cores of a small machine,
shared by the app, PostgreSQL and the load, are saturated.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import machine, record
from bench.web import KINDS, TEAMS, build, load, serve, team_cases
from kinfold.store.database import DATABASE_URL_ENV, normalise_url

ROOT = Path(__file__).resolve().parent.parent
PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"


def start_postgres() -> tuple[str, str]:
    """A throwaway cluster: its URL (a new database `kinfold`) and its folder."""
    script = 'source scripts/postgres.sh >/dev/null; echo "$KINFOLD_TEST_POSTGRES_URL $PGROOT"'
    started = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True,
                             check=True)  # fmt: skip
    server, folder = started.stdout.split()
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE kinfold"))
    admin.dispose()
    url = make_url(normalise_url(server)).set(database="kinfold")
    return url.render_as_string(hide_password=False), folder


def stop_postgres(folder: str) -> None:
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    subprocess.run([*as_postgres, PG_CTL, "-D", f"{folder}/data", "-m", "fast", "-w", "stop"],
                   capture_output=True, check=False)  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--think", type=float, default=5.0, help="seconds between clicks")
    options = parser.parse_args()
    url, cluster = start_postgres()
    os.environ[DATABASE_URL_ENV] = url
    folder = Path(tempfile.mkdtemp(prefix="kinfold-bench-load-"))
    per_team = -(-options.users // len(TEAMS))
    try:
        started = time.perf_counter()
        build(folder, options.items, options.cases, per_team)
        print(f"built on PostgreSQL in {time.perf_counter() - started:.0f} s")
        by_team = team_cases(folder)
        users = [f"t{t}w{n:02d}" for n in range(1, per_team + 1)
                 for t in range(1, len(TEAMS) + 1)][: options.users]  # fmt: skip
        mine = {name: by_team[int(name[1])] for name in users}
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = serve(folder, port, options.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            halves = [users[0::2], users[1::2]]
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                # warm-up: everyone signs in within 30 s, as an office does at nine
                pool.starmap(load, [(base, half, mine, 40, options.think, 30.0) for half in halves])
                found: list[dict[str, Any]] = pool.starmap(load, [
                    (base, half, mine, options.seconds, options.think, 30.0) for half in halves
                ])  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        stop_postgres(cluster)
    given = [case for part in found for case in part["given"]]
    errors = [error for part in found for error in part["errors"]]
    twice = len(given) - len(set(given))
    rows = []
    for kind in KINDS:
        server_ms = [pair[0] for part in found for pair in part[kind]]
        client_ms = [pair[1] for part in found for pair in part[kind]]
        rows.append(f"| {kind} | {len(server_ms):,} | {statistics.median(server_ms):.1f} ms | "
                    f"{quantile(server_ms, 95):.1f} ms | {quantile(server_ms, 99):.1f} ms | "
                    f"{quantile(client_ms, 99):.1f} ms |")  # fmt: skip
    requests = sum(len(part[kind]) for part in found for kind in KINDS)
    verdict = "met" if not errors and not twice else "NOT met"
    record("load", f"""
## {len(users)} users on PostgreSQL (`bench/load.py`)

{date.today().isoformat()}, {machine()}. PostgreSQL 15 on loopback; {options.cases:,} cases
({options.items:,} items); `kinfold serve --workers {options.workers}`; {len(users)} caseworkers
(three teams) signed in at once, each looping backlog page, case, get next with
{options.think / 2:g} to {options.think * 1.5:g} s between clicks (reading the page), for
{options.seconds:.0f} s (signing in within the first 30 s; after a 40 s warm-up), from two
load processes.
{requests:,} requests ({requests / options.seconds:,.0f} a second); **{len(errors)} errors**;
{len(given):,} cases given, **{twice} given twice**. Target (no errors, no case twice):
**{verdict}**.

| request | requests | server p50 | server p95 | server p99 | client p99 |
| --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n")  # fmt: skip
    print("errors:", errors[:10])
    assert not twice, "a case was given twice"


if __name__ == "__main__":
    main()
