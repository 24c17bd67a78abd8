"""Clerical review of the links kinfold was unsure of: the two items side by side with
the evidence for and against, and the decision (the same person, different people, or
two items kinfold kept apart merged). Decisions apply from the next resolve, which a
reviewer may run from here. Team leaders and admins review (they see people's details)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kinfold.accounts import ADMIN, TEAM_LEADER
from kinfold.intake import resolve_and_refresh
from kinfold.resolve.review import ReviewError, decide, review_queue
from kinfold.web.pages import done_and_back, done_of, said_once
from kinfold.web.render import render
from kinfold.web.security import PageSession, WebState, checked_form, need_role

router = APIRouter(include_in_schema=False)
REVIEWERS = (TEAM_LEADER, ADMIN)
SHOWN = 20
VERDICTS = {"confirm": "the same person", "split": "different people", "merge": "the same person"}


@router.get("/review")
def review_page(request: Request, session: PageSession, state: WebState) -> Response:
    need_role(session.account, *REVIEWERS)
    return said_once(request, _page(request, session, state, done=done_of(request)))


@router.post("/review/decide")
async def review_decide(request: Request, session: PageSession, state: WebState) -> Response:
    need_role(session.account, *REVIEWERS)
    form = await checked_form(request, session)
    action = str(form.get("action", ""))
    link = str(form.get("link", ""))
    refs = (str(form.get("item", "")).strip(), str(form.get("other", "")).strip())
    actor, team = session.account.username, _team(session)
    try:
        with state.engine.begin() as conn:
            if action == "merge":
                item, other = decide(conn, action, actor, refs=refs, team_id=team)
            else:
                link_id = int(link) if link.isdigit() else -1
                item, other = decide(conn, action, actor, link_id=link_id, team_id=team)
    except ReviewError as error:
        field = "item" if action == "merge" else "decision"
        return _page(request, session, state, 400, errors={field: str(error)}, form=form)
    done = f"Recorded: {item.ref} and {other.ref} are {VERDICTS[action]}."
    return done_and_back(state, "/review", done)


@router.post("/review/apply")
async def review_apply(request: Request, session: PageSession, state: WebState) -> Response:
    need_role(session.account, *REVIEWERS)
    await checked_form(request, session)
    actor = session.account.username
    result, _ = await run_in_threadpool(resolve_and_refresh, state.engine, state.settings, actor)
    done = (f"Resolved again: {result.people:,} people in {result.households:,} households; "
            "every backlog is re-ordered.")  # fmt: skip
    return done_and_back(state, "/review", done)


def _page(
    request: Request, session: PageSession, state: WebState, status: int = 200, **context: object
) -> Response:
    with state.engine.begin() as conn:
        found = review_queue(conn, session.account.username, SHOWN, _team(session))
    return render(request, "review.html", status, title="Review uncertain links", links=found,
                  **context)  # fmt: skip


def _team(session: PageSession) -> int | None:
    """The team whose people a reviewer may see: a team leader's own; None, every team."""
    account = session.account
    return None if account.sees_every_team else account.team_id
