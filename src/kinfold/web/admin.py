"""Admin: the users (add, stop, let back in), the teams, the skills matrix (edited a team
at a time) and the routing rules (kept in kinfold.yaml: previewed, then saved and applied
to every open case). Admins only; every change is in the audit log."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select, union

from kinfold import accounts
from kinfold.accounts import ADMIN, ROLES, AccountError
from kinfold.allocate.backlog import change_routing
from kinfold.allocate.routing import Routing, moves
from kinfold.settings import ROUTING_MATCHES
from kinfold.settings import routing as routing_setting
from kinfold.store.schema import cases, items, skills, teams, workers
from kinfold.store.workforce import change_skills, skill_levels
from kinfold.web.pages import done_and_back, done_of, said_once
from kinfold.web.render import render
from kinfold.web.security import PageSession, WebState, checked_form, need_role

router = APIRouter(include_in_schema=False)
LEVELS = {0: "none", 1: "learning", 2: "signed off", 3: "expert"}
SKILL_FIELD = "skill:"  # skill:<worker id>:<item type>, the level


@router.get("/admin")
def admin_page(
    request: Request,
    session: PageSession,
    state: WebState,
    team: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    need_role(session.account, ADMIN)
    return said_once(request, _page(request, session, state, team=team, done=done_of(request)))


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
            return done_and_back(state, "/admin", f"Added {added.username}.")
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
    return done_and_back(state, "/admin", done)


@router.post("/admin/skills")
async def save_skills(request: Request, session: PageSession, state: WebState) -> Response:
    """The levels of one team's workers in every item type, as the matrix's form sends them."""
    need_role(session.account, ADMIN)
    form = await checked_form(request, session)
    team = str(form.get("team", ""))
    with state.engine.begin() as conn:
        team_workers = set(conn.scalars(
            select(workers.c.id).join(teams, teams.c.id == workers.c.team_id)
            .where(teams.c.name == team)
        ))  # fmt: skip
        levels: dict[tuple[int, str], int] = {}
        for key, value in form.items():
            if not key.startswith(SKILL_FIELD):
                continue
            worker, _, kind = key.removeprefix(SKILL_FIELD).partition(":")
            if not worker.isdigit() or int(worker) not in team_workers or not kind:
                errors = {"skills": f"The form named a worker outside {team or 'any team'}. "
                                    "Please reload the page and try again."}  # fmt: skip
                return _page(request, session, state, 400, team=team, errors=errors)
            if value not in ("0", "1", "2", "3"):
                errors = {"skills": f"Choose a level ({', '.join(LEVELS.values())}) in {kind}"}
                return _page(request, session, state, 400, team=team, errors=errors)
            levels[int(worker), kind] = int(str(value))
        changed = change_skills(conn, levels, session.account.username)
    done = f"Saved {changed} changed skill level{'' if changed == 1 else 's'} in {team}."
    return done_and_back(state, f"/admin?{urlencode({'team': team})}#skills", done)


@router.post("/admin/routing")
async def save_routing(request: Request, session: PageSession, state: WebState) -> Response:
    """Preview what the routing rules in the form would move, or save them to kinfold.yaml
    and put every open case in its team's backlog by them."""
    need_role(session.account, ADMIN)
    form = await checked_form(request, session)
    names = _team_names(state)
    rows, errors = _routing_rows(form, names)
    default = str(form.get("default-team", ""))
    if default not in names:
        errors["default-team"] = "Choose the team that takes the cases no rule names"
    shown: dict[str, Any] = {"rows": rows, "default": default}
    if errors:
        return _page(request, session, state, 400, errors=errors, routing_form=shown)
    given = routing_setting({
        "default team": default,
        "rules": [{"team": row["team"], row["match"]: row["value"]} for row in rows],
    })  # fmt: skip
    routing = Routing.from_setting(given, names)
    if form.get("action") != "save":
        with state.engine.connect() as conn:
            moved = moves(conn, routing)
        return _page(request, session, state, routing_form=shown, moved=moved)
    state.settings, refreshed = change_routing(state.engine, state.folder, state.settings,
                                               routing, session.account.username)  # fmt: skip
    counts = ", ".join(f"{team} {count:,}" for team, count in sorted(refreshed.teams.items()))
    return done_and_back(state, "/admin#routing", f"Saved the routing rules. Open cases: {counts}.")


def _routing_rows(
    form: dict[str, Any], team_names: list[str]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The form's rules in the order of their positions, leaving out the removed and the
    blank ones; and what is wrong in them, by field."""
    rows: list[tuple[float, int, dict[str, str]]] = []
    errors: dict[str, str] = {}
    number = 1
    while f"rule-{number}-match" in form:
        row = {key: " ".join(str(form.get(f"rule-{number}-{key}", "")).split())
               for key in ("match", "value", "team", "position")}  # fmt: skip
        field = f"rule-{number}-"
        if form.get(f"{field}remove") != "yes" and (row["match"] or row["value"]):
            if row["match"] not in ROUTING_MATCHES:
                errors[f"{field}match"] = f"Choose what rule {number} looks at"
            if not row["value"]:
                errors[f"{field}value"] = (
                    f"Enter the {row['match'] or 'value'} rule {number} looks for"
                )
            if row["team"] not in team_names:
                errors[f"{field}team"] = f"Choose the team of rule {number}"
            try:
                position = float(row["position"] or number)
            except ValueError:
                position = math.nan
            if not math.isfinite(position):
                errors[f"{field}position"] = f"The position of rule {number} must be a number"
                position = number
            rows.append((position, number, row))
        number += 1
    return [row for _, _, row in sorted(rows)], errors


def _team_names(state: WebState) -> list[str]:
    with state.engine.connect() as conn:
        return list(conn.scalars(select(teams.c.name).order_by(teams.c.name)))


def _page(
    request: Request,
    session: PageSession,
    state: WebState,
    status: int = 200,
    team: str = "",
    **context: object,
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
        team = (
            team
            if team in {name for name, _ in team_rows}
            else (team_rows[0][0] if team_rows else "")
        )
        team_workers = conn.execute(
            select(workers.c.id, workers.c.worker_ref).join(teams, teams.c.id == workers.c.team_id)
            .where(teams.c.name == team).order_by(workers.c.worker_ref)
        ).all()  # fmt: skip
        kinds = sorted(conn.scalars(union(select(skills.c.item_type),
                                          select(items.c.item_type).distinct())))  # fmt: skip
        levels = {key: level for key, level in skill_levels(conn).items()
                  if key[0] in {worker_id for worker_id, _ in team_workers}}  # fmt: skip
    routing = Routing.from_setting(state.settings.routing, [name for name, _ in team_rows])
    context.setdefault("routing_form", {
        "rows": [{"match": r.match, "value": r.value, "team": r.team} for r in routing.rules],
        "default": routing.default_team,
    })  # fmt: skip
    return render(
        request, "admin.html", status, title="Admin", users=users, roles=ROLES,
        teams=team_rows, open_cases=open_cases, team=team, team_workers=team_workers,
        kinds=[kind for kind in kinds if kind], skill_levels=levels, levels=LEVELS,
        matches=ROUTING_MATCHES, **context,
    )  # fmt: skip
