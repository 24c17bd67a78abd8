"""The JSON API under /api/: the same operations as the pages, for other systems and
scripts, authenticated with a per-user token (`kinfold user token NAME`) and held to the
same role and team rules. Described at /openapi.json."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kinfold.accounts import as_dict
from kinfold.allocate import backlog
from kinfold.allocate.case import case_team, case_view, record_view
from kinfold.allocate.next import get_next
from kinfold.allocate.work import ACTIONS, record_action
from kinfold.web.security import ApiAccount, Refused, WebState, need_team, need_worker

router = APIRouter(prefix="/api", tags=["kinfold"])
PAGE_SIZE = 25
Action = Literal[tuple(ACTIONS)]  # type: ignore[valid-type]


class ActionIn(BaseModel):
    action: Action  # type: ignore[valid-type]
    note: Annotated[str | None, Field(max_length=2000)] = None
    item_id: int | None = None
    until: date | None = None
    met: Annotated[list[Annotated[str, Field(max_length=500)]], Field(max_length=50)] = []
    override: Annotated[str | None, Field(max_length=2000)] = None


@router.get("/me", summary="Who the token belongs to")
def me(account: ApiAccount) -> dict[str, Any]:
    return as_dict(account)


@router.get("/queue", summary="The backlog in priority order, a page at a time")
def queue(
    account: ApiAccount,
    state: WebState,
    team: Annotated[str | None, Query(max_length=200)] = None,
    need: Annotated[str | None, Query(max_length=100)] = None,
    area: Annotated[str | None, Query(max_length=20)] = None,
    group: Annotated[str | None, Query(max_length=40)] = None,
    sort: Annotated[str, Query(max_length=20)] = "priority",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> dict[str, Any]:
    if not account.sees_every_team:
        if team and team.lower() != (account.team or "").lower():
            raise Refused(f"The {team} backlog is another team's.")
        team = account.team
    if group and group not in backlog.GROUPS:
        raise Refused(f"group: choose one of {', '.join(backlog.GROUPS)}.")
    if sort not in backlog.SORTS:
        raise Refused(f"sort: choose one of {', '.join(backlog.SORTS)}.")
    found = backlog.queue(state.engine, team=team, need=need, area=area, group=group, sort=sort,
                          limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)  # fmt: skip
    return {"total": found.total, "page": page, "page_size": PAGE_SIZE,
            "cases": [asdict(row) for row in found.rows]}  # fmt: skip


@router.post("/next", summary="Be given the next case")
def next_case(account: ApiAccount, state: WebState) -> dict[str, Any]:
    given = get_next(state.engine, need_worker(account), state.settings)
    return asdict(given)


@router.get("/cases/{case_id}", summary="One case: its people, items, timeline, reasons")
def case(case_id: int, account: ApiAccount, state: WebState) -> dict[str, Any]:
    with state.engine.begin() as conn:
        need_team(account, case_team(conn, case_id), f"Case {case_id}")
        view = case_view(conn, case_id, state.settings, pseudonymised=account.pseudonymised)
        record_view(conn, account.username, view, "api")
    return asdict(view)


@router.post("/cases/{case_id}/actions", summary="Record an action on a case you own")
def act(case_id: int, given: ActionIn, account: ApiAccount, state: WebState) -> dict[str, Any]:
    with state.engine.connect() as conn:
        need_team(account, case_team(conn, case_id), f"Case {case_id}")
    done = record_action(
        state.engine,
        state.settings,
        need_worker(account),
        case_id,
        given.action,
        note=given.note,
        item_id=given.item_id,
        until=given.until,
        met=tuple(given.met),
        override=given.override,
    )
    return asdict(done)
