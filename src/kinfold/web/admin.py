"""Admin: the users (add, stop, let back in), the teams, the skills matrix and the
routing rules (kept in kinfold.yaml). Admins only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from kinfold import accounts
from kinfold.accounts import ADMIN, ROLES, AccountError
from kinfold.allocate.routing import Routing
from kinfold.store.schema import cases, skills, teams, workers
from kinfold.web.render import render
from kinfold.web.security import PageSession, WebState, checked_form, need_role

router = APIRouter(include_in_schema=False)
LEVELS = {0: "none", 1: "learning", 2: "signed off", 3: "expert"}


@router.get("/admin")
def admin_page(request: Request, session: PageSession, state: WebState) -> Response:
    need_role(session.account, ADMIN)
    return _page(request, session, state)


@router.post("/admin/users")
async def add_user(request: Request, session: PageSession, state: WebState) -> Response:
    need_role(session.account, ADMIN)
    form = await checked_form(request, session)
    given = {key: str(form.get(key, "")).strip() for key in
             ("username", "name", "role", "team", "worker", "password")}  # fmt: skip
    errors = {}
    if not given["username"]:
        errors["username"] = "Enter a user name"
    if given["role"] not in ROLES:
        errors["role"] = "Choose a role"
    if len(given["password"]) < accounts.MIN_PASSWORD:
        errors["password"] = f"The password must be at least {accounts.MIN_PASSWORD} characters"
    if not errors:
        try:
            added = accounts.add_user(
                state.engine, given["username"], given["password"], given["role"],
                display_name=given["name"] or None, team=given["team"] or None,
                worker_ref=given["worker"] or None, actor=session.account.username,
            )  # fmt: skip
        except AccountError as error:
            errors["username"] = str(error).replace("\n", " ")
        else:
            return _page(request, session, state, done=f"Added {added.username}.")
    given.pop("password")
    return _page(request, session, state, 400, errors=errors, form=given)


@router.post("/admin/users/{username}/active")
async def set_active(
    request: Request, username: str, session: PageSession, state: WebState
) -> Response:
    need_role(session.account, ADMIN)
    form = await checked_form(request, session)
    active = form.get("active") == "yes"
    if username == session.account.username and not active:
        return _page(request, session, state, 400, errors={"users": "You cannot stop yourself."})
    accounts.set_active(state.engine, username, active, session.account.username)
    done = f"{username} can sign in again." if active else f"{username} can no longer sign in."
    return _page(request, session, state, done=done)


def _page(
    request: Request, session: PageSession, state: WebState, status: int = 200, **context: object
) -> Response:
    users = accounts.list_users(state.engine)
    with state.engine.connect() as conn:
        team_rows = conn.execute(
            select(teams.c.name, func.count(func.distinct(workers.c.id)))
            .outerjoin(workers, workers.c.team_id == teams.c.id)
            .group_by(teams.c.name).order_by(teams.c.name)
        ).all()  # fmt: skip
        open_cases: dict[str, int] = dict(conn.execute(
            select(teams.c.name, func.count(cases.c.id)).join(cases, cases.c.team_id == teams.c.id)
            .where(cases.c.status == "open").group_by(teams.c.name)
        ).all())  # fmt: skip
        matrix = conn.execute(
            select(workers.c.worker_ref, teams.c.name, skills.c.item_type, skills.c.level)
            .join(workers, workers.c.id == skills.c.worker_id)
            .join(teams, teams.c.id == workers.c.team_id)
            .order_by(teams.c.name, workers.c.worker_ref)
        ).all()  # fmt: skip
    kinds = sorted({row.item_type for row in matrix})
    grid: dict[tuple[str, str], dict[str, int]] = {}
    for ref, team, kind, level in matrix:
        grid.setdefault((team, ref), {})[kind] = level
    routing = Routing.from_settings(state.settings, [name for name, _ in team_rows])
    return render(
        request, "admin.html", status, title="Admin", users=users,
        roles=ROLES, teams=team_rows, open_cases=open_cases, kinds=kinds, grid=grid,
        levels=LEVELS, routing=routing, **context,
    )  # fmt: skip
