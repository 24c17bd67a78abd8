"""Accounts: one answer to every failed sign-in, API tokens that are named, listed,
expire and can be revoked (and stay revoked when a user is let back in), and failed
sign-ins counted in the database, from the address the request truly came from."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kinfold import accounts, clock
from kinfold.accounts import AccountError
from kinfold.store.schema import api_tokens
from kinfold.web.app import create_app
from kinfold.workspace import Workspace
from tests.conftest import served

PASSWORD = "a long password 1"


def _refusal(workspace: Workspace, username: str, password: str) -> str:
    with pytest.raises(AccountError) as refused:
        accounts.sign_in(workspace.engine, username, password)
    return str(refused.value)


def test_every_failed_sign_in_gets_the_same_answer(sqlite_workspace: Workspace) -> None:
    engine = sqlite_workspace.engine
    accounts.add_user(engine, "ann", PASSWORD, "analyst")
    accounts.add_user(engine, "bob", PASSWORD, "analyst")
    for _ in range(accounts.MAX_FAILURES):
        _refusal(sqlite_workspace, "bob", "wrong password")  # bob is locked out now
    accounts.add_user(engine, "cy", PASSWORD, "analyst")
    accounts.set_active(engine, "cy", False, "test")
    answers = {
        "no such user": _refusal(sqlite_workspace, "nobody", PASSWORD),
        "wrong password": _refusal(sqlite_workspace, "ann", "wrong password"),
        "locked": _refusal(sqlite_workspace, "bob", PASSWORD),
        "stopped": _refusal(sqlite_workspace, "cy", PASSWORD),
    }
    assert len(set(answers.values())) == 1, answers
    assert "for 15 minutes" in answers["locked"]


def test_api_tokens_are_named_listed_expire_and_are_revoked(sqlite_workspace: Workspace) -> None:
    engine = sqlite_workspace.engine
    accounts.add_user(engine, "ann", PASSWORD, "analyst")
    reports = accounts.new_api_token(engine, "ann", "reports")
    nightly = accounts.new_api_token(engine, "ann", "nightly", days=7)
    with pytest.raises(AccountError, match="already has a token called 'reports'"):
        accounts.new_api_token(engine, "ann", "reports")
    listed = {token.name: token for token in accounts.list_tokens(engine, "ann")}
    assert set(listed) == {"reports", "nightly"}
    made = listed["nightly"].created_at
    assert listed["nightly"].expires_at - made == timedelta(days=7)
    assert listed["reports"].expires_at - made > timedelta(days=89)
    assert accounts.api_account(engine, nightly) is not None
    assert accounts.list_tokens(engine, "ann")[1].last_used_at is not None
    with engine.begin() as conn:  # a week later
        conn.execute(update(api_tokens).where(api_tokens.c.name == "nightly")
                     .values(expires_at=clock.now() - timedelta(seconds=1)))  # fmt: skip
    assert accounts.api_account(engine, nightly) is None
    accounts.revoke_token(engine, "ann", "reports", "test")
    assert accounts.api_account(engine, reports) is None
    with pytest.raises(AccountError, match="has no token called 'reports'"):
        accounts.revoke_token(engine, "ann", "reports", "test")


def test_letting_a_user_back_in_revives_none_of_their_tokens(
    sqlite_workspace: Workspace,
) -> None:
    engine = sqlite_workspace.engine
    accounts.add_user(engine, "ann", PASSWORD, "analyst")
    token = accounts.new_api_token(engine, "ann", "reports")
    accounts.set_active(engine, "ann", False, "test")
    accounts.set_active(engine, "ann", True, "test")
    assert accounts.api_account(engine, token) is None
    assert accounts.list_tokens(engine, "ann") == []


def test_failed_sign_ins_are_counted_across_the_apps_processes(
    sqlite_workspace: Workspace,
) -> None:
    """Two apps on one workspace (as `kinfold serve --workers 2` runs): each refuses an
    address once the failures at both reach the limit."""
    first, second = (TestClient(create_app(sqlite_workspace)) for _ in range(2))
    for number in range(accounts.THROTTLE):
        assert _sign_in(first if number % 2 else second, f"nobody{number}") == 400
    assert _sign_in(first, "nobody") == 429
    assert _sign_in(second, "nobody") == 429


@pytest.mark.sqlite_run
def test_an_address_cannot_escape_the_count_by_naming_another(
    sqlite_workspace: Workspace,
) -> None:
    """A real server: X-Forwarded-For is believed only from a proxy it was told of."""
    with served(sqlite_workspace.path) as address:
        client = Browser(address)
        for number in range(accounts.THROTTLE):
            forwarded = {"X-Forwarded-For": f"10.0.0.{number}"}
            assert _sign_in(client, f"nobody{number}", forwarded) == 400
        assert _sign_in(client, "nobody", {"X-Forwarded-For": "10.9.9.9"}) == 429


class Browser:
    """Just enough of a browser for a real server: cookies, GET and form POST."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self._open(urllib.request.Request(self.address + path, headers=headers or {}))

    def post(self, path: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Any:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.address + path, body, headers or {}))

    def _open(self, request: urllib.request.Request) -> Any:
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        response.text = response.read().decode()
        response.status_code = response.status
        return response


def _sign_in(client: TestClient | Browser, username: str,
             headers: dict[str, str] | None = None) -> int:  # fmt: skip
    form = client.get("/sign-in", headers=headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    given = {"username": username, "password": "wrong password", "csrf_token": token.group(1)}
    return int(client.post("/sign-in", data=given, headers=headers).status_code)
