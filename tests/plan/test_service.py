"""The plan of the demo workspace, through the service and through `kinfold plan`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinfold.cli import app
from kinfold.errors import KinfoldError
from kinfold.measure.frame import Frame, from_store
from kinfold.plan.service import ServiceLevel, make_plan
from kinfold.workspace import Workspace


@pytest.fixture
def demo_plan_frame(demo_workspace: Workspace) -> Frame:
    frame = from_store(demo_workspace.engine, demo_workspace.settings)
    demo_workspace.close()
    return frame


def test_the_demo_surge_is_seen_and_the_backlog_burns_down(demo_plan_frame: Frame) -> None:
    frame = demo_plan_frame
    (open_items,) = frame.sql("SELECT count(*) FROM items WHERE status = 'open'")[0]
    by = frame.as_of.date() + timedelta(days=120)
    plan = make_plan(frame, by)
    assert plan.backlog_items == open_items > 0 and plan.backlog_hours > 0
    assert plan.surges and plan.surges[0].group == "all"  # half the demo arrived lately
    assert plan.surges[0].weeks_of_demand > 4
    assert any("surged" in note for note in plan.notes)
    assert plan.staffing.fte > 0 and 0 < plan.staffing.shrinkage < 0.5
    assert plan.weeks[0].starts <= plan.as_of < plan.weeks[0].starts + timedelta(days=7)
    assert plan.clearance is not None and plan.clearance_earliest is not None
    assert plan.clearance_earliest <= plan.clearance
    assert plan.clearance_latest is None or plan.clearance <= plan.clearance_latest
    backlog = [week.backlog for week in plan.weeks]
    assert backlog[0] < plan.backlog_hours and min(backlog) == 0
    assert plan.fte_to_clear is not None and plan.fte_to_clear > 0
    assert plan.fte_service_level > plan.fte_next_week > 0
    skills = [need for need in plan.needs if need.kind == "skill"]
    assert skills and sum(n.backlog_hours for n in skills) == pytest.approx(plan.backlog_hours)
    teams = [need for need in plan.needs if need.kind == "team"]
    assert sum(n.backlog_hours for n in teams) == pytest.approx(plan.backlog_hours)


def test_a_date_in_the_past_and_a_bad_service_level_are_refused(demo_plan_frame: Frame) -> None:
    with pytest.raises(KinfoldError, match="is not after"):
        make_plan(demo_plan_frame, date(2020, 1, 1))
    for given in ("90%:5", "0.9", "1.5:5", "0.9:0", "0.9:five"):
        with pytest.raises(KinfoldError, match="is not a service level"):
            ServiceLevel.parse(given)
    assert ServiceLevel.parse("0.8:3") == ServiceLevel(0.8, 3)


def test_the_command_prints_json_and_writes_the_chart(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    folder = str(demo_workspace.path)
    demo_workspace.close()
    chart = tmp_path / "burn.svg"
    arguments = ["plan", "-w", folder, "--format", "json", "--chart", str(chart)]
    result = CliRunner().invoke(app, [*arguments, "--service-level", "0.8:3"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["fte"]["service_level"]["days"] == 3
    assert found["backlog"]["items"] > 0 and len(found["demand"]["forecast"]) == 28
    assert found["surges"][0]["in_words"].endswith("expected)")
    assert chart.read_text().lstrip().startswith("<?xml") and "<svg" in chart.read_text()
    png = tmp_path / "burn.png"
    table = CliRunner().invoke(app, ["plan", "-w", folder, "--chart", str(png)])
    assert table.exit_code == 0 and "Cleared by" in table.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    wrong = CliRunner().invoke(app, ["plan", "-w", folder, "--chart", str(tmp_path / "c.gif")])
    assert wrong.exit_code != 0 and "a chart is a .png or .svg file" in wrong.output
