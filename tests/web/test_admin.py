"""Admin: the skills matrix and the routing rules, edited in the browser's forms."""

from __future__ import annotations

import json
import re

import yaml
from sqlalchemy import func, select

from kinfold.allocate.backlog import queue
from kinfold.store.schema import cases, events, skills, teams, workers
from kinfold.store.workforce import skill_levels
from kinfold.workspace import SETTINGS_FILE, Workspace, open_workspace
from tests.web.conftest import signed_in

COMMENT = "# kept: the routing is edited on the admin page too"


def _open_cases(workspace: Workspace) -> dict[str, int]:
    with workspace.engine.connect() as conn:
        return dict(conn.execute(
            select(teams.c.name, func.count()).join(cases, cases.c.team_id == teams.c.id)
            .where(cases.c.status == "open").group_by(teams.c.name)
        ).all())  # fmt: skip


def _routing_form(
    csrf: str, action: str, rules: list[tuple[str, str, str]], default: str
) -> dict[str, str]:
    form = {"csrf_token": csrf, "action": action, "default-team": default}
    for number, (match, value, team) in enumerate([*rules, ("", "", "")], start=1):
        form |= {f"rule-{number}-position": str(number), f"rule-{number}-match": match,
                 f"rule-{number}-value": value, f"rule-{number}-team": team}  # fmt: skip
    return form


def test_routing_rules_are_previewed_then_saved_and_move_the_cases(
    web_workspace: Workspace,
) -> None:
    settings_path = web_workspace.path / SETTINGS_FILE
    settings_path.write_text(COMMENT + "\n" + settings_path.read_text(encoding="utf-8"))
    client, csrf = signed_in(web_workspace, "admin")
    apart = open_workspace(web_workspace.path)  # as another of the app's processes has it
    other, _ = signed_in(apart, "admin")
    page = client.get("/admin")
    assert page.status_code == 200
    assert re.search(r'name="rule-5-value"[^>]*value="Council tax hardship relief"', page.text)
    before = _open_cases(web_workspace)
    # every case to the Benefits team but those with a housing need
    rules = [("need", "housing", "Housing team")]
    preview = client.post("/admin/routing", data=_routing_form(csrf, "preview", rules,
                                                               "Benefits team"))  # fmt: skip
    assert preview.status_code == 200 and "not saved yet" in preview.text
    shown = dict(re.findall(
        r'<td class="govuk-table__cell">([^<]+team)</td><td[^>]*>[\d,]+</td><td[^>]*>([\d,]+)</td>',
        preview.text))  # fmt: skip
    assert _open_cases(web_workspace) == before  # a preview changes nothing
    assert int(shown["Revenues team"].replace(",", "")) == 0 < before["Revenues team"]

    saved = client.post("/admin/routing", data=_routing_form(csrf, "save", rules,
                                                             "Benefits team"))  # fmt: skip
    assert saved.status_code == 200 and "Saved the routing rules." in saved.text
    after = _open_cases(web_workspace)
    assert {team: f"{count:,}" for team, count in after.items()} == {
        team: count for team, count in shown.items() if count != "0"}  # fmt: skip
    assert sum(after.values()) == sum(before.values())  # every open case is in one backlog
    assert queue(web_workspace.engine, team="Revenues team").total == 0
    written = settings_path.read_text(encoding="utf-8")
    assert written.startswith(COMMENT)  # the rest of the file is kept
    elsewhere = other.get("/admin")  # the other process reads the saved rules again
    assert not re.search(r'name="rule-2-value"[^>]*value="Council tax arrears"', elsewhere.text)
    assert re.search(r'name="rule-1-value"[^>]*value="housing"', elsewhere.text)
    apart.close()
    assert yaml.safe_load(written)["routing"] == {
        "default team": "Benefits team",
        "rules": [{"team": "Housing team", "need": "housing"}],
    }
    with web_workspace.engine.connect() as conn:
        logged = conn.execute(select(events.c.before, events.c.after).where(
            events.c.action == "routing.changed")).one()  # fmt: skip
    assert len(json.loads(logged.before)["rules"]) == 5
    assert json.loads(logged.after)["rules"] == [{"team": "Housing team", "need": "housing"}]


def test_a_bad_routing_form_says_what_is_wrong_and_saves_nothing(
    web_workspace: Workspace,
) -> None:
    settings_path = web_workspace.path / SETTINGS_FILE
    written = settings_path.read_text(encoding="utf-8")
    client, csrf = signed_in(web_workspace, "admin")
    form = _routing_form(csrf, "save", [("need", "", "Housing team"),
                                        ("area", "LS6", "No such team")], "")  # fmt: skip
    form["rule-2-position"] = "first"
    refused = client.post("/admin/routing", data=form)
    assert refused.status_code == 400 and "There is a problem" in refused.text
    for message in ("Enter the need rule 1 looks for", "Choose the team of rule 2",
                    "The position of rule 2 must be a number",
                    "Choose the team that takes the cases no rule names"):  # fmt: skip
        assert refused.text.count(message) == 2  # in the summary and by its field
    assert 'value="LS6"' in refused.text  # what was typed stays
    assert settings_path.read_text(encoding="utf-8") == written


def test_the_skills_matrix_is_edited_a_team_at_a_time(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "admin")
    with web_workspace.engine.connect() as conn:
        worker_id, ref = conn.execute(
            select(workers.c.id, workers.c.worker_ref).join(teams, teams.c.id == workers.c.team_id)
            .where(teams.c.name == "Revenues team").order_by(workers.c.worker_ref).limit(1)
        ).one()  # fmt: skip
        other = conn.execute(
            select(workers.c.id).join(teams, teams.c.id == workers.c.team_id)
            .where(teams.c.name != "Revenues team").limit(1)
        ).scalar_one()  # fmt: skip
        levels = skill_levels(conn)
    page = client.get("/admin", params={"team": "Revenues team"})
    assert f"{ref} in Council tax arrears" in page.text
    field = f"skill:{worker_id}:Council tax arrears"
    level = levels.get((worker_id, "Council tax arrears"), 0)
    new_level = 3 if level != 3 else 1
    form = {"csrf_token": csrf, "team": "Revenues team", field: str(new_level)}
    saved = client.post("/admin/skills", data=form)
    assert "Saved 1 changed skill level in Revenues team." in saved.text
    with web_workspace.engine.connect() as conn:
        assert skill_levels(conn)[worker_id, "Council tax arrears"] == new_level
        logged = conn.execute(select(events.c.before, events.c.after).where(
            events.c.action == "skill.updated", events.c.actor == "admin")).one()  # fmt: skip
    assert json.loads(logged.before) == {"item_type": "Council tax arrears", "level": level}
    assert json.loads(logged.after) == {"item_type": "Council tax arrears", "level": new_level}

    with web_workspace.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(skills)).scalar_one()
    for bad in ({field: "4"}, {f"skill:{other}:Council tax arrears": "2"}):
        refused = client.post("/admin/skills", data={"csrf_token": csrf,
                                                     "team": "Revenues team", **bad})  # fmt: skip
        assert refused.status_code == 400 and "There is a problem" in refused.text
    with web_workspace.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(skills)).scalar_one() == rows


def test_only_admins_edit_skills_and_routing(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "teamleader")
    for path in ("/admin/skills", "/admin/routing"):
        assert client.post(path, data={"csrf_token": csrf}).status_code == 403
