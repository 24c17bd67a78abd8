"""Hotspots: the groups a team leader can help with one response, found and sized."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kinfold.errors import WorkspaceError
from kinfold.fold.oneshot import fold_files
from kinfold.settings import Settings
from tests.conftest import write

HEADER = "source_ref,item_type,need,received_at,first_name,last_name,date_of_birth," \
         "address_line_1,postcode,school,flags\n"  # fmt: skip
FIRST_NAMES = ("Ann", "Bob", "Cat", "Dan", "Eve", "Fay")


def backlog(tmp_path: Path) -> Path:
    rows = [
        # six households in area LS6 2, each one simple request with no flags
        f"S{n},Change of circumstances,income,2026-11-0{n},{name},Lee{n},198{n}-01-01,"
        f"{n} Mill Road,LS6 2A{'BDEFGH'[n - 1]},Meadow Primary,\n"
        for n, name in enumerate(FIRST_NAMES, start=1)
    ]
    # one household with four open items, one of them an eviction notice
    rows += [
        f"H{n},Homelessness prevention,housing,2026-11-1{n},Gus,Okafor,1975-05-05,"
        f"9 Oak Avenue,LS7 3CD,,{'eviction_notice' if n == 1 else ''}\n"
        for n in range(1, 5)
    ]
    return write(tmp_path / "backlog.csv", HEADER + "".join(rows))


def test_hotspots_are_found_sized_and_given_a_response(tmp_path: Path) -> None:
    result = fold_files([backlog(tmp_path)], tmp_path / "out", None, "test")
    assert result.resolved.cases == 7
    with (tmp_path / "out" / "hotspots.csv").open(encoding="utf-8") as handle:
        found = {row["kind"]: row for row in csv.DictReader(handle)}
    assert set(found) == {"household", "area", "school", "need", "self_help"}
    household = found["household"]
    assert (household["cases"], household["people"], household["items"],
            household["people_at_risk"]) == ("1", "1", "4", "1")  # fmt: skip
    assert household["suggested_response"] == "a household visit: one visit for all 4 items"
    area = found["area"]
    assert (area["characteristic"], area["cases"], area["people_at_risk"]) == (
        "area LS6 2",
        "6",
        "0",
    )
    assert area["suggested_response"] == "a local session in LS6 2"
    assert found["school"]["suggested_response"] == "a local session at Meadow Primary"
    assert found["need"]["characteristic"] == "need: income"  # housing has one case only
    assert found["self_help"]["cases"] == "6"
    assert found["self_help"]["suggested_response"] == "written self-help information"


@pytest.mark.parametrize(
    "given",
    [{"hotspots": {"smallest group": 1}}, {"hotspots": {"biggest": 3}},
     {"hotspots": {"simple item types": "Change of address"}}],
)  # fmt: skip
def test_bad_hotspot_settings_are_refused(given: dict[str, object]) -> None:
    with pytest.raises(WorkspaceError, match=r"kinfold\.yaml: `?hotspots"):
        Settings.parse(given)
