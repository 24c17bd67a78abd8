"""Uploads hold personal data: each is deleted however its import ends (imported,
refused, failed with an error of the server's), and those left waiting for their columns
to be matched, or by a crash, are deleted when the app starts and as files come in."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kinfold.web import imports
from kinfold.web.app import create_app
from kinfold.web.imports import UPLOAD_KEPT, sweep_uploads, uploads_of
from kinfold.workspace import Workspace
from tests.web.conftest import signed_in

NEEDS_MATCHING = b"Ref,Type,Date,Surname\nU1,Claim,2026-11-20,Lee\n"
CANONICAL = b"source_ref,item_type,received_at,last_name\nU2,Claim,2026-11-20,Lee\n"


def _waiting(workspace: Workspace) -> list[Path]:
    folder = uploads_of(workspace.path)
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _upload(client: TestClient, csrf: str, name: str, content: bytes) -> int:
    given = {"csrf_token": csrf, "source": "uploads"}
    sent = client.post("/imports", data=given, files={"file": (name, content, "text/csv")})
    return sent.status_code


def test_an_upload_is_deleted_however_its_import_ends(
    web_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, csrf = signed_in(web_workspace, "teamleader")
    assert _upload(client, csrf, "good.csv", CANONICAL) == 200  # imported
    assert _upload(client, csrf, "bad.csv", b"\x00\x01\x02" * 100) == 400  # refused
    assert _waiting(web_workspace) == []

    def fails(*_: object, **__: object) -> None:
        raise RuntimeError("the server failed")

    monkeypatch.setattr(imports, "read_table", fails)
    failing = TestClient(create_app(web_workspace), raise_server_exceptions=False)
    failing.cookies = client.cookies
    assert _upload(failing, csrf, "fails.csv", CANONICAL) == 500
    assert _waiting(web_workspace) == []


def test_an_upload_left_waiting_is_deleted_when_the_app_starts(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "teamleader")
    assert _upload(client, csrf, "match me.csv", NEEDS_MATCHING) == 200  # asks for matching
    [waiting] = _waiting(web_workspace)
    assert sweep_uploads(web_workspace.path) == 0  # an hour to match its columns
    long_ago = time.time() - UPLOAD_KEPT - 60
    os.utime(waiting, (long_ago, long_ago))
    create_app(web_workspace)  # a restart, after a crash or an abandoned matching
    assert _waiting(web_workspace) == []
