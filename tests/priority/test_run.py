"""Prioritising a resolved workspace: every open case in one order, with its reasons; a
changed rule previewed, saved as a new version, or refused with the old one kept."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

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
