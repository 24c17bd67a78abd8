"""Peer support: a question goes to the team's peer queue; a colleague's answer becomes
the case's decision."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, update

from kinfold.allocate.case import case_view
from kinfold.allocate.next import get_next
from kinfold.allocate.peers import LONGEST, answer, ask, asked_by, open_questions
from kinfold.allocate.work import WorkError, checklist, record_action
from kinfold.privacy import NOT_SHOWN
from kinfold.settings import Settings
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


def test_the_asker_sees_the_answer_and_the_case_shows_both(workspace: Workspace) -> None:
    engine = workspace.engine
    backlog(engine, 2, 2)
    first = ask(engine, "W01", 1, "Is the son part of the household?")
    ask(engine, "W01", 2, "Can we accept a photo of the tenancy?")
    answer(engine, "W02", first, "Yes: he lives there most of the week.")
    mine = asked_by(engine, "W01")
    assert [(q.case_id, q.answered_by, q.answer) for q in mine] == [
        (2, None, None), (1, "W02", "Yes: he lives there most of the week.")]  # fmt: skip
    assert asked_by(engine, "W02") == []
    with engine.connect() as conn:
        view = case_view(conn, 1, Settings())
        hidden = case_view(conn, 1, Settings(), pseudonymised=True)
    notes = [moment.note for moment in view.timeline]
    assert "Is the son part of the household?" in notes
    assert ("Asked: Is the son part of the household? Decided: Yes: he lives there most of "
            "the week.") in notes  # fmt: skip
    assert {moment.note for moment in hidden.timeline} == {NOT_SHOWN}


def test_a_case_with_a_question_waiting_closes_only_with_a_reason(workspace: Workspace) -> None:
    engine = workspace.engine
    backlog(engine, 1, 2)
    get_next(engine, "W01", Settings())
    ask(engine, "W01", 1, "Should we close this before the tribunal?")
    met = checklist_of(engine, 1)  # the checklist is met: only the question stops it
    with pytest.raises(WorkError, match="waiting for your team's answer"):
        record_action(engine, Settings(), "W01", 1, "case closed", met=met)
    reason = "the tribunal was cancelled"
    done = record_action(engine, Settings(), "W01", 1, "case closed", met=met, override=reason)
    assert "closed" in done.summary


def checklist_of(workspace_engine: Engine, case_id: int) -> tuple[str, ...]:
    with workspace_engine.connect() as conn:
        return checklist(conn, case_id, Settings())
