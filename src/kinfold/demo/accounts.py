"""The demo's sign-ins, one for each role: for trying kinfold on its demo workspace only
(their passwords are printed for anyone to use)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from kinfold.accounts import ADMIN, ANALYST, CASEWORKER, TEAM_LEADER, add_user
from kinfold.store.schema import teams, users, workers

TEAM = "Housing team"


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    password: str
    role: str
    team: str | None


SIGN_INS = (
    DemoSignIn("caseworker", "demo-caseworker-2026", CASEWORKER, TEAM),
    DemoSignIn("teamleader", "demo-teamleader-2026", TEAM_LEADER, TEAM),
    DemoSignIn("analyst", "demo-analyst-2026", ANALYST, None),
    DemoSignIn("admin", "demo-admin-2026", ADMIN, None),
)


def add_demo_accounts(engine: Engine) -> None:
    """The caseworker and team leader are the first two workers of the Housing team.
    Loading the demo again leaves the accounts as they are."""
    with engine.connect() as conn:
        existing = set(conn.execute(select(users.c.username)).scalars())
        refs = list(conn.execute(
            select(workers.c.worker_ref).join(teams, teams.c.id == workers.c.team_id)
            .where(teams.c.name == TEAM).order_by(workers.c.worker_ref).limit(2)
        ).scalars())  # fmt: skip
    for sign_in, worker in zip(SIGN_INS, [*refs, None, None], strict=True):
        if sign_in.username in existing:
            continue
        add_user(engine, sign_in.username, sign_in.password, sign_in.role,
                 display_name=f"Demo {sign_in.role}", team=sign_in.team, worker_ref=worker,
                 actor="demo")  # fmt: skip
