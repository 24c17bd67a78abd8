"""The web app on a demo workspace that is resolved, folded and prioritised: one per
test module (signing in hashes passwords; a module's tests share the workspace)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kinfold.demo.accounts import SIGN_INS
from kinfold.web.app import create_app
from kinfold.workspace import Workspace
from tests.conftest import ReadyDemo

PASSWORDS = {sign_in.username: sign_in.password for sign_in in SIGN_INS}


@pytest.fixture(scope="module")
def web_workspace(
    ready_demo: ReadyDemo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    """A copy of the demo: imported, resolved, folded, routed and prioritised."""
    workspace = ready_demo.copy(tmp_path_factory.mktemp("web") / "demo")
    yield workspace
    workspace.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def signed_in(workspace: Workspace, username: str) -> tuple[TestClient, str]:
    """A client signed in as one of the demo's users, and its session's CSRF token."""
    client = TestClient(create_app(workspace))
    form = client.get("/sign-in")
    given = {
        "username": username,
        "password": PASSWORDS[username],
        "csrf_token": csrf_of(form.text),
    }
    response = client.post("/sign-in", data=given)
    assert response.status_code == 200 and "Signed in as" in response.text, response.text[:500]
    return client, csrf_of(response.text)
