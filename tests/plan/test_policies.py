"""The policy simulation of the demo workspace, through the service and the command."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from kinfold.cli import app
from kinfold.errors import KinfoldError
from kinfold.measure.frame import from_store
from kinfold.plan.policies import simulate_policies
from kinfold.plan.simulate import POLICIES
from kinfold.workspace import Workspace


def test_the_demo_backlog_under_both_policies(resolved_demo: Workspace) -> None:
    engine = resolved_demo.engine
    frame = from_store(engine, resolved_demo.settings)
    (open_items,) = frame.sql("SELECT count(*) FROM items WHERE status = 'open'")[0]
    found = simulate_policies(engine, frame, weeks=8)
    assert found.waiting == open_items > 0 and found.arriving > 0
    assert [result.policy for result in found.results] == list(POLICIES)
    assert found.parameters.staff > 0 and 0 < found.parameters.repeat_share < 1
    items, cases = found.results
    assert Counter(items.arrived) == Counter(cases.arrived)  # the same items in both
    for result in found.results:
        assert len(result.arrived) == len(set(result.arrived)) == found.waiting + found.arriving
        done = [item for item, _ in result.completed]
        assert len(done) == len(set(done)) and len(done) + result.still_open == len(result.arrived)
        assert result.with_horizon > 0 and result.horizon_passed <= result.with_horizon
    assert cases.contacts < items.contacts  # a household's items in one contact
    assert cases.hours_worked < items.hours_worked  # one set-up a contact
    team = simulate_policies(engine, frame, team="Benefits team", weeks=4, staff=2)
    assert team.waiting < found.waiting and team.parameters.staff == 2
    with pytest.raises(KinfoldError, match="There is no team 'Parking'"):
        simulate_policies(engine, frame, team="Parking")
    with pytest.raises(KinfoldError, match="simulate from 1 to 104 weeks"):
        simulate_policies(engine, frame, weeks=0)
    resolved_demo.close()


def test_the_command_prints_the_parameters_and_both_policies(demo_workspace: Workspace) -> None:
    folder = str(demo_workspace.path)
    demo_workspace.close()
    arguments = ["simulate", "-w", folder, "--weeks", "4", "--set-up-minutes", "15"]
    table = CliRunner().invoke(app, arguments)
    assert table.exit_code == 0, table.output
    words = " ".join(table.output.split())
    assert "contact set-up 15 minutes" in words and "touches per person" in words
    assert "in no case (run `kinfold resolve`)" in words  # the demo as imported, not yet folded
    result = CliRunner().invoke(app, [*arguments, "--format", "json", "--seed", "3"])
    found = json.loads(result.output)
    assert found["parameters"]["set_up_minutes"] == 15 and found["parameters"]["seed"] == 3
    assert [p["policy"] for p in found["policies"]] == list(POLICIES)
    wrong = CliRunner().invoke(app, [*arguments, "--staff", "-1"])
    assert wrong.exit_code != 0 and "0 or more" in wrong.output
