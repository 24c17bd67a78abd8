"""Measures and plans never fail on what the store holds: dates no import takes now
(0001-01-01, 2099, 9999-12-31), stored directly, are neither the calendar's start nor
the as-of, on every page, API answer and command that measures or plans."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import update

from kinfold import accounts, clock
from kinfold.measure.checks import findings
from kinfold.measure.frame import from_store
from kinfold.store.schema import items
from kinfold.web.app import create_app
from kinfold.workspace import Workspace
from tests.test_cli import run
from tests.web.conftest import signed_in

EXTREMES: dict[int, dict[str, object]] = {1: {"received_at": datetime(1, 1, 1, tzinfo=UTC)},
            2: {"received_at": datetime(2099, 1, 1, tzinfo=UTC)},
            3: {"status": "closed", "closed_at": datetime(9999, 12, 31, tzinfo=UTC)}}  # fmt: skip


def test_dates_no_import_takes_break_no_measure_or_plan(resolved_demo: Workspace) -> None:
    with resolved_demo.engine.begin() as conn:
        for item_id, values in EXTREMES.items():
            conn.execute(update(items).where(items.c.id == item_id).values(**values))
    folder = str(resolved_demo.path)
    year = f"{clock.now().year}"
    for command in (["kpis"], ["plan", "--chart", str(resolved_demo.path / "plan.png")],
                    ["report", "--out", str(resolved_demo.path / "pack.xlsx")]):  # fmt: skip
        code, output = run(*command, "-w", folder)
        assert code == 0, (command, output)
        assert "2099" not in output and "9999" not in output, (command, output)
    analyst, _ = signed_in(resolved_demo, "analyst")
    token = accounts.new_api_token(resolved_demo.engine, "analyst", "extremes")
    api = TestClient(create_app(resolved_demo), headers={"Authorization": f"Bearer {token}"})
    for path in ("/measures", "/plan", "/measures/pack.xlsx", "/api/kpis", "/api/plan"):
        response = (api if path.startswith("/api/") else analyst).get(path)
        assert response.status_code == 200, (path, response.text[:300])
    shown = analyst.get("/measures").text
    assert f"{year}" in shown and "2099" not in shown
    found = {f.name: f for f in findings(from_store(resolved_demo.engine, resolved_demo.settings))}
    assert found["dates outside the years of work"].count == len(EXTREMES)
