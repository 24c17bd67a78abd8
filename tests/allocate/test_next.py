"""Get next: the right case for the worker, and never one case to two workers, under load
on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import psycopg
import pytest
from sqlalchemy import select, update

from kinfold.allocate.next import NextError, get_next
from kinfold.settings import Settings
from kinfold.store.schema import cases, items
from kinfold.workspace import Workspace
from tests.allocate.stock import backlog

TODAY = date(2026, 11, 22)


def test_the_highest_priority_case_the_worker_is_skilled_for(workspace: Workspace) -> None:
    engine = workspace.engine
    backlog(engine, 5, 2)
    with engine.begin() as conn:  # case 1 needs a skill nobody has; case 2 is another team's
        conn.execute(update(items).where(items.c.id == 1).values(item_type="Appeal"))
        conn.execute(update(cases).where(cases.c.id == 2).values(team_id=2))
    settings = Settings.parse({"allocate": {"work in progress cap": 2}})
    first = get_next(engine, "W01", settings, TODAY)
    assert (first.case_id, first.reason) == (3, "next in your team's backlog")
    assert get_next(engine, "W01", settings, TODAY).case_id == 4
    with pytest.raises(NextError, match="2 cases in progress, the most allowed"):
        get_next(engine, "W01", settings, TODAY)
    with engine.begin() as conn:  # W01 waits for the customer on case 3 until today
        conn.execute(update(cases).where(cases.c.id == 3).values(
            work_state="waiting", waiting_until=TODAY))  # fmt: skip
    again = get_next(engine, "W01", settings, TODAY)
    assert (again.case_id, again.reason) == (3, "your waiting case is due again")
    assert get_next(engine, "W02", settings, TODAY).case_id == 5
    with pytest.raises(NextError, match="No case is waiting for W02"):
        get_next(engine, "W02", settings, TODAY)
    with pytest.raises(NextError, match="no worker 'W99'"):
        get_next(engine, "W99", settings, TODAY)


def test_fifty_workers_at_once_never_share_a_case(backend: str, workspace: Workspace) -> None:
    engine = workspace.engine
    size, crew, cap = 5_000, 50, 110
    backlog(engine, size, crew)
    settings = Settings.parse({"allocate": {"work in progress cap": cap}})
    given: dict[str, list[int]] = {f"W{n:02d}": [] for n in range(1, crew + 1)}
    failures: list[BaseException] = []

    def work(worker_ref: str) -> None:
        try:
            while True:
                given[worker_ref].append(get_next(engine, worker_ref, settings, TODAY).case_id)
        except NextError:
            return
        except BaseException as error:  # reported by the test below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(ref,)) for ref in given]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    handed = Counter(case_id for cases_given in given.values() for case_id in cases_given)
    assert len(handed) == size and max(handed.values()) == 1  # all given, none twice
    assert all(len(cases_given) <= cap for cases_given in given.values())
    with engine.connect() as conn:
        owners = dict(conn.execute(select(cases.c.id, cases.c.owner_id)).all())
    assert all(owners[case_id] == int(ref[1:]) for ref, ids in given.items() for case_id in ids)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no server
def test_get_next_outlives_a_database_restart(backend: str, workspace: Workspace) -> None:
    """A pooled connection the server has dropped costs no request: get next tries again
    on a fresh one."""
    engine = workspace.engine
    backlog(engine, 3, 1)
    settings = Settings.parse({"allocate": {"work in progress cap": 3}})
    assert get_next(engine, "W01", settings, TODAY).case_id == 1  # a connection now pooled
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as server:
        ended = server.execute(  # as a restart would: end the pool's sessions
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert ended is not None and ended[0] >= 1
    assert get_next(engine, "W01", settings, TODAY).case_id == 2
