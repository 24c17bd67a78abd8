"""The web app on a demo workspace that is resolved, folded and prioritised: one per
test module (signing in hashes passwords; a module's tests share the workspace)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kinfold.allocate.backlog import refresh
from kinfold.demo import load_demo
from kinfold.demo.accounts import SIGN_INS
from kinfold.demo.files import DemoSummary
from kinfold.resolve.run import resolve_workspace
from kinfold.web.app import create_app
from kinfold.workspace import Workspace

PASSWORDS = {sign_in.username: sign_in.password for sign_in in SIGN_INS}


def ready_workspace(demo_files: DemoSummary, folder: Path) -> Workspace:
    """A copy of the demo: imported, resolved, folded, routed and prioritised."""
    folder.mkdir()
    for path in demo_files.out.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    workspace = load_demo(folder)
    resolve_workspace(workspace.engine, workspace.settings, "test")
    refresh(workspace.engine, workspace.settings, "test")
    return workspace


@pytest.fixture(scope="module")
def web_workspace(
    demo_files: DemoSummary, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    workspace = ready_workspace(demo_files, tmp_path_factory.mktemp("web") / "demo")
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
