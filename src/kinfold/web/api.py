"""The JSON API under /api/: the same operations as the pages, for other systems and
scripts, authenticated with a per-user token (`kinfold user token NAME`) and held to the
same role and team rules. Described at /openapi.json."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import asdict
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from kinfold.accounts import Account, as_dict
from kinfold.allocate import backlog
from kinfold.allocate.next import get_next
from kinfold.allocate.work import ACTIONS, record_action
from kinfold.errors import KinfoldError
from kinfold.intake import import_and_place
from kinfold.measure.kpis import DIMENSIONS, GRAINS, compute
from kinfold.plan.documents import plan_document
from kinfold.plan.service import ServiceLevel, make_plan
from kinfold.web.imports import IMPORTERS, good_source, save_upload, upload_problem
from kinfold.web.measures import by_worker_shown, frame_of
from kinfold.web.pages import NOTE_MAX, Filters, queue_filters
from kinfold.web.security import (
    ApiAccount,
    RecordId,
    Refused,
    WebState,
    need_case,
    need_role,
    need_worker,
    viewed_case,
)

router = APIRouter(prefix="/api", tags=["kinfold"])
PAGE_SIZE = 25
Action = Literal[tuple(ACTIONS)]  # type: ignore[valid-type]


class ActionIn(BaseModel):
    action: Action  # type: ignore[valid-type]
    note: Annotated[str | None, Field(max_length=NOTE_MAX)] = None
    item_id: Annotated[int | None, Field(ge=1, le=2_147_483_647)] = None
    until: date | None = None
    met: Annotated[list[Annotated[str, Field(max_length=500)]], Field(max_length=50)] = []
    override: Annotated[str | None, Field(max_length=NOTE_MAX)] = None


@router.get("/me", summary="Who the token belongs to")
def me(account: ApiAccount) -> dict[str, Any]:
    return as_dict(account)


@router.get("/queue", summary="The backlog in priority order, a page at a time")
def queue(account: ApiAccount, state: WebState, filters: Filters) -> dict[str, Any]:
    team = filters.team
    if not account.sees_every_team and team and team.lower() != (account.team or "").lower():
        raise Refused(f"The {team} backlog is another team's.")
    if filters.group and filters.group not in backlog.GROUPS:
        raise KinfoldError(f"group: choose one of {', '.join(backlog.GROUPS)}.")
    if filters.sort not in backlog.SORTS:
        raise KinfoldError(f"sort: choose one of {', '.join(backlog.SORTS)}.")
    found = backlog.queue(state.engine, **queue_filters(account, filters), group=filters.group,
                          sort=filters.sort, limit=PAGE_SIZE,
                          offset=(filters.page - 1) * PAGE_SIZE)  # fmt: skip
    return {"total": found.total, "page": filters.page, "page_size": PAGE_SIZE,
            "cases": [asdict(row) for row in found.rows]}  # fmt: skip


@router.post("/next", summary="Be given the next case")
def next_case(account: ApiAccount, state: WebState) -> dict[str, Any]:
    given = get_next(state.engine, need_worker(account), state.settings)
    return asdict(given)


@router.get("/cases/{case_id}", summary="One case: its people, items, timeline, reasons")
def case(case_id: RecordId, account: ApiAccount, state: WebState) -> dict[str, Any]:
    return asdict(viewed_case(state, account, case_id, "api"))


@router.get("/kpis", summary="The measures per period and group, each with its record count")
def kpis(
    account: ApiAccount,
    state: WebState,
    period: Annotated[str, Query(max_length=10)] = "month",
    by: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any]:
    if period not in GRAINS or (by and by not in DIMENSIONS):
        raise KinfoldError(
            f"period: one of {', '.join(GRAINS)}; by: one of {', '.join(DIMENSIONS)}."
        )
    frame = frame_of(state)
    found = compute(frame, period, by)
    figures = by_worker_shown(found.figures, frame, account) if by == "worker" else found.figures
    return {"as_of": found.as_of, "period": period, "by": by, "skipped": found.skipped,
            "figures": [asdict(figure) for figure in figures]}  # fmt: skip


@router.get("/plan", summary="The plan: forecast, surges, burn-down, FTE needed")
def plan(
    account: ApiAccount,
    state: WebState,
    by: date | None = None,
    service_level: Annotated[str, Query(max_length=20)] = "0.9:5",
) -> dict[str, Any]:
    found = make_plan(frame_of(state), by, ServiceLevel.parse(service_level))
    return plan_document(found)


def importer(account: ApiAccount) -> Account:
    """The account, if it may import (checked before the request's body is)."""
    need_role(account, *IMPORTERS)
    return account


def case_worker(case_id: RecordId, account: ApiAccount, state: WebState) -> str:
    """The worker of an account whose team holds the case (checked before the body is)."""
    need_case(state, account, case_id)
    return need_worker(account)


@router.post("/imports", summary="Import a file of items (kinfold's canonical columns)")
async def import_file(
    account: Annotated[Account, Depends(importer)],
    state: WebState,
    file: UploadFile,
    source: Annotated[str, Form(max_length=100)] = "",
) -> dict[str, Any]:
    """One import per source: the `source` given, or each its source column names."""
    problem = upload_problem(file) or (
        None
        if not source.strip() or good_source(source)
        else "source: letters, digits and spaces, such as benefits"
    )
    if problem:
        raise KinfoldError(problem)
    path = save_upload(state, file)
    try:
        intake = await run_in_threadpool(
            partial(import_and_place, actor=account.username),
            state.engine, state.settings, path, source.strip() or None,
        )  # fmt: skip
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)  # personal data: not kept
    parts = [
        {"import_id": result.import_id, "source": result.source, **result.counts(),
         "notes": result.notes}
        for result in intake.imported
    ]  # fmt: skip
    totals = Counter[str]()
    for result in intake.imported:
        totals.update(result.counts())
    first = intake.imported[0]
    return {"import_id": first.import_id, **totals, "notes": first.notes, "imports": parts}


@router.post("/cases/{case_id}/actions", summary="Record an action on a case you own")
def act(
    case_id: RecordId,
    given: ActionIn,
    worker: Annotated[str, Depends(case_worker)],
    state: WebState,
) -> dict[str, Any]:
    done = record_action(
        state.engine,
        state.settings,
        worker,
        case_id,
        given.action,
        note=given.note,
        item_id=given.item_id,
        until=given.until,
        met=tuple(given.met),
        override=given.override,
    )
    return asdict(done)
