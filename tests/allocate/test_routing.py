"""Routing: every open case is in exactly one team's backlog, by the team leader's rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kinfold.allocate.routing import Routing
from kinfold.errors import WorkspaceError
from kinfold.settings import ROUTING_MATCHES, Settings

TEAMS = ["Benefits team", "Housing team", "Revenues team"]
WORDS = st.sampled_from(["housing", "income", "food", "claim", "ls6 2", "ls6", "ls7 3", ""])
RULE = st.tuples(st.sampled_from(TEAMS), st.sampled_from(ROUTING_MATCHES), WORDS)
RULES = st.lists(RULE.map(lambda rule: {"team": rule[0], rule[1]: rule[2]}), max_size=6)
ITEMS = st.lists(st.tuples(WORDS, WORDS, WORDS), max_size=5)


@given(rules=RULES, default=st.sampled_from(TEAMS), case_items=ITEMS)
def test_every_case_has_exactly_one_team(
    rules: list[dict[str, str]], default: str, case_items: list[tuple[str, str, str]]
) -> None:
    routing = routing_of({"default team": default, "rules": rules})
    team = routing.team_for(case_items)
    assert team in TEAMS
    meeting = [rule for rule in routing.rules if any(rule.meets(*item) for item in case_items)]
    assert team == (meeting[0].team if meeting else default)


def test_the_first_rule_met_wins() -> None:
    routing = routing_of({"default team": "benefits team", "rules": [
        {"team": "Housing team", "need": "Housing"},
        {"team": "Revenues team", "area": "LS6"},
    ]})  # fmt: skip
    assert routing.team_for([("income", "claim", "ls6 2"), ("housing", "repair", "ls6 2")]) == (
        "Housing team"
    )
    assert routing.team_for([("income", "claim", "ls6 2")]) == "Revenues team"
    assert routing.team_for([("income", "claim", "ls7 3")]) == "Benefits team"
    assert Routing.from_setting(None, ["Only team"]).team_for([]) == "Only team"


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        ({"rules": []}, "needs a `default team`"),
        ({"default team": "Parks team"}, "names team 'Parks team', which the workspace"),
        ({"default team": "Housing team", "rules": [{"team": "Housing team", "ward": "x"}]},
         "routing rule 1 should name a team and one of"),
        ({"default team": "Housing team", "teams": []}, "takes `default team` and `rules`"),
    ],
)  # fmt: skip
def test_bad_routing_is_refused(routing: dict[str, object], message: str) -> None:
    with pytest.raises(WorkspaceError, match=message.replace("`", ".")):
        routing_of(routing)


def routing_of(given: dict[str, object]) -> Routing:
    """Routing as kinfold.yaml's `routing:` gives it, for the teams of TEAMS."""
    return Routing.from_setting(Settings.parse({"routing": given}).routing, TEAMS)
