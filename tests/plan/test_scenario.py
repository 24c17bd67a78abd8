"""Reading what-if scenarios: every change kinfold knows, and a clear error for each
mistake, naming the file, the scenario and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinfold.errors import KinfoldError
from kinfold.plan.scenario import AS_NOW, Scenario, read_scenarios
from tests.conftest import write

EVERY_CHANGE = """\
scenarios:
  - name: Sickness up to 8%
    sickness: 8%
  - name: Two out
    staff: -2
  - name: Demand up a fifth
    demand: 0.2
  - name: Overtime and quicker claims
    overtime hours: 40
    standard minutes:
      Benefit claim: 45
"""


def test_every_change_is_read(tmp_path: Path) -> None:
    found = read_scenarios(write(tmp_path / "what-if.yaml", EVERY_CHANGE))
    assert found == [
        Scenario("Sickness up to 8%", sickness=0.08),
        Scenario("Two out", staff=-2),
        Scenario("Demand up a fifth", demand=0.2),
        Scenario(
            "Overtime and quicker claims", overtime=40, standard_minutes={"Benefit claim": 45}
        ),
    ]
    assert [s.changes() for s in found] == [
        "sickness 8%",
        "2 FTE out",
        "demand +20%",
        "40 overtime hours a week; Benefit claim 45 minutes",
    ]
    assert AS_NOW.changes() == "no change"


ONE = "scenarios:\n  - "  # the first scenario begins


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- name: x\n", "has no list of scenarios"),
        ("scenarios: []\n", "has no list of scenarios"),
        ("scenarios: [\n", "is not a YAML file"),
        (ONE + "just words\n", "scenario 1: should be a set of changes"),
        (ONE + "staff: 2\n", "scenario 1: has no name"),
        (ONE + "{name: a, staf: 2}\n", "scenario 1: `staf` is not a change"),
        (ONE + "{name: a}\n  - {name: b, sickness: 120%}\n", r"2 \(b\): `sickness: 120%` is out"),
        (ONE + "{name: a, demand: -100%}\n", "`demand: -100%` is out of range"),
        (ONE + "{name: a, demand: lots}\n", "`demand: lots` is not a number"),
        (ONE + "{name: a, staff: true}\n", "`staff: True` is not a number"),
        (ONE + "{name: a, overtime hours: -5}\n", "`overtime hours: -5` is not a number 0 or"),
        (ONE + "{name: a, standard minutes: 45}\n", "should list item types"),
        (ONE + "{name: a, standard minutes: {Claim: 0}}\n", "`standard minutes: Claim: 0` is"),
        (ONE + "{name: a}\n  - {name: a}\n", "two scenarios are named 'a'"),
    ],
)
def test_mistakes_are_named_with_where_they_are(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "what-if.yaml", text)
    with pytest.raises(KinfoldError, match=message) as raised:
        read_scenarios(path)
    assert str(path) in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KinfoldError, match="cannot be read"):
        read_scenarios(tmp_path / "none.yaml")
