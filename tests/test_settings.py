from datetime import date
from pathlib import Path

import pytest

from kinfold.demo import DEMO_SETTINGS
from kinfold.errors import WorkspaceError
from kinfold.settings import Allocation, Goal, ProcessModel, RoutingRule, Settings
from kinfold.workspace import SETTINGS_FILE, init_workspace, open_workspace

WRITTEN = """\
name: Welfare team
nation: scotland
time zone: Europe/Rome
created: 2026-11-02
allocate:
  work in progress cap: 4
routing:
  default team: Benefits team
  rules:
    - {team: Housing team, need: housing}
goals:
  - {name: Contact, harm within days: 2, contacted within working days: 1}
  - {name: Backlog, backlog under: 400, by: 2027-01-29}
checkin: {stuck after days: 3}
retention: {closed cases kept for days: 2190}
hours per FTE: 36
standard times: {Claim: 20}
service level days: 10
process models:
  Claim: {required: [Assess, Decide], order: [[Assess, Decide]]}
"""


def test_every_setting_is_read_into_its_typed_part(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text(WRITTEN, encoding="utf-8")
    settings = Settings.read(tmp_path / SETTINGS_FILE)
    assert (settings.name, settings.nation, settings.created) == (
        "Welfare team",
        "scotland",
        "2026-11-02",
    )
    assert settings.time_zone == "Europe/Rome" and Settings().time_zone == "Europe/London"
    assert settings.allocation == Allocation(cap=4, skill=2)
    assert settings.routing is not None
    assert settings.routing.rules == (RoutingRule("Housing team", "need", "housing"),)
    assert settings.goals[1] == Goal("Backlog", None, "backlog", backlog_under=400,
                                     by=date(2027, 1, 29))  # fmt: skip
    assert (settings.stuck_after_days, settings.retention_days) == (3, 2190)
    assert settings.plan["hours per FTE"] == 36 and settings.plan["target occupancy"] == 0.85
    assert settings.standard_times == {"Claim": 20.0} and settings.service_level_days == 10
    assert settings.process_models == {
        "Claim": ProcessModel(("Assess", "Decide"), (), (("Assess", "Decide"),))
    }
    assert Settings.parse(DEMO_SETTINGS).allocation == Allocation(cap=3, skill=2)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("allocate:\n  work in progres cap: 4", "line 3: `allocate` takes"),
        ("allocate: {skill level: 4}", "line 3: `allocate` takes"),
        ("alocate: {skill level: 2}", "line 3: 'alocate' is not a setting kinfold knows"),
        ("goals:\n  - {name: Soon, backlog under: 5, by: soon}", "line 3: goal 1 \\(Soon\\)"),
        ("routing: {rules: []}", "line 3: routing needs a `default team`"),
        ("resolve: {match_threshold: 2}", "line 3: resolve match_threshold is 2"),
        ("hotspots: {smallest group: 1}", "line 3: hotspots `smallest group`"),
        ("checkin: {stuck after days: 0}", "line 3: checkin `stuck after days`"),
        ("target occupancy: 1.5", "line 3: `target occupancy` should be"),
        ("service level days: none", "line 3: `service level days`"),
        ("process models: {Claim: {order: [[A, B]]}}", "line 3: in the process model"),
        ("enough: {food: []}", "line 3: `enough` gives"),
        ("time zone: Europe/Leeds", "line 3: `time zone` 'Europe/Leeds' is not a time zone"),
    ],
)
def test_a_mistake_in_kinfold_yaml_stops_the_workspace_opening_and_names_its_line(
    tmp_path: Path, line: str, message: str
) -> None:
    init_workspace(tmp_path).close()
    written = "name: Welfare team\nnation: england-and-wales\n" + line + "\n"
    (tmp_path / SETTINGS_FILE).write_text(written, encoding="utf-8")
    with pytest.raises(WorkspaceError, match=f"kinfold.yaml {message}"):
        open_workspace(tmp_path)


def test_a_setting_changed_is_checked_and_the_rest_kept() -> None:
    settings = Settings.parse({"name": "Welfare team", "allocate": {"skill level": 3}})
    changed = settings.with_setting("routing", {"default team": "Benefits team"})
    assert changed.routing is not None and changed.routing.default_team == "Benefits team"
    assert changed.allocation.skill == 3 and changed.name == "Welfare team"
    with pytest.raises(WorkspaceError, match="`routing` takes"):
        settings.with_setting("routing", {"teams": []})
    assert settings.routing is None  # unchanged


def test_a_setting_written_without_a_value_keeps_its_default() -> None:
    settings = Settings.parse({"allocate": None, "goals": None, "retention": None})
    assert settings == Settings()


def test_a_settings_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_bytes(b"name: caf\xe9\n")
    with pytest.raises(WorkspaceError, match="is not UTF-8 text"):
        Settings.read(tmp_path / SETTINGS_FILE)
