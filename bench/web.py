"""The web app under load: the backlog page, the case page and get-next with 100,000 cases
and 20 users at once.

    .venv/bin/python -m bench.web [--items 400000] [--cases 100000] [--users 20]
                                  [--seconds 60] [--runs 3]

Target (web app issue): p95 at most 200 ms server-side for each of the three, at 20
concurrent users.

The store is the benchmark items (`bench/import_speed.py`'s file) imported and folded
into `--cases` cases by address (as `bench/allocate.py` does), routed to three teams and
ranked by the shipped rule; each team has 20 caseworkers, all signed in to the web app.
`kinfold serve` runs in its own process on 127.0.0.1; the load comes from another
process: each user, in a loop, opens a backlog page (one of the first 40), a case of
their team (at random) and asks for the next case. "Server-side" is the app's own
`Server-Timing` header (from the request reaching the app to its response); the
client's round trip is recorded beside it. No case may be given twice.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx2 as httpx
import yaml

from bench.allocate import rerank_store
from bench.common import machine, median, record
from bench.import_speed import make_file
from kinfold.accounts import add_user
from kinfold.allocate.backlog import refresh
from kinfold.workspace import SETTINGS_FILE, open_workspace

TEAMS = ("Benefits team", "Housing team", "Revenues team")
PER_TEAM = 20
PASSWORD = "bench-password-2026"
KINDS = ("backlog", "case", "next")
TARGET_MS = 200


def build(folder: Path, items: int, case_count: int, per_team: int = PER_TEAM) -> None:
    """The workspace: items folded into cases, three teams of workers, users, ranked (on
    the database of KINFOLD_DATABASE_URL, if set)."""
    engine = rerank_store(folder, make_file(items), case_count)
    with engine.begin() as conn:
        for number, name in enumerate(TEAMS, 1):
            conn.exec_driver_sql(f"INSERT INTO teams (id, name) VALUES ({number}, '{name}')")
        refs = []
        for team in range(1, len(TEAMS) + 1):
            for n in range(1, per_team + 1):
                ref = f"T{team}W{n:02d}"
                refs.append(ref)
                conn.exec_driver_sql(
                    "INSERT INTO workers (worker_ref, name, team_id, hours_per_week, "
                    f"cost_per_hour, active) VALUES ('{ref}', '{ref}', {team}, 37, 30, TRUE)"
                )
        conn.exec_driver_sql(
            "INSERT INTO skills (worker_id, item_type, level) SELECT w.id, t.item_type, 2 "
            "FROM workers w, (SELECT DISTINCT item_type FROM items) t"
        )
    settings = {
        "name": "web benchmark",
        "routing": {"default team": TEAMS[0], "rules": [
            {"team": TEAMS[1], "need": "housing"}, {"team": TEAMS[2], "need": "income"}]},
        "allocate": {"work in progress cap": 100_000, "skill level": 2},
    }  # fmt: skip
    (folder / SETTINGS_FILE).write_text(yaml.safe_dump(settings), encoding="utf-8")
    engine.dispose()
    workspace = open_workspace(folder)
    refresh(workspace.engine, workspace.settings, "bench")
    for ref in refs:
        add_user(workspace.engine, ref.lower(), PASSWORD, "caseworker", team=TEAMS[int(ref[1]) - 1],
                 worker_ref=ref, actor="bench")  # fmt: skip
    workspace.close()


def serve(folder: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "kinfold"),
            "serve",
            "-w",
            str(folder),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the web app did not start")


async def user(
    base: str,
    username: str,
    case_ids: list[int],
    until: float,
    think: float,
    found: dict[str, Any],
    arriving: float = 0.0,
) -> None:
    rng = random.Random(username)
    await asyncio.sleep(rng.uniform(0, arriving))  # people sign in over a while
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        try:
            form = await client.get("/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            signed = await client.post("/sign-in", data={"username": username,
                                                         "password": PASSWORD,
                                                         "csrf_token": token.group(1)},
                                       follow_redirects=True)  # fmt: skip
        except httpx.TransportError as error:
            found["errors"].append(f"sign-in {type(error).__name__}")
            return
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', signed.text)
        assert signed.status_code == 200 and csrf is not None, signed.text[:300]
        await asyncio.sleep(rng.uniform(0, think))  # people do not all click at once
        while time.monotonic() < until:
            for kind in KINDS:
                asked = time.perf_counter()
                try:
                    response = await _click(client, kind, rng, case_ids, csrf.group(1))
                except httpx.TransportError as error:
                    found["errors"].append(f"{kind} {type(error).__name__}")
                    continue
                if kind == "next":
                    given = response.headers.get("location", "")
                    if response.status_code == 303 and given.startswith("/cases/"):
                        found["given"].append(int(given.split("/")[2].split("?")[0]))
                if response.status_code not in (200, 303):
                    found["errors"].append(f"{kind} {response.status_code}")
                    continue
                server = float(response.headers["Server-Timing"].split("dur=")[1])
                found[kind].append((server, (time.perf_counter() - asked) * 1000))
                if think:  # a person reads the page before the next click
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * think)


async def _click(
    client: httpx.AsyncClient, kind: str, rng: random.Random, case_ids: list[int], csrf: str
) -> httpx.Response:
    if kind == "backlog":
        return await client.get(f"/backlog?page={rng.randint(1, 40)}")
    if kind == "case":
        return await client.get(f"/cases/{rng.choice(case_ids)}")
    return await client.post("/next", data={"csrf_token": csrf})


def load(
    base: str,
    users: list[str],
    teams: dict[str, list[int]],
    seconds: float,
    think: float,
    arriving: float = 0.0,
) -> dict[str, Any]:
    """Run in its own process: every user at once (signing in within `arriving`
    seconds), for `seconds`."""
    found: dict[str, Any] = {kind: [] for kind in KINDS} | {"given": [], "errors": []}

    async def everyone() -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(user(base, name, teams[name], until, think, found, arriving) for name in users)
        )

    asyncio.run(everyone())
    return found


def team_cases(folder: Path) -> dict[int, list[int]]:
    workspace = open_workspace(folder)
    with workspace.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT team_id, id FROM cases WHERE status = 'open' AND team_id IS NOT NULL"
        ).all()
        count = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
    workspace.close()
    found: dict[int, list[int]] = {}
    for team, case in rows:
        found.setdefault(team, []).append(case)
    print(f"{count:,} cases, {len(rows):,} open in a team's backlog")
    return found


def p95(pairs: list[tuple[float, float]], side: int) -> float:
    return statistics.quantiles([pair[side] for pair in pairs], n=100)[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=400_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between clicks")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kinfold-bench-web-"))
    try:
        started = time.perf_counter()
        build(folder, options.items, options.cases)
        print(f"built in {time.perf_counter() - started:.0f} s")
        by_team = team_cases(folder)
        users = [f"t1w{n:02d}" for n in range(1, options.users + 1)]  # one team: get-next races
        mine = dict.fromkeys(users, by_team[1])
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = serve(folder, port)
        results = []
        try:
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                for run in range(options.runs + 1):
                    found = pool.apply(load, (f"http://127.0.0.1:{port}", users, mine,
                                              options.seconds, options.think))  # fmt: skip
                    if run:  # the first run warms the app (templates, statements, pools)
                        results.append(found)
                    print(run, {k: len(found[k]) for k in (*KINDS, "errors")},
                          {k: round(p95(found[k], 0), 1) for k in KINDS})  # fmt: skip
                # and once with no time between clicks: every user as fast as the app answers
                stress = pool.apply(load, (f"http://127.0.0.1:{port}", users, mine,
                                           options.seconds, 0.0))  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)
        given = [case for found in (*results, stress) for case in found["given"]]
        assert len(given) == len(set(given)), "a case was given twice"
        assert not any(found["errors"] for found in (*results, stress)), "errors under load"
        rows = []
        for kind in KINDS:
            server_p95 = median([p95(found[kind], 0) for found in results])
            client_p95 = median([p95(found[kind], 1) for found in results])
            server_p50 = median([statistics.median(x[0] for x in found[kind]) for found in results])
            count = median([len(found[kind]) for found in results])
            verdict = "met" if server_p95 <= TARGET_MS else "NOT met"
            rows.append(f"| {kind} | {count:,.0f} | {server_p50:.1f} ms | {server_p95:.1f} ms | "
                        f"{client_p95:.1f} ms | {TARGET_MS} ms: **{verdict}** |")  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    record("web", f"""
## The web app under load (`bench/web.py`)

{date.today().isoformat()}, {machine()}. {options.cases:,} cases ({options.items:,} items) on
SQLite; {options.users} caseworkers of one team at once, each in a loop of backlog page (one of
the first 40), a case of the team, get next, with {options.think:g} s (0.5 to 1.5 times
that) between clicks, for {options.seconds:.0f} s; median of {options.runs} runs (after
one that warms the app). `kinfold serve` (one uvicorn process) and the load in separate
processes on 127.0.0.1. Server-side: the app's `Server-Timing`; client: the round trip.
No case was given twice ({len(given):,} given).

| request | requests a run | server p50 | server p95 | client p95 | target (server p95) |
| --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + f"""

With no time at all between clicks (each of the {options.users} users clicking again as soon
as the page arrives: {sum(len(stress[k]) for k in KINDS):,} requests in
{options.seconds:.0f} s), server p95: """ + ", ".join(
        f"{kind} {p95(stress[kind], 0):.0f} ms" for kind in KINDS) + ".\n")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
