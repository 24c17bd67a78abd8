"""The `kinfold` commands of a team's daily work: the backlog, get next, recording work,
peer questions, goals and the check-in. Registered on the app of `kinfold.cli.common`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from kinfold import clock
from kinfold.allocate.backlog import QueueRow, queue
from kinfold.allocate.checkin import checkin
from kinfold.allocate.goals import Progress, progress_today
from kinfold.allocate.next import get_next
from kinfold.allocate.peers import answer, ask, open_questions
from kinfold.allocate.work import ACTIONS, WorkError, checklist, record_action
from kinfold.cli.common import WorkspaceOption, command, console, iso_date, when
from kinfold.priority.score import harm_words
from kinfold.workspace import open_workspace

WorkerOption = Annotated[str, typer.Option("--worker", help="Your worker reference.")]


@command("queue")
def queue_command(
    team: Annotated[str | None, typer.Option(help="Only this team's backlog.")] = None,
    need: Annotated[
        str | None, typer.Option(help="Only cases with an open item of this need.")
    ] = None,
    area: Annotated[str | None, typer.Option(help="Only this postcode sector or district.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only the cases of this worker.")] = None,
    page: Annotated[int, typer.Option(min=1, help="Which page of 25.")] = 1,
    workspace: WorkspaceOption = None,
) -> None:
    """The backlog in priority order: owner, status, age, next due date, harm horizon."""
    opened = open_workspace(workspace)
    try:
        found = queue(opened.engine, team=team, need=need, area=area, owner=owner,
                      offset=(page - 1) * 25)  # fmt: skip
    finally:
        opened.close()
    if not found.rows:
        console.print("No open cases match." if found.total == 0 else f"Page {page} is empty.")
        return
    today = clock.now().date()
    table = Table("rank", "case", "team", "owner", "status", "age", "next due", "harm horizon",
                  "needs", box=None)  # fmt: skip
    for row in found.rows:
        age = f"{row.oldest_days} days" if row.oldest_days is not None else ""
        harm = harm_words(row.harm_by, today) if row.harm_by else ""
        table.add_row(str(row.rank), str(row.case_id), row.team or "no team",
                      row.owner or "", _status(row), age, _day(row.next_due), harm,
                      ", ".join(row.needs))  # fmt: skip
    console.print(table)
    first = (page - 1) * 25 + 1
    console.print(f"Showing {first:,} to {first + len(found.rows) - 1:,} of {found.total:,} cases.")


@command("next")
def next_command(worker: WorkerOption, workspace: WorkspaceOption = None) -> None:
    """Give a worker their next case: their own waiting case if due, else the team's next."""
    opened = open_workspace(workspace)
    try:
        given = get_next(opened.engine, worker, opened.settings)
        with opened.engine.connect() as conn:
            lines = checklist(conn, given.case_id, opened.settings)
        row = next(iter(queue(opened.engine, case_id=given.case_id).rows), None)
    finally:
        opened.close()
    console.print(f"Case {given.case_id} is yours ({given.reason}).")
    if row is not None:
        today = clock.now().date()
        if row.harm_by:
            console.print(f"Harm horizon: {harm_words(row.harm_by, today)}.")
        console.print(f"Why it is here: {row.reasons or 'no risk found'}.")
    console.print("Enough when: " + "; ".join(lines) + ".")


@command("act")
def act(
    case: Annotated[int, typer.Argument(help="The case id.")],
    action: Annotated[str, typer.Argument(help=f"One of: {', '.join(ACTIONS)}.")],
    worker: WorkerOption,
    note: Annotated[str | None, typer.Option(help="What was done or said.")] = None,
    item: Annotated[int | None, typer.Option(help="item completed: the item's id.")] = None,
    until: Annotated[str | None, typer.Option(help="waiting: until YYYY-MM-DD.")] = None,
    met: Annotated[
        list[str] | None, typer.Option(help="case closed: a checklist line met (repeat).")
    ] = None,
    override: Annotated[
        str | None, typer.Option(help="case closed: why it may close with lines not met.")
    ] = None,
    started: Annotated[
        str | None, typer.Option(help="When the work began (YYYY-MM-DDTHH:MM, UTC).")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Record an action on a case you own (contact made, item completed, referred, ...)."""
    words = " ".join(action.replace("-", " ").lower().split())
    began = None
    if started:
        try:
            began = clock.as_utc(datetime.fromisoformat(started))
        except ValueError as error:
            raise WorkError(
                f"--started '{started}' is not a time such as 2026-11-23T09:30."
            ) from error
    opened = open_workspace(workspace)
    try:
        done = record_action(
            opened.engine, opened.settings, worker, case, words, note=note, item_id=item,
            until=iso_date(until) if until else None, met=tuple(met or ()),
            override=override, started_at=began,
        )  # fmt: skip
    finally:
        opened.close()
    minutes = (done.completed_at - done.started_at).total_seconds() / 60
    console.print(f"{done.summary} ({minutes:.0f} minutes of work recorded.)")


@command("ask")
def ask_command(
    case: Annotated[int, typer.Argument(help="The case id.")],
    question: Annotated[str, typer.Argument(help="The judgement call, in a sentence or two.")],
    worker: WorkerOption,
    workspace: WorkspaceOption = None,
) -> None:
    """Ask your team a judgement call on a case: it goes to the team's peer queue."""
    opened = open_workspace(workspace)
    try:
        question_id = ask(opened.engine, worker, case, question)
    finally:
        opened.close()
    console.print(f"Asked as question {question_id}; it is in your team's peer queue.")


@command()
def peers(
    team: Annotated[str | None, typer.Option(help="Only this team's questions.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The peer queue: questions waiting for a colleague's answer, oldest first."""
    opened = open_workspace(workspace)
    try:
        waiting = open_questions(opened.engine, team)
    finally:
        opened.close()
    if not waiting:
        console.print("No peer questions are waiting.")
        return
    table = Table("#", "case", "team", "asked by", "asked", "question", box=None)
    for q in waiting:
        table.add_row(str(q.id), str(q.case_id), q.team or "", q.asked_by,
                      clock.ago(q.asked_at), q.question)  # fmt: skip
    console.print(table)


@command("answer")
def answer_command(
    question: Annotated[int, typer.Argument(help="The question's number.")],
    decision: Annotated[str, typer.Argument(help="Your answer: it becomes the case's decision.")],
    worker: WorkerOption,
    workspace: WorkspaceOption = None,
) -> None:
    """Answer a colleague's peer question; the answer is recorded on the case."""
    opened = open_workspace(workspace)
    try:
        answered = answer(opened.engine, worker, question, decision)
    finally:
        opened.close()
    console.print(f"Recorded on case {answered.case_id} as a decision.")


@command()
def goals(
    team: Annotated[str | None, typer.Option(help="Only this team's goals.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Each goal of kinfold.yaml with today's progress: met, at risk or missed."""
    opened = open_workspace(workspace)
    try:
        found = progress_today(opened.engine, opened.settings)
    finally:
        opened.close()
    found = [p for p in found if team is None or p.goal.team in (None, team)]
    if not found:
        console.print("No goals set: add them under `goals:` in kinfold.yaml (docs/allocate.md).")
        return
    _print_goals(found)


@command("checkin")
def checkin_command(
    team: Annotated[str, typer.Option(help="The team having its stand-up.")],
    workspace: WorkspaceOption = None,
) -> None:
    """The daily stand-up: what moved, new cases at risk, stuck cases, questions, goals."""
    opened = open_workspace(workspace)
    try:
        day = checkin(opened.engine, opened.settings, team)
    finally:
        opened.close()
    today = clock.now().date()
    console.print(f"{day.team}: check-in for {today.day} {today:%B %Y}", style="bold")
    console.print(f"\nSince {when(day.since)}", style="bold")
    moved = [f"{words}: {count:,}" for words, count in sorted(day.moved.items())]
    console.print(", ".join([*moved, f"new cases: {day.new_cases:,}"]) + ".")
    console.print(f"\nNew cases at risk ({len(day.at_risk):,})", style="bold")
    for case_id, harm_by, rank in day.at_risk[:20]:
        console.print(f"  case {case_id} (rank {rank}): {harm_words(harm_by, today)}")
    console.print(f"\nStuck cases ({len(day.stuck):,})", style="bold")
    for stuck in day.stuck[:20]:
        console.print(f"  case {stuck.case_id}, {stuck.owner}, {stuck.state}: "
                      f"nothing recorded for {stuck.quiet_days} working days")  # fmt: skip
    console.print(f"\nPeer questions waiting ({len(day.questions):,})", style="bold")
    for q in day.questions:
        console.print(f"  {q.id}. case {q.case_id}, {q.asked_by}: {q.question}")
    console.print("\nGoals", style="bold")
    if day.goals:
        _print_goals(day.goals)
    else:
        console.print("  none set (kinfold.yaml `goals:`)")


def _print_goals(found: list[Progress]) -> None:
    table = Table("goal", "team", "status", "progress", box=None)
    for progress in found:
        table.add_row(progress.goal.name, progress.goal.team or "all teams", progress.status,
                      progress.detail)  # fmt: skip
    console.print(table)


def _status(row: QueueRow) -> str:
    if row.state == "waiting" and row.waiting_until:
        return f"waiting until {_day(row.waiting_until)}"
    return row.state


def _day(value: object) -> str:
    return f"{value.day} {value:%B %Y}" if hasattr(value, "day") else ""
