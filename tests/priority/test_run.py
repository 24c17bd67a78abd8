"""Prioritising a resolved workspace: every open case in one order, with its reasons; a
changed rule previewed, saved as a new version, or refused with the old one kept."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from kinfold.allocate.backlog import refresh
from kinfold.allocate.case import case_view
from kinfold.priority.rule import RuleError, default_rule_text
from kinfold.priority.run import preview, prioritise, rule_in_force, rule_versions, save_rule
from kinfold.resolve.run import resolve_workspace
from kinfold.settings import Settings
from kinfold.store.schema import cases, events
from kinfold.workspace import Workspace

TODAY = date(2026, 11, 22)


def test_every_open_case_gets_a_place_and_a_changed_rule_moves_them(
    backend: str, demo_workspace: Workspace
) -> None:
    engine = demo_workspace.engine
    resolve_workspace(engine, Settings(), "test")
    first = prioritise(engine, "test", TODAY)
    assert first.rule_version == 1  # the shipped rule, kept as version 1
    with engine.connect() as conn:
        rows = conn.execute(
            select(cases.c.id, cases.c.status, cases.c.priority_rank, cases.c.priority_score,
                   cases.c.priority_reasons, cases.c.harm_by)
        ).all()  # fmt: skip
    open_cases = [row for row in rows if row.status == "open"]
    assert first.cases == len(open_cases) > 100
    assert sorted(row.priority_rank for row in open_cases) == list(range(1, len(open_cases) + 1))
    assert all(row.priority_rank is None for row in rows if row.status != "open")
    by_rank = sorted(open_cases, key=lambda row: row.priority_rank)
    # the shipped rule is harm first: the soonest harm date first, none last, then points
    keys = [(row.harm_by or date.max, -row.priority_score) for row in by_rank]
    assert keys == sorted(keys)
    assert "eviction notice +40" in " ".join(row.priority_reasons for row in by_rank)
    assert any(row.harm_by is not None for row in open_cases)

    children_first = default_rule_text().replace("child under 5: 20", "child under 5: 500")
    moves = preview(engine, children_first, "children.yaml", TODAY)
    assert len(moves) == first.cases
    risen = [move for move in moves if move.places > 0]
    assert risen and all(move.new_score - move.old_score == pytest.approx(480) for move in risen)
    with engine.connect() as conn:  # a preview saves nothing
        assert rule_in_force(conn)[0] == 1

    misspelt = default_rule_text().replace("  homeless:", "  homelesss:")
    with pytest.raises(RuleError, match=r"line \d+: no item has the risk flag 'homelesss'.*"
                                        r"did you mean 'homeless'\?"):  # fmt: skip
        save_rule(engine, misspelt, "leader", "misspelt.yaml")
    unknown_need = default_rule_text().replace("  food: 15", "  food: 15\n  parking: 5")
    with pytest.raises(RuleError, match="no item has the need 'parking'"):
        preview(engine, unknown_need, "needs.yaml", TODAY)
    broken = default_rule_text().replace("overdue: 30", "overdue: thirty")
    with pytest.raises(RuleError, match=r"broken.yaml line \d+: `overdue` should be a number"):
        save_rule(engine, broken, "leader", "broken.yaml")
    assert save_rule(engine, children_first, "leader", "children.yaml", "children first") == 2
    second = prioritise(engine, "test", TODAY)
    assert second.rule_version == 2
    # the saved rule orders the cases exactly as its preview said
    assert all(second.ranked[move.new_rank - 1].case_id == move.case_id for move in moves)
    with engine.connect() as conn:
        versions = rule_versions(conn)
        saved = conn.execute(
            select(func.count()).select_from(events).where(events.c.action == "rule.saved")
        ).scalar_one()
    assert [(v.version, v.saved_by, v.note) for v in versions] == [
        (1, "kinfold (the default rule)", "the rule kinfold ships with"),
        (2, "leader", "children first"),
    ]
    assert saved == 2
    demo_workspace.close()


def test_a_teams_own_rule_orders_its_backlog_and_no_other(
    backend: str, demo_workspace: Workspace
) -> None:
    engine = demo_workspace.engine
    resolve_workspace(engine, Settings(), "test")
    refresh(engine, demo_workspace.settings, "test", TODAY)
    with engine.connect() as conn:
        counts = conn.execute(select(cases.c.team_id, func.count()).where(
            cases.c.status == "open", cases.c.team_id.is_not(None)).group_by(
                cases.c.team_id).order_by(func.count().desc())).all()  # fmt: skip
    (ours, _), (theirs, _) = counts[0], counts[1]
    before = _backlog(engine, theirs)
    points_first = default_rule_text().replace("order: harm first", "order: points first")
    moves = preview(engine, points_first, "ours.yaml", TODAY, team_id=ours)
    with engine.connect() as conn:
        assert len(moves) == counts[0][1]  # only the team's own cases
        assert rule_in_force(conn, ours)[0] == rule_in_force(conn)[0]  # the workspace's
    version = save_rule(engine, points_first, "leader", "ours.yaml", "points first", ours)
    prioritise(engine, "test", TODAY)
    with engine.connect() as conn:
        assert rule_in_force(conn, ours) == (version, points_first)
        assert rule_in_force(conn, theirs)[0] == rule_in_force(conn)[0] == 1
        assert [v.version for v in rule_versions(conn, ours)] == [version]
        assert version not in [v.version for v in rule_versions(conn)]
    backlog = _backlog(engine, ours)
    # the team's backlog is by its rule: the most points first, by either of its places
    assert [row.priority_score for row in backlog] == sorted(
        (row.priority_score for row in backlog), reverse=True
    )
    assert [row.team_rank for row in backlog] == list(range(1, len(backlog) + 1))
    assert {row.rule_version for row in backlog} == {version}
    assert _backlog(engine, theirs) == before  # the other team's order and scores as they were
    demo_workspace.close()


def _backlog(engine: Engine, team_id: int) -> list[Any]:
    """A team's open cases by their place among every case."""
    with engine.connect() as conn:
        return list(conn.execute(
            select(cases.c.id, cases.c.priority_score, cases.c.team_rank, cases.c.rule_version,
                   cases.c.harm_by).where(cases.c.team_id == team_id, cases.c.status == "open")
            .order_by(cases.c.priority_rank)
        ).all())  # fmt: skip


def test_each_reason_names_the_item_and_the_person_it_comes_from(
    resolved_demo: Workspace,
) -> None:
    with resolved_demo.engine.connect() as conn:
        ids = list(conn.scalars(select(cases.c.id).where(
            cases.c.status == "open", cases.c.priority_reasons.like("%child under 5%"),
            cases.c.priority_reasons.like("%eviction notice%")).limit(5)))  # fmt: skip
        assert ids
        for case_id in ids:
            view = case_view(conn, case_id, resolved_demo.settings)
            hidden = case_view(conn, case_id, resolved_demo.settings, pseudonymised=True)
            names = {member.name for member in view.members}
            items = {(f"{item.item_type}, {item.source} {item.source_ref}", item.person_id)
                     for item in view.items if "eviction notice" in item.flags}  # fmt: skip
            named = {reason.words.split(" +")[0]: reason for reason in view.reasons}
            eviction, child = named["eviction notice"], named["child under 5"]
            assert eviction.item in {item for item, _ in items} and eviction.person in names
            assert child.person in names  # the child, or the claimant whose item says so
            oldest = next(reason for reason in view.reasons if reason.words.startswith("oldest"))
            assert oldest.item is not None
            for reason in hidden.reasons:  # pseudonymised: people by number, never by name
                assert reason.person is None or reason.person.startswith("Person ")
                assert reason.person not in names
