"""A case's points, reasons and harm horizon under a rule, worked by hand."""

from __future__ import annotations

from datetime import date

from kinfold.priority.rule import parse_rule
from kinfold.priority.score import CaseFacts, harm_words, rank, score

TODAY = date(2026, 11, 22)
RULE_TEXT = """\
risk flags:
  eviction notice: {harm within days: 2, points: 40}
  no income: {harm within days: 7, points: 25}
due dates: {overdue: 30, due within days: 5, due soon: 15}
waiting: {points per week: 3, at most: 30}
who is affected: {each person: 2, at most: 10, child under 5: 20, over 75: 15, living alone: 10}
needs: {food: 15, income: 8}
"""
RULE = parse_rule(RULE_TEXT)


def test_a_case_earns_the_points_of_each_line_that_applies() -> None:
    facts = CaseFacts(
        case_id=7,
        oldest_received=date(2026, 10, 19),  # 34 days ago
        flags={"eviction_notice": date(2026, 11, 20), "no_income": date(2026, 11, 1)},
        next_due=date(2026, 11, 25),  # in 3 days
        needs={"income", "food"},
        people=3,
        child_under_5=True,
    )
    priority = score(facts, RULE, TODAY)
    # 40 + 25 + 15 (due soon) + 34/7*3 = 14.6 + 3*2 = 6 + 20 + 15 (food, the most pressing)
    assert priority.score == 135.6
    assert priority.reasons_text() == (
        "eviction notice +40; no income +25; due in 3 days +15; oldest item 34 days +14.6; "
        "3 people +6; child under 5 +20; need: food +15"
    )
    # no income since 1 November: harm by 8 November, before the eviction's 22 November
    assert priority.harm_by == date(2026, 11, 8)
    assert harm_words(priority.harm_by, TODAY) == "harm horizon passed 14 days ago"


def test_caps_overdue_and_unknown_flags() -> None:
    facts = CaseFacts(
        case_id=1,
        oldest_received=date(2026, 1, 1),
        next_due=date(2026, 11, 21),
        flags={"parking": date(2026, 11, 1)},
        people=9,
    )
    priority = score(facts, RULE, TODAY)
    assert priority.reasons_text() == "overdue by 1 day +30; oldest item 325 days +30; 9 people +10"
    assert priority.harm_by is None
    assert harm_words(None, TODAY) == "no harm horizon"
    assert harm_words(date(2026, 11, 27), TODAY) == "likely harm within 5 days"


def test_the_order_is_total_points_then_harm_then_due_then_waiting() -> None:
    def case(case_id: int, flag_day: date | None, received: date) -> CaseFacts:
        flags = {"no_income": flag_day} if flag_day else {}
        return CaseFacts(case_id=case_id, oldest_received=received, flags=flags)

    same_day = date(2026, 11, 22)
    facts = [
        case(1, None, same_day),  # 0 points
        case(2, date(2026, 11, 20), same_day),  # 25 points, harm by 27 November
        case(3, date(2026, 11, 18), same_day),  # 25 points, harm by 25 November: sooner
        case(4, None, date(2026, 11, 15)),  # 3 points for a week waiting
    ]
    assert [p.case_id for p in rank(score(f, RULE, TODAY) for f in facts)] == [3, 2, 4, 1]


def test_harm_first_waiting_never_lifts_a_case_over_sooner_harm() -> None:
    harm_first = parse_rule("order: harm first\n" + RULE_TEXT.replace(
        "needs: {food: 15, income: 8}",
        "needs: {food: {points: 15, harm within days: 10}, income: 8}"))  # fmt: skip
    evicted = CaseFacts(
        case_id=1, oldest_received=date(2026, 11, 21), flags={"eviction_notice": date(2026, 11, 21)}
    )  # harm by 23 November
    waited = CaseFacts(
        case_id=2,
        oldest_received=date(2025, 11, 1),
        people=9,
        child_under_5=True,
        over_75=True,
        next_due=date(2026, 10, 1),
    )  # a year and many points
    hungry = CaseFacts(
        case_id=3,
        oldest_received=date(2026, 11, 10),
        needs={"food"},
        need_since={"food": date(2026, 11, 10)},
    )  # harm by 20 November
    scored = [score(facts, harm_first, TODAY) for facts in (evicted, waited, hungry)]
    assert scored[1].score > scored[0].score > scored[2].score
    assert [p.case_id for p in rank(scored, "harm first")] == [3, 1, 2]
    assert [p.case_id for p in rank(scored, "points first")] == [2, 1, 3]
    assert scored[2].harm_by == date(2026, 11, 20) and scored[1].harm_by is None
    due = parse_rule(
        RULE_TEXT.replace("due soon: 15}", "due soon: 15, harm within days of due: 3}")
    )
    assert score(waited, due, TODAY).harm_by == date(2026, 10, 4)


def test_a_flag_by_its_due_date_is_harm_by_the_flagged_items_due_date() -> None:
    rule = parse_rule(RULE_TEXT.replace(
        "eviction notice: {harm within days: 2, points: 40}",
        "eviction notice: {harm within days: 2, points: 40, by its due date: yes}"))  # fmt: skip
    eviction = {"eviction_notice": date(2026, 11, 20)}
    dated = CaseFacts(case_id=1, oldest_received=date(2026, 11, 20), flags=eviction,
                      flag_due={"eviction_notice": date(2026, 12, 9)})  # fmt: skip
    assert score(dated, rule, TODAY).harm_by == date(2026, 12, 9)  # the eviction's day
    undated = CaseFacts(case_id=2, oldest_received=date(2026, 11, 20), flags=eviction)
    assert score(undated, rule, TODAY).harm_by == date(2026, 11, 22)  # 2 days from arrival
    assert score(dated, RULE, TODAY).harm_by == date(2026, 11, 22)  # the rule not saying so
