"""The pages: sign in, the team backlog with get-next, and the case page with its
actions. Each checks the role and team rule before it reads anything."""

from __future__ import annotations

import math
import secrets
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from kinfold import accounts
from kinfold.accounts import ADMIN, TEAM_LEADER, Account
from kinfold.allocate import backlog, ownership, peers
from kinfold.allocate.next import NextError, get_next
from kinfold.allocate.work import ACTIONS, WorkError, record_action
from kinfold.store.schema import teams
from kinfold.web.render import render
from kinfold.web.security import (
    COOKIE,
    PageSession,
    RecordId,
    Refused,
    WebState,
    checked_form,
    need_case,
    need_role,
    need_worker,
    viewed_case,
)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
NOTE_MAX = 2000
SIGN_IN_COOKIE = "kinfold_sign_in"  # the sign-in form's CSRF token (no session yet)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/backlog", status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/backlog") -> Response:
    return _sign_in_form(request, 200, next)


@router.post("/sign-in")
def sign_in(
    request: Request,
    state: WebState,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/backlog",
) -> Response:
    address = request.client.host if request.client else "unknown"
    if wait := accounts.sign_in_wait(state.engine, address):
        message = (f"Too many wrong sign-ins from your network. Please try again in "
                   f"{math.ceil(wait / 60)} minutes.")  # fmt: skip
        return _sign_in_form(request, 429, next, errors={"username": message}, username=username)
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    errors: dict[str, str] = {}
    if not expected or not secrets.compare_digest(csrf_token, expected):
        errors["username"] = "The form had expired. Please sign in again."
    if not username.strip():
        errors["username"] = "Enter your user name"
    if not password:
        errors["password"] = "Enter your password"
    if not errors:
        try:
            session = accounts.sign_in(state.engine, username, password)
        except accounts.AccountError as error:
            accounts.sign_in_failed(state.engine, address)
            errors["username"] = str(error).replace("\n", " ")
        else:
            signed_in = RedirectResponse(_local(next), status_code=303)
            signed_in.set_cookie(COOKIE, session.token, httponly=True, samesite="lax",
                                secure=state.secure_cookies,
                                max_age=int(accounts.SESSION_FOR.total_seconds()))  # fmt: skip
            signed_in.delete_cookie(SIGN_IN_COOKIE)
            return signed_in
    return _sign_in_form(request, 400, next, errors=errors, username=username)


def _sign_in_form(request: Request, status: int, next: str, **context: Any) -> Response:
    """The sign-in form, with a fresh CSRF token in the form and in a cookie of its own."""
    token = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", status, title="Sign in", csrf=token,
                      next=_local(next), **context)  # fmt: skip
    response.set_cookie(SIGN_IN_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: PageSession, state: WebState) -> Response:
    await checked_form(request, session)
    accounts.sign_out(state.engine, session.token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE)
    return response


class BacklogFilters(BaseModel):
    """The backlog's filters, order and page: as the page, its download and the API take them."""

    team: str | None = Field(None, max_length=200)
    need: str | None = Field(None, max_length=100)
    area: str | None = Field(None, max_length=20)
    group: str | None = Field(None, max_length=40, description=", ".join(backlog.GROUPS))
    sort: str = Field("priority", max_length=20, description=", ".join(backlog.SORTS))
    page: int = Field(1, ge=1, le=1_000_000)
    q: str | None = Field(
        None, max_length=200,
        description="a name, address, date of birth, postcode or a source's reference",
    )  # fmt: skip
    mine: bool = Field(False, description="only the cases of the signed-in worker")


Filters = Annotated[BacklogFilters, Query()]


def queue_filters(account: Account, filters: BacklogFilters) -> dict[str, Any]:
    """`backlog.queue`'s filters for what `account` asked: their own team's backlog unless
    they see every team; their own cases for `mine`; a search only by those who see
    people's names."""
    if filters.q and filters.q.strip() and account.pseudonymised:
        raise Refused("Searching for a person is for those who work cases: analysts see "
                      "people as pseudonyms.")  # fmt: skip
    return {
        "team": (filters.team if account.sees_every_team else account.team) or None,
        "need": filters.need or None,
        "area": filters.area or None,
        "owner": need_worker(account) if filters.mine else None,
        "search": filters.q or None,
    }


@router.get("/backlog")
def backlog_page(
    request: Request, session: PageSession, state: WebState, filters: Filters
) -> Response:
    return _backlog(request, session, state, filters)


@router.get("/my-cases")
def my_cases_page(request: Request, session: PageSession, state: WebState) -> Response:
    return _backlog(request, session, state, BacklogFilters.model_validate({"mine": True}))


def _backlog(
    request: Request,
    session: PageSession,
    state: WebState,
    asked: BacklogFilters | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    account = session.account
    asked = asked or BacklogFilters.model_validate({})
    errors = dict(errors or {})
    group, sort, page = asked.group, asked.sort, asked.page
    if group and group not in backlog.GROUPS:
        errors["group"] = f"Choose one of: {', '.join(backlog.GROUPS)}"
        group = None
    if sort not in backlog.SORTS:
        errors["sort"] = f"Choose one of: {', '.join(backlog.SORTS)}"
        sort = "priority"
    chosen = queue_filters(account, asked)
    found = backlog.queue(state.engine, **chosen, group=group, sort=sort, limit=PAGE_SIZE,
                          offset=(page - 1) * PAGE_SIZE,
                          skill=state.settings.allocation.skill)  # fmt: skip
    team = chosen["team"]
    filters = {"team": team or "", "need": asked.need or "", "area": asked.area or "",
               "group": group or "", "sort": sort, "q": asked.q or ""}  # fmt: skip
    if asked.mine:
        filters["mine"] = "true"
    return render(
        request,
        "backlog.html",
        400 if errors else 200,
        title="My cases" if asked.mine else f"{team} backlog" if team else "Every team's backlog",
        page_title="My cases" if asked.mine else team or "Every team",
        rows=found.rows,
        total=found.total,
        first=(page - 1) * PAGE_SIZE + 1,
        page=page,
        pages=max(1, math.ceil(found.total / PAGE_SIZE)),
        counts=found.groups,
        groups=backlog.GROUPS,
        filters=filters,
        link=lambda **changes: "/backlog?" + urlencode({**filters, "page": page, **changes}),
        download="/backlog.xlsx?" + urlencode(filters),
        teams=teams_of(state) if account.sees_every_team else [],
        errors=errors,
    )


@router.post("/next")
async def next_case(request: Request, session: PageSession, state: WebState) -> Response:
    await checked_form(request, session)
    worker = need_worker(session.account)
    try:
        given = get_next(state.engine, worker, state.settings)
    except NextError as error:
        return _backlog(request, session, state, errors={"next": str(error)})
    return RedirectResponse(f"/cases/{given.case_id}?given=1", status_code=303)


LEADERS = (TEAM_LEADER, ADMIN)  # who assign, reassign and hand back any case of a team
DONE_COOKIE = "kinfold_done"  # what a form did, said once on the page it comes back to


def done_and_back(state: WebState, path: str, summary: str) -> Response:
    """Post/redirect/get: back to `path`, which says `summary` once (a reload of it
    repeats nothing and says nothing more)."""
    back = RedirectResponse(path, status_code=303)
    back.set_cookie(DONE_COOKIE, quote(summary[:500]), max_age=60, path=urlsplit(path).path,
                    httponly=True, samesite="strict", secure=state.secure_cookies)  # fmt: skip
    return back


def said_once(request: Request, page: Response) -> Response:
    """The page, with the summary `done_and_back` left for it forgotten."""
    if DONE_COOKIE in request.cookies:
        page.delete_cookie(DONE_COOKIE, path=request.url.path)
    return page


def done_of(request: Request) -> str | None:
    return unquote(request.cookies.get(DONE_COOKIE, "")) or None


@router.get("/cases/{case_id}")
def case_page(
    request: Request, case_id: RecordId, session: PageSession, state: WebState, given: int = 0
) -> Response:
    page = _case(request, session, state, case_id, given=bool(given), done=done_of(request))
    return said_once(request, page)


@router.post("/cases/{case_id}/claim")
async def claim_case(
    request: Request, case_id: RecordId, session: PageSession, state: WebState
) -> Response:
    await checked_form(request, session)
    need_case(state, session.account, case_id)
    worker = need_worker(session.account)
    return _owned(request, session, state, case_id, ownership.claim,
                  state.engine, worker, case_id, state.settings.allocation.cap)  # fmt: skip


@router.post("/cases/{case_id}/assign")
async def assign_case(
    request: Request, case_id: RecordId, session: PageSession, state: WebState
) -> Response:
    form = await checked_form(request, session)
    need_case(state, session.account, case_id)
    need_role(session.account, *LEADERS)
    worker = str(form.get("worker", "")).strip()
    if not worker:
        return _case(request, session, state, case_id, status=400,
                     errors={"worker": "Select who the case goes to"})  # fmt: skip
    return _owned(request, session, state, case_id, ownership.assign,
                  state.engine, session.account.username, case_id, worker)  # fmt: skip


@router.post("/cases/{case_id}/hand-back")
async def hand_back_case(
    request: Request, case_id: RecordId, session: PageSession, state: WebState
) -> Response:
    form = await checked_form(request, session)
    need_case(state, session.account, case_id)
    account = session.account
    owner = ownership.owner_of(state.engine, case_id)
    if account.role not in LEADERS and (owner is None or owner != account.worker_ref):
        need_role(account, *LEADERS)  # refused: only its owner or a team leader hands it back
    reason = str(form.get("reason", "")).strip()
    problem = too_long(reason, "The reason") if reason else "Say why the case goes back"
    if problem:
        return _case(request, session, state, case_id, status=400, form=form,
                     errors={"reason": problem})  # fmt: skip
    actor = account.worker_ref or account.username
    return _owned(request, session, state, case_id, ownership.hand_back,
                  state.engine, actor, case_id, reason)  # fmt: skip


def _owned(
    request: Request,
    session: PageSession,
    state: WebState,
    case_id: int,
    change: Any,
    *args: Any,
) -> Response:
    """Change the owner; then back to the case page (post/redirect/get), or the error."""
    try:
        owned = change(*args)
    except WorkError as error:
        return _case(request, session, state, case_id, status=400,
                     errors={"owner": str(error).replace("\n", " ")})  # fmt: skip
    return done_and_back(state, f"/cases/{case_id}", owned.summary)


@router.post("/cases/{case_id}/actions")
async def act(
    request: Request, case_id: RecordId, session: PageSession, state: WebState
) -> Response:
    form = await checked_form(request, session)
    need_case(state, session.account, case_id)
    worker = need_worker(session.account)
    errors, asked = _action_form(form)
    if not errors:
        try:
            done = record_action(state.engine, state.settings, worker, case_id, **asked)
        except WorkError as error:
            errors["action"] = str(error).replace("\n", " ")
        else:
            return done_and_back(state, f"/cases/{case_id}", done.summary)
    return _case(request, session, state, case_id, errors=errors, form=form, status=400)


@router.post("/cases/{case_id}/questions")
async def ask_peer(
    request: Request, case_id: RecordId, session: PageSession, state: WebState
) -> Response:
    form = await checked_form(request, session)
    need_case(state, session.account, case_id)
    worker = need_worker(session.account)
    question = str(form.get("question", "")).strip()
    if not question:
        errors = {"question": "Enter your question"}
    elif long := too_long(question, "Your question"):
        errors = {"question": long}
    else:
        try:
            peers.ask(state.engine, worker, case_id, question)
        except WorkError as error:
            errors = {"question": str(error)}
        else:
            return done_and_back(state, f"/cases/{case_id}", "Your question is with your team.")
    return _case(request, session, state, case_id, errors=errors, form=form, status=400)


def _case(
    request: Request,
    session: PageSession,
    state: WebState,
    case_id: int,
    status: int = 200,
    **context: Any,
) -> Response:
    account = session.account
    view = viewed_case(state, account, case_id, "web")
    leads = account.role in LEADERS
    return render(
        request,
        "case.html",
        status,
        title=f"Case {case_id}",
        case=view,
        actions=list(ACTIONS),
        mine=view.owner is not None and view.owner == account.worker_ref,
        may_claim=view.status == "open" and view.owner is None and account.worker_ref is not None,
        may_assign=leads and view.status == "open",
        may_hand_back=view.status == "open"
        and view.owner is not None
        and (leads or view.owner == account.worker_ref),
        team_workers=ownership.workers_of_case_team(state.engine, case_id) if leads else [],
        **context,
    )


def _action_form(form: dict[str, str | list[str]]) -> tuple[dict[str, str], dict[str, Any]]:
    """The action form's fields, checked: (errors by field, record_action's arguments)."""
    errors: dict[str, str] = {}
    action = str(form.get("action", ""))
    if action not in ACTIONS:
        errors["action"] = "Select what you did"
    note = str(form.get("note", "")).strip()
    if long := too_long(note, "The note"):
        errors["note"] = long
    asked: dict[str, Any] = {"action": action, "note": note or None}
    if action == "item completed":
        item = str(form.get("item", ""))
        if not item.isdigit():
            errors["item"] = "Select the item you completed"
        else:
            asked["item_id"] = int(item)
    if action == "waiting for the customer":
        parts = [str(form.get(f"until-{part}", "")).strip() for part in ("day", "month", "year")]
        try:
            asked["until"] = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            errors["until"] = "Enter the date you are waiting until, such as 27 11 2026"
    if action == "case closed":
        met = form.get("met[]", [])
        asked["met"] = tuple([met] if isinstance(met, str) else met)
        override = str(form.get("override", "")).strip()
        if long := too_long(override, "The reason"):
            errors["override"] = long
        asked["override"] = override or None
    return errors, asked


def too_long(text: str, what: str) -> str | None:
    """The error for a note, reason or answer longer than a form takes, if it is."""
    return f"{what} must be {NOTE_MAX:,} characters or fewer" if len(text) > NOTE_MAX else None


def teams_of(state: WebState) -> list[str]:
    with state.engine.connect() as conn:
        return list(conn.execute(select(teams.c.name).order_by(teams.c.name)).scalars())


def _local(path: str) -> str:
    """Only a path on this site (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") else "/backlog"
