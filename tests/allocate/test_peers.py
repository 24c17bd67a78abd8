"""Peer support: a question goes to the team's peer queue; a colleague's answer becomes
the case's decision."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from kinfold.allocate.peers import LONGEST, answer, ask, open_questions
from kinfold.allocate.work import WorkError
from kinfold.store import events
from kinfold.store.schema import workers
from kinfold.workspace import Workspace
from tests.allocate.stock import backlog


def test_a_question_is_answered_by_a_peer_and_kept_as_the_decision(
    workspace: Workspace,
) -> None:
    engine = workspace.engine
    backlog(engine, 3, 3)
    with engine.begin() as conn:  # W03 works in the housing team
        conn.execute(update(workers).where(workers.c.worker_ref == "W03").values(team_id=2))
    question = "Her son stays four nights a week: is he part of the household?"
    asked = ask(engine, "W01", 2, f"  {question} ")
    (waiting,) = open_questions(engine, "Benefits team")
    assert (waiting.id, waiting.case_id, waiting.team, waiting.asked_by, waiting.question) == (
        asked, 2, "Benefits team", "W01", question)  # fmt: skip
    assert open_questions(engine, "Housing team") == []

    with pytest.raises(WorkError, match="not the one who asked"):
        answer(engine, "W01", asked, "Yes")
    with pytest.raises(WorkError, match="for another team"):
        answer(engine, "W03", asked, "Yes")
    said = "Yes: count him, he lives there most of the week."
    decided = answer(engine, "W02", asked, said)
    assert (decided.case_id, decided.answered_by) == (2, "W02")
    assert open_questions(engine) == []
    with pytest.raises(WorkError, match="answered already by W02"):
        answer(engine, "W02", asked, "No")
    with engine.connect() as conn:
        decision = [e for e in events.for_entity(conn, "case", 2) if e["action"] == "case.decision"]
    assert decision[0]["actor"] == "W02"
    assert decision[0]["after"] == {"question": question, "asked_by": "W01", "decision": said}


def test_questions_that_cannot_be_asked(workspace: Workspace) -> None:
    engine = workspace.engine
    backlog(engine, 2, 1)
    with pytest.raises(WorkError, match="question is empty"):
        ask(engine, "W01", 1, "   ")
    with pytest.raises(WorkError, match=f"at most {LONGEST:,} fit"):
        ask(engine, "W01", 1, "x" * (LONGEST + 1))
    with pytest.raises(WorkError, match="no case 99"):
        ask(engine, "W01", 99, "Why?")
    with pytest.raises(WorkError, match="no worker 'W77'"):
        ask(engine, "W77", 1, "Why?")
    with pytest.raises(WorkError, match="no peer question 5"):
        answer(engine, "W01", 5, "Because.")
    assert open_questions(engine) == []
