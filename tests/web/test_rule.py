"""The priority rule's page: a form of the rule's lines, refused with a message by field,
a team leader changing only their own team's rule, an admin any, the YAML to download."""

from __future__ import annotations

import re

from sqlalchemy import select

from kinfold.demo.accounts import TEAM
from kinfold.priority.rule import parse_rule
from kinfold.priority.run import rule_in_force, teams_own_rules
from kinfold.store.schema import teams
from kinfold.workspace import Workspace
from tests.web.conftest import csrf_of, signed_in


def _team_id(workspace: Workspace, name: str) -> int:
    with workspace.engine.connect() as conn:
        return int(conn.execute(select(teams.c.id).where(teams.c.name == name)).scalar_one())


def _form(page: str) -> dict[str, str]:
    """The fields of the rule's form (the first form posting to /rule/preview) as the
    page fills them, the order being the radio that is checked."""
    start = page.index('action="/rule/preview"')
    form = page[start : page.index("</form>", start)]
    fields = {}
    for tag in re.findall(r"<input [^>]*>", form):
        attributes = dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))
        if attributes.get("type") not in ("radio", "checkbox") or " checked" in tag:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def test_the_form_shows_the_rule_and_refuses_what_it_cannot_use_by_field(
    web_workspace: Workspace,
) -> None:
    client, _ = signed_in(web_workspace, "teamleader")
    page = client.get("/rule").text
    fields = _form(page)
    names = {value: key for key, value in fields.items() if key.endswith("-name")}
    eviction = names["eviction notice"].removesuffix("-name")
    assert fields[f"{eviction}-days"] == "2" and fields[f"{eviction}-points"] == "40"
    assert fields[f"{eviction}-due"] == "yes"  # harm by the eviction's date
    assert f"{names['no income'].removesuffix('-name')}-due" not in fields
    assert fields["team"] == str(_team_id(web_workspace, TEAM))
    with web_workspace.engine.connect() as conn:
        before = rule_in_force(conn, _team_id(web_workspace, TEAM))

    wrong = {**fields, f"{eviction}-points": "-5", f"{eviction}-days": "1.5",
             "flag-90-name": "homelesss", "flag-90-days": "1", "flag-90-points": "5",
             "flag-91-days": "3", "need-90-name": "parking", "need-90-points": "1",
             "overdue": "thirty", "due_harm_days": "", "note": "trying"}  # fmt: skip
    response = client.post("/rule/save", data=wrong)
    assert response.status_code == 400
    start = response.text.index("govuk-error-summary__list")
    summary = response.text[start : response.text.index("</ul>", start)]
    assert "The points of &#39;eviction notice&#39; must be zero or more" in summary
    assert "The harm days of &#39;eviction notice&#39; must be a whole number of days" in summary
    assert "no item has the risk flag &#39;homelesss&#39;" in summary
    assert "did you mean &#39;homeless&#39;?" in summary
    assert "Enter the risk flag&#39;s name, or clear its figures" in summary
    assert "no item has the need &#39;parking&#39;" in summary
    assert "&#39;overdue&#39; (due dates) must be a number" in summary
    assert 'value="homelesss"' in response.text  # what was typed is shown again
    with web_workspace.engine.connect() as conn:
        assert rule_in_force(conn, _team_id(web_workspace, TEAM)) == before  # nothing saved


def test_a_team_leader_changes_their_own_teams_rule_and_no_other(
    web_workspace: Workspace,
) -> None:
    ours = _team_id(web_workspace, TEAM)
    with web_workspace.engine.connect() as conn:
        other = next(id for id, name in conn.execute(select(teams.c.id, teams.c.name))
                     if name != TEAM)  # fmt: skip
        workspace_rule = rule_in_force(conn)
    client, _ = signed_in(web_workspace, "teamleader")
    page = client.get(f"/rule?team={other}").text  # asking for another team shows their own
    assert f"{TEAM} works by the workspace's rule" in page
    fields = _form(page)
    for forged in ("", str(other)):
        refused = client.post("/rule/save", data={**fields, "team": forged, "note": "x"})
        assert refused.status_code == 403, forged
    names = {value: key for key, value in fields.items() if key.endswith("-name")}
    income = names["no income"].removesuffix("-name")
    reason = "No income is urgent this winter."
    saved = client.post("/rule/save", data={**fields, f"{income}-points": "95", "note": reason})
    assert saved.status_code == 200 and "is in force: every backlog" in saved.text
    assert f"{TEAM} works by its own rule" in saved.text
    with web_workspace.engine.connect() as conn:
        own = teams_own_rules(conn)
        assert set(own) == {ours}
        assert parse_rule(own[ours][1]).flags["no_income"].points == 95
        assert rule_in_force(conn) == workspace_rule  # the workspace's rule is as it was
    yaml = client.get("/rule.yaml")
    assert yaml.headers["content-disposition"].startswith("attachment;")
    assert "no income: {harm within days: 7, points: 95}" in yaml.text

    caseworker, _ = signed_in(web_workspace, "caseworker")
    assert caseworker.post("/rule/save", data={**fields, "note": "x"}).status_code == 403
    admin, _ = signed_in(web_workspace, "admin")
    page = admin.get(f"/rule?team={other}").text
    assert "works by the workspace's rule" in page and "Whose rule" in page
    fields = _form(page)
    assert fields["team"] == str(other)
    assert admin.get("/rule?team=999999").status_code == 403
    csrf = csrf_of(page)
    pasted = admin.post("/rule/preview", data={"csrf_token": csrf, "team": "",
                                                "rule": "order: sooner\n"})  # fmt: skip
    assert pasted.status_code == 400 and "the order is one of" in pasted.text
