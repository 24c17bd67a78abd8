"""A day's work at the command line, on the demo: backlog, get next, record work, ask a
peer, goals and the check-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kinfold import clock
from kinfold.cli import console
from kinfold.workspace import Workspace
from tests.test_cli import run


def test_a_caseworkers_day_on_the_demo(
    demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)  # one line per case in the tables
    folder = str(demo_workspace.path)
    assert run("resolve", "-w", folder)[0] == 0

    code, output = run("queue", "--team", "Benefits team", "-w", folder)
    assert code == 0
    assert re.search(r"Showing 1 to 25 of [\d,]+ cases\.", output)
    code, output = run("next", "--worker", "W01", "-w", folder)
    assert code == 0, output
    case = re.search(r"Case (\d+) is yours \(next in your team's backlog\)", output)
    assert case and "Enough when: the person knows what happens next" in output
    case_id = case.group(1)
    code, output = run("queue", "--owner", "W01", "-w", folder)
    assert f" {case_id} Benefits team W01 in progress " in output

    began = (clock.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    code, output = run("act", case_id, "contact-made", "--worker", "W01", "--note", "rang",
                       "--started", began, "-w", folder)  # fmt: skip
    assert code == 0 and f"Contact made on case {case_id}." in output
    assert re.search(r"\((20|21) minutes of work recorded\.\)", output)  # began to the minute
    code, output = run("act", case_id, "referred", "--worker", "W01", "--started", "soon",
                       "-w", folder)  # fmt: skip
    assert code == 1 and "'soon' is not a time such as 2026-11-23T09:30" in output
    code, output = run("act", case_id, "case-closed", "--worker", "W02", "-w", folder)
    assert code == 1 and "only the worker it was given to records its work" in output
    code, output = run("act", case_id, "case closed", "--worker", "W01", "-w", folder)
    assert code == 1 and "is not enough yet" in output
    code, output = run("act", case_id, "case closed", "--worker", "W01", "--override",
                       "the family moved away", "-w", folder)  # fmt: skip
    assert code == 0 and f"Case {case_id} closed; overridden (the family moved away)" in output
    code, output = run("queue", "--owner", "W01", "-w", folder)
    assert output == "No open cases match."

    code, output = run("ask", case_id, "Was closing it right?", "--worker", "W01", "-w", folder)
    assert code == 0 and "Asked as question 1" in output
    code, output = run("peers", "--team", "Benefits team", "-w", folder)
    assert f"1 {case_id} Benefits team W01 just now Was closing it right?" in output
    code, output = run("answer", "1", "Yes.", "--worker", "W02", "-w", folder)
    assert code == 0 and f"Recorded on case {case_id} as a decision." in output

    code, output = run("goals", "-w", folder)
    assert code == 0
    assert "Benefits backlog under 400 by 29 January 2027 Benefits team met" in output
    code, output = run("checkin", "--team", "Benefits team", "-w", folder)
    assert code == 0
    assert "cases closed: 1, cases given: 1, contacts made: 1" in output
    assert "Peer questions waiting (0)" in output
