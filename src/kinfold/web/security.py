"""Who is asking, and may they: the session cookie (pages) or an API token (`/api/`),
the CSRF token every form carries, and the rules of role and team."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Path, Request

from kinfold import accounts
from kinfold.accounts import Account, Session
from kinfold.allocate.case import CaseView, case_team, case_view, record_view
from kinfold.web.state import Web

COOKIE = "kinfold_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class NotSignedIn(Exception):
    """The page needs a signed-in user: they are sent to sign in."""


class Refused(Exception):
    """Signed in, but this is not theirs to see or do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadToken(Exception):
    """The API was called without a live token."""


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found.current()


def page_session(request: Request, state: Annotated[Web, Depends(web)]) -> Session:
    token = request.cookies.get(COOKIE)
    found = accounts.session(state.engine, token) if token else None
    if found is None:
        raise NotSignedIn
    request.state.session = found
    return found


def api_account(request: Request, state: Annotated[Web, Depends(web)]) -> Account:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    found = accounts.api_account(state.engine, token.strip()) if scheme == "Bearer" else None
    if found is None:
        raise BadToken
    return found


async def checked_form(request: Request, session: Session) -> dict[str, str | list[str]]:
    """The form of a POST, once its CSRF token is the session's (else `Refused`)."""
    form = await request.form()
    given = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    if not secrets.compare_digest(given, session.csrf_token):
        raise Refused("The form had expired or did not come from this site. Please try again.")
    found: dict[str, str | list[str]] = {}
    for key in form:
        values = [str(value) for value in form.getlist(key)]
        found[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    return found


def need_role(account: Account, *roles: str) -> None:
    if account.role not in roles:
        raise Refused(
            f"This is for {' or '.join(roles)} roles; you are signed in as {account.role}."
        )


def need_team(account: Account, team_id: int | None, what: str) -> None:
    """Refuse a case (or anything of a team) outside the account's team."""
    if not account.may_see_team(team_id):
        raise Refused(f"{what} is in another team's backlog.")


def need_case(state: Web, account: Account, case_id: int) -> None:
    """Refuse a case outside the account's team (or `NoSuchCase`)."""
    with state.engine.connect() as conn:
        need_team(account, case_team(conn, case_id), f"Case {case_id}")


def viewed_case(state: Web, account: Account, case_id: int, channel: str) -> CaseView:
    """A case the account may see, as they may see it; the view is in the audit log."""
    with state.engine.begin() as conn:
        need_team(account, case_team(conn, case_id), f"Case {case_id}")
        view = case_view(conn, case_id, state.settings, pseudonymised=account.pseudonymised)
        record_view(conn, account.username, view, channel)
    return view


def need_worker(account: Account) -> str:
    if account.worker_ref is None:
        raise Refused("Only a user who is one of the roster's workers can be given cases.")
    return account.worker_ref


# A record's number in a URL: the store's ids are 32-bit (PostgreSQL's integer)
RecordId = Annotated[int, Path(ge=1, le=2_147_483_647)]
PageSession = Annotated[Session, Depends(page_session)]
ApiAccount = Annotated[Account, Depends(api_account)]
WebState = Annotated[Web, Depends(web)]
