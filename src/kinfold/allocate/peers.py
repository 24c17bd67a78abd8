"""Peer support: a caseworker asks their team a judgement call on a case; a colleague's
answer is recorded on the case as a decision (an event in its timeline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from kinfold import clock
from kinfold.allocate.work import WorkError
from kinfold.privacy import NOT_SHOWN
from kinfold.store import events
from kinfold.store.schema import cases, peer_questions, teams, workers

LONGEST = 4000  # characters in a question or an answer


@dataclass(frozen=True)
class Question:
    id: int
    case_id: int
    team: str | None
    asked_by: str
    asked_at: datetime
    question: str
    answered_by: str | None = None
    answered_at: datetime | None = None
    answer: str | None = None


def ask(engine: Engine, worker_ref: str, case_id: int, question: str) -> int:
    """Put a question on a case to its team's peer queue; its id."""
    words = _words(question, "question")
    with engine.begin() as conn:
        worker = conn.execute(select(workers.c.id, workers.c.team_id)
                              .where(workers.c.worker_ref == worker_ref)).first()  # fmt: skip
        if worker is None:
            raise WorkError(f"There is no worker '{worker_ref}'.")
        case = conn.execute(select(cases.c.team_id).where(cases.c.id == case_id)).first()
        if case is None:
            raise WorkError(f"There is no case {case_id}.")
        if case.team_id is not None and case.team_id != worker.team_id:
            raise WorkError(f"Case {case_id} is in another team's backlog.")
        asked = conn.execute(insert(peer_questions).values(
            case_id=case_id, team_id=case.team_id or worker.team_id, asked_by=worker_ref,
            asked_at=clock.now(), question=words)).inserted_primary_key  # fmt: skip
        assert asked is not None
        question_id = int(asked[0])
        events.record(conn, actor=worker_ref, action="case.question", entity_type="case",
                      entity_id=case_id, after={"question": question_id})  # fmt: skip
    return question_id


def answer(engine: Engine, worker_ref: str, question_id: int, text: str) -> Question:
    """A colleague (not the one who asked) answers; the answer becomes the case's decision."""
    words = _words(text, "answer")
    with engine.begin() as conn:
        row = conn.execute(select(peer_questions).where(peer_questions.c.id == question_id)).first()
        if row is None:
            raise WorkError(f"There is no peer question {question_id}.")
        if row.answered_by is not None:
            raise WorkError(f"Question {question_id} was answered already by {row.answered_by}.")
        if row.asked_by == worker_ref:
            raise WorkError("A peer answers a question, not the one who asked it.")
        team_id = conn.execute(select(workers.c.team_id).where(
            workers.c.worker_ref == worker_ref)).scalar_one_or_none()  # fmt: skip
        if team_id is None:
            raise WorkError(f"There is no worker '{worker_ref}'.")
        if row.team_id is not None and team_id != row.team_id:
            raise WorkError(f"Question {question_id} is for another team.")
        now = clock.now()
        conn.execute(update(peer_questions).where(peer_questions.c.id == question_id)
                     .values(answered_by=worker_ref, answered_at=now, answer=words))  # fmt: skip
        events.record(conn, actor=worker_ref, action="case.decision", entity_type="case",
                      entity_id=row.case_id, completed_at=now,
                      after={"question": row.question, "decision": words,
                             "asked_by": row.asked_by})  # fmt: skip
    return Question(row.id, row.case_id, None, row.asked_by, row.asked_at, row.question,
                    worker_ref, now, words)  # fmt: skip


def open_questions(
    engine: Engine, team: str | None = None, pseudonymised: bool = False
) -> list[Question]:
    """The peer queue: unanswered questions, oldest first (of one team, by name);
    pseudonymised, without what was asked."""
    query = (
        select(peer_questions, teams.c.name)
        .select_from(peer_questions.outerjoin(teams, teams.c.id == peer_questions.c.team_id))
        .where(peer_questions.c.answered_by.is_(None))
        .order_by(peer_questions.c.asked_at, peer_questions.c.id)
    )
    if team:
        query = query.where(teams.c.name == team)
    with engine.connect() as conn:
        return [Question(row.id, row.case_id, row.name, row.asked_by, row.asked_at,
                         NOT_SHOWN if pseudonymised else row.question)
                for row in conn.execute(query)]  # fmt: skip


def asked_by(engine: Engine, worker_ref: str, limit: int = 50) -> list[Question]:
    """The questions a worker asked, newest first, with their answers once given."""
    query = (
        select(peer_questions, teams.c.name)
        .select_from(peer_questions.outerjoin(teams, teams.c.id == peer_questions.c.team_id))
        .where(peer_questions.c.asked_by == worker_ref)
        .order_by(peer_questions.c.asked_at.desc(), peer_questions.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Question(row.id, row.case_id, row.name, row.asked_by, row.asked_at, row.question,
                         row.answered_by, row.answered_at, row.answer)
                for row in conn.execute(query)]  # fmt: skip


def _words(text: str, what: str) -> str:
    words = (text or "").strip()
    if not words:
        raise WorkError(f"The {what} is empty.")
    if len(words) > LONGEST:
        raise WorkError(f"The {what} is {len(words):,} characters; at most {LONGEST:,} fit.")
    return words
