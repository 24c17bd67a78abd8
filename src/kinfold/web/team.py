"""The team's pages beside its backlog: the daily check-in, the peer questions, the
hotspots with their suggested responses, and the goals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kinfold import clock
from kinfold.allocate import peers
from kinfold.allocate.checkin import checkin
from kinfold.allocate.goals import progress_today
from kinfold.allocate.work import WorkError
from kinfold.fold.hotspots import KINDS, find_hotspots
from kinfold.priority.score import harm_words
from kinfold.web.pages import done_and_back, done_of, said_once, teams_of, too_long
from kinfold.web.render import render
from kinfold.web.security import PageSession, RecordId, WebState, checked_form, need_worker

router = APIRouter(include_in_schema=False)


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
    account = session.account
    team = None if account.sees_every_team else account.team_id
    with state.engine.connect() as conn:  # a team sees its own; analysts, no addresses
        found = find_hotspots(conn, state.settings.hotspots, team, not account.pseudonymised)
    chosen = kind if kind in KINDS else None
    return render(request, "hotspots.html", title="Hotspots", kinds=KINDS, kind=chosen,
                  hotspots=[h for h in found if chosen in (None, h.kind)][:100],
                  total=len(found))  # fmt: skip


@router.get("/goals")
def goals_page(request: Request, session: PageSession, state: WebState) -> Response:
    account = session.account
    found = [
        progress
        for progress in progress_today(state.engine, state.settings)
        if account.sees_every_team or progress.goal.team in (None, account.team)
    ]
    return render(request, "goals.html", title="Goals", goals=found, today=clock.now().date())
