"""The team's pages beside its backlog: the daily check-in, the peer questions, the
hotspots with their suggested responses, and the goals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kinfold import clock
from kinfold.accounts import ADMIN, CASEWORKER, TEAM_LEADER
from kinfold.allocate import peers
from kinfold.allocate.checkin import checkin
from kinfold.allocate.goals import progress_today
from kinfold.allocate.work import WorkError
from kinfold.errors import KinfoldError
from kinfold.fold.hotspots import KINDS, RESPONSES, find_hotspots, respond
from kinfold.priority.score import harm_words
from kinfold.web.pages import done_and_back, done_of, said_once, teams_of, too_long
from kinfold.web.render import render
from kinfold.web.security import (
    PageSession,
    RecordId,
    WebState,
    checked_form,
    need_role,
    need_worker,
)

router = APIRouter(include_in_schema=False)
RESPONDERS = (CASEWORKER, TEAM_LEADER, ADMIN)  # who record a group response to a hotspot


@router.get("/checkin")
def checkin_page(
    request: Request,
    session: PageSession,
    state: WebState,
    team: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    account, names = session.account, teams_of(state)
    # a caseworker's or team leader's own team; anyone else's choice (None: not chosen)
    chosen = account.team if not account.sees_every_team else team if team in names else None
    day = checkin(state.engine, state.settings, chosen) if chosen else None
    today = clock.now().date()
    return render(request, "checkin.html", title="Daily check-in", team=chosen, day=day,
                  teams=names, harm=lambda harm_by: harm_words(harm_by, today))  # fmt: skip


@router.get("/peers")
def peers_page(request: Request, session: PageSession, state: WebState) -> Response:
    return said_once(request, _peers(request, session, state, done=done_of(request)))


@router.post("/peers/{question_id}/answer")
async def answer(
    request: Request, question_id: RecordId, session: PageSession, state: WebState
) -> Response:
    form = await checked_form(request, session)
    worker = need_worker(session.account)
    text = str(form.get("answer", "")).strip()
    errors = {}
    if not text:
        errors[f"answer-{question_id}"] = "Enter your answer"
    elif long := too_long(text, "Your answer"):
        errors[f"answer-{question_id}"] = long
    else:
        try:
            answered = peers.answer(state.engine, worker, question_id, text)
        except WorkError as error:
            errors[f"answer-{question_id}"] = str(error).replace("\n", " ")
        else:
            done = f"Your answer is recorded on case {answered.case_id} as its decision."
            return done_and_back(state, "/peers", done)
    return _peers(request, session, state, 400, errors=errors, form=form)


def _peers(
    request: Request,
    session: PageSession,
    state: WebState,
    status: int = 200,
    **context: object,
) -> Response:
    account = session.account
    team = None if account.sees_every_team else account.team
    waiting = peers.open_questions(state.engine, team, account.pseudonymised)
    mine = peers.asked_by(state.engine, account.worker_ref) if account.worker_ref else []
    return render(request, "peers.html", status, title="Peer questions", questions=waiting,
                  mine=mine, **context)  # fmt: skip


@router.get("/hotspots")
def hotspots_page(
    request: Request,
    session: PageSession,
    state: WebState,
    kind: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return said_once(request, _hotspots(request, session, state, kind, done=done_of(request)))


def _hotspots(
    request: Request,
    session: PageSession,
    state: WebState,
    kind: str | None = None,
    status: int = 200,
    **context: object,
) -> Response:
    account = session.account
    team = None if account.sees_every_team else account.team_id
    with state.engine.connect() as conn:  # a team sees its own; analysts, no addresses
        found = find_hotspots(conn, state.settings.hotspots, team, not account.pseudonymised)
    chosen = kind if kind in KINDS else None
    return render(request, "hotspots.html", status, title="Hotspots", kinds=KINDS, kind=chosen,
                  hotspots=[h for h in found if chosen in (None, h.kind)][:100],
                  total=len(found), responses=RESPONSES,
                  may_respond=account.role in RESPONDERS, **context)  # fmt: skip


@router.post("/hotspots/respond")
async def respond_to_hotspot(request: Request, session: PageSession, state: WebState) -> Response:
    """One group response to a hotspot, recorded on every open case in it."""
    form = await checked_form(request, session)
    account = session.account
    need_role(account, *RESPONDERS)
    kind, key = str(form.get("kind", "")), str(form.get("key", ""))
    response, note = str(form.get("response", "")), str(form.get("note", "")).strip()
    errors = {}
    if response not in RESPONSES:
        errors["response"] = "Select the group response"
    elif long := too_long(note, "The note"):
        errors["response"] = long
    else:
        team = None if account.sees_every_team else account.team_id
        taken_by = account.worker_ref or account.username
        try:
            with state.engine.begin() as conn:
                cases = respond(conn, state.settings.hotspots, team, kind, key, response,
                                account.username, taken_by, note or None)  # fmt: skip
        except KinfoldError as error:
            errors["response"] = error.message
        else:
            done = (
                f"{response.capitalize()} is recorded on {len(cases):,} cases, taken by {taken_by}."
            )
            return done_and_back(state, "/hotspots", done)
    return _hotspots(request, session, state, kind, 400, errors=errors)


@router.get("/goals")
def goals_page(request: Request, session: PageSession, state: WebState) -> Response:
    account = session.account
    found = [
        progress
        for progress in progress_today(state.engine, state.settings)
        if account.sees_every_team or progress.goal.team in (None, account.team)
    ]
    return render(request, "goals.html", title="Goals", goals=found, today=clock.now().date())
