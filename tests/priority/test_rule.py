"""The priority rule as a team leader writes it: read, or refused with the line and why."""

from __future__ import annotations

import pytest

from kinfold.priority.rule import (
    FlagRule,
    RuleError,
    default_rule_text,
    parse_rule,
    rule_as_text,
)

RULE = """\
risk flags:
  Eviction notice: {harm within days: 2, points: 40}
due dates:
  overdue: 30
  due within days: 5
  due soon: 15
waiting:
  points per week: 3
  at most: 30
who is affected:
  each person: 2
  at most: 10
  child under 5: 20
needs:
  Food: 15
"""


def test_a_rule_reads_in_plain_terms() -> None:
    rule = parse_rule(RULE)
    assert rule.flags == {"eviction_notice": FlagRule(harm_within_days=2, points=40)}
    assert (rule.overdue, rule.due_within_days, rule.due_soon) == (30, 5, 15)
    assert (rule.points_per_week, rule.waiting_at_most) == (3, 30)
    assert (rule.each_person, rule.people_at_most, rule.child_under_5) == (2, 10, 20)
    assert rule.over_75 == 0  # not written: earns nothing
    assert rule.needs == {"food": 15}


def test_the_shipped_rule_is_a_valid_rule() -> None:
    rule = parse_rule(default_rule_text())
    assert rule.flags["eviction_notice"] == FlagRule(2, 40, by_due_date=True)
    assert rule.child_under_5 > 0 and rule.overdue > 0
    assert rule.order == "harm first"


def test_harm_dates_from_needs_and_due_dates_and_the_order() -> None:
    rule = parse_rule(RULE.replace("Food: 15", "Food: {points: 15, harm within days: 7}")
                      + "order: harm first\n")  # fmt: skip
    assert rule.order == "harm first" and rule.needs == {"food": 15}
    assert rule.need_harm_days == {"food": 7} and rule.due_harm_days is None
    due = parse_rule(
        RULE.replace("  due soon: 15", "  due soon: 15\n  harm within days of due: 14")
    )
    assert due.due_harm_days == 14 and due.order == "points first"  # not said: as before
    with pytest.raises(RuleError, match="line 1: the order is one of: harm first, points first"):
        parse_rule("order: loudest first\n" + RULE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("overdue: 30", "overdue: lots"), "line 4: `overdue` should be a number, not 'lots'"),
        (("overdue: 30", "overdue: -30"), "line 4: `overdue` should be zero or more, not -30"),
        (("Food: 15", "Food: {points: 15, harm soon: 3}"),
         "line 15: need 'Food' is its points, or `points` and `harm within days`"),
        (("Food: 15", "Food: {points: 15, harm within days: -3}"),
         "line 15: `harm within days` should be a whole number of days"),
        (("due within days: 5", "due within days: 2.5"), "line 5: `due within days` should be "
                                                         "a whole number of days"),
        (("harm within days: 2, points: 40", "harm within days: 2"),
         "line 2: risk flag 'Eviction notice' needs `harm within days` and `points`"),
        (("points: 40}", "points: 40, by its due date: maybe}"),
         "line 2: `by its due date` is yes or no, not 'maybe'"),
        (("waiting:", "waitin:"), "line 7: 'waitin' is not a part of the rule"),
        (("  at most: 30", "  at least: 30"), "line 9: 'at least' is not a setting of 'waiting'"),
        (("  due soon: 15", "  overdue: 15"), "line 6: 'overdue' is given twice (first on line 4)"),
        (("Food: 15", "Food: [15"), "line 16: this is not valid YAML"),
        (("needs:\n  Food: 15\n", "needs: 15\n"), "line 14: 'needs' should be a list of"),
    ],
)  # fmt: skip
def test_a_rule_that_cannot_be_used_is_refused_with_the_line_and_the_reason(
    change: tuple[str, str], message: str
) -> None:
    text = RULE.replace(*change)
    assert text != RULE
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rule(text, "rule.yaml")


def test_an_empty_rule_is_refused() -> None:
    with pytest.raises(RuleError, match="is empty"):
        parse_rule("# nothing\n")


@pytest.mark.parametrize(
    "text",
    [
        default_rule_text(),
        'order: points first\nrisk flags: {}\nneeds:\n  "rent: arrears": {points: 2.5, '
        "harm within days: 9}\n  food: 1234567\ndue dates:\n  harm within days of due: 3\n",
    ],
)
def test_a_rule_written_from_the_form_reads_back_the_same(text: str) -> None:
    rule = parse_rule(text)
    written = rule_as_text(rule)
    assert parse_rule(written) == rule
    assert rule_as_text(parse_rule(written)) == written
