"""Logs and error messages hold no value from the data: an exception is reduced to its
kind and place, SQL and its parameters are cut, on the web app's log and the CLI."""

from __future__ import annotations

import subprocess
import sys

import typer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from kinfold.cli.common import guarded

NAME, ADDRESS = "Zebedee Quillfeather", "55 Castle Terrace"

SERVED = f"""
import logging, logging.config
from sqlalchemy import create_engine, text
from kinfold.logs import LOG_CONFIG

logging.config.dictConfig(LOG_CONFIG)
engine = create_engine("sqlite://")
try:
    with engine.connect() as conn:
        conn.execute(text("SELECT * FROM nowhere WHERE name = :name"), {{"name": "{NAME}"}})
except Exception:
    logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
try:
    raise ValueError("{NAME} of {ADDRESS} broke it")
except ValueError:
    logging.getLogger("kinfold.web").error("An import failed", exc_info=True)
logging.getLogger("kinfold.web").warning("%s", "(sqlite3.OperationalError) [SQL: SELECT '{NAME}']")
"""


def test_the_web_apps_log_holds_kinds_and_places_not_values() -> None:
    """The log configuration `kinfold serve` gives uvicorn, in a process of its own."""
    done = subprocess.run([sys.executable, "-c", SERVED], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    logged = done.stderr
    assert "Exception in ASGI application (OperationalError at " in logged, logged
    assert "An import failed (ValueError at <string>:" in logged, logged
    assert "[SQL withheld]" in logged
    for value in (NAME, ADDRESS, "nowhere", "Traceback"):
        assert value not in logged, (value, logged)


def test_a_command_the_database_refuses_says_so_without_its_values() -> None:
    app = typer.Typer()

    @app.command()
    @guarded
    def save() -> None:
        with create_engine("sqlite://").connect() as conn:
            conn.execute(text("INSERT INTO nowhere VALUES (:name)"), {"name": NAME})

    result = CliRunner().invoke(app, [])
    shown = " ".join(result.output.split())
    assert result.exit_code == 1, shown
    assert "the database refused a statement (no such table: nowhere)" in shown
    assert "nothing of this command was saved" in shown
    assert NAME not in shown and "INSERT" not in shown
