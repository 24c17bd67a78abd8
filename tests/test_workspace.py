from __future__ import annotations

from pathlib import Path

import pytest

from kinfold.errors import WorkspaceError
from kinfold.workspace import init_workspace, open_workspace
from tests.conftest import write


def test_init_then_open(backend: str, tmp_path: Path) -> None:
    created = init_workspace(tmp_path / "team", name="Welfare Benefits")
    created.close()
    opened = open_workspace(tmp_path / "team")
    assert opened.name == "Welfare Benefits"
    assert opened.settings.nation == "england-and-wales"
    again = init_workspace(tmp_path / "team", name="ignored: already set")
    assert again.name == "Welfare Benefits"
    opened.close()
    again.close()


def test_open_without_a_workspace_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="No kinfold workspace") as raised:
        open_workspace(tmp_path)
    assert raised.value.hint is not None and "kinfold init" in raised.value.hint


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "kinfold.yaml", "nation: wales-only\n")
    with pytest.raises(WorkspaceError, match="nation 'wales-only' is not one of"):
        open_workspace(tmp_path)
    write(tmp_path / "kinfold.yaml", "name: [unclosed\n")
    with pytest.raises(WorkspaceError, match="not valid YAML"):
        open_workspace(tmp_path)


def test_a_file_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="is a file, not a folder"):
        init_workspace(write(tmp_path / "x", "hello"))
