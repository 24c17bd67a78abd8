"""Docs that cannot rot: every command is documented, and every command the docs name exists."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from kinfold.cli import app
from kinfold.settings import PLAN, READERS

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def commands() -> set[str]:
    """Every top-level command, groups (such as `review`) included."""
    return {
        command.name or (command.callback.__name__ if command.callback else "")
        for command in app.registered_commands
    } | {group.name for group in app.registered_groups if group.name}


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert {name for name in commands() if f"kinfold {name}" not in readme} == set()


def test_every_command_the_docs_name_exists_and_has_help() -> None:
    named = set()
    for path in DOCS:
        named |= set(re.findall(r"`kinfold ([a-z]+)", path.read_text(encoding="utf-8")))
    assert named - commands() == set()
    for name in commands():
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage" in result.output


def test_every_documented_import_kind_is_accepted() -> None:
    guide = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    for kind in ("workers", "skills", "roster", "events", "qa"):
        assert f"| `{kind}` |" in guide


def test_every_setting_is_in_the_settings_guide() -> None:
    guide = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert {name for name in (*READERS, *PLAN) if f"| `{name}` |" not in guide} == set()
