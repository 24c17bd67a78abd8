"""Team before person: measures by worker are seen by the worker, their team leader and
admin only; everyone else sees team figures, and the records behind a figure name only
the workers its reader may see."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from kinfold import accounts
from kinfold.measure.frame import from_store
from kinfold.measure.headline import HEADLINE
from kinfold.measure.kpis import team_workers
from kinfold.store.schema import users, workers
from kinfold.web.app import create_app
from kinfold.web.measures import ANOTHER_WORKER
from kinfold.workspace import Workspace
from tests.web.conftest import signed_in

TEAM = "Housing team"


def api_as(workspace: Workspace, username: str, name: str = "measures by worker") -> TestClient:
    token = accounts.new_api_token(workspace.engine, username, name)
    return TestClient(create_app(workspace), headers={"Authorization": f"Bearer {token}"})


def workers_in(client: TestClient) -> set[str]:
    """Whose figures by worker the API gives this client."""
    got = client.get("/api/kpis", params={"by": "worker", "period": "all"})
    assert got.status_code == 200, got.text
    return {figure["group"] for figure in got.json()["figures"]}


def test_figures_by_worker_are_the_workers_and_their_team_leaders(
    web_workspace: Workspace,
) -> None:
    frame = from_store(web_workspace.engine, web_workspace.settings)
    housing = team_workers(frame, TEAM)
    everyone = workers_in(api_as(web_workspace, "admin"))
    assert housing < everyone  # admin sees every team's workers
    assert workers_in(api_as(web_workspace, "teamleader")) == housing & everyone
    with web_workspace.engine.connect() as conn:
        own = conn.execute(
            select(workers.c.worker_ref).join(users, users.c.worker_id == workers.c.id)
            .where(users.c.username == "caseworker")
        ).scalar_one()  # fmt: skip
    assert own in housing
    assert workers_in(api_as(web_workspace, "caseworker")) == {own}
    refused = api_as(web_workspace, "analyst").get("/api/kpis", params={"by": "worker"})
    assert refused.status_code == 403 and "team leader" in refused.json()["error"]
    # the team figures are everyone's to see
    by_team = api_as(web_workspace, "analyst", "measures by team").get(
        "/api/kpis", params={"by": "team"}
    )
    assert by_team.status_code == 200 and by_team.json()["figures"]


def test_the_measures_page_offers_by_worker_only_to_those_who_may_see_it(
    web_workspace: Workspace,
) -> None:
    analyst, _ = signed_in(web_workspace, "analyst")
    assert '<option value="worker"' not in analyst.get("/measures").text
    asked = analyst.get("/measures", params={"by": "worker"})
    assert asked.status_code == 400 and "shown only to each worker" in asked.text
    leader, _ = signed_in(web_workspace, "teamleader")
    page = leader.get("/measures", params={"by": "worker", "period": "all"})
    assert page.status_code == 200 and '<option value="worker" selected' in page.text
    others = team_workers(from_store(web_workspace.engine, web_workspace.settings), "Revenues team")
    assert others and not any(f">{worker}<" in page.text for worker in others)


def test_the_records_behind_a_figure_name_only_the_workers_their_reader_may_see(
    web_workspace: Workspace,
) -> None:
    frame = from_store(web_workspace.engine, web_workspace.settings)
    housing = team_workers(frame, TEAM)
    other = min(team_workers(frame, "Revenues team"))
    leader, _ = signed_in(web_workspace, "teamleader")
    asked = {"measure": "Productivity", "period": "all", "by": "worker", "group": other}
    assert leader.get("/measures/records", params=asked).status_code == 403
    assert leader.get("/measures/records.xlsx", params=asked).status_code == 403
    admin, _ = signed_in(web_workspace, "admin")
    assert other in admin.get("/measures/records", params=asked).text
    # a team's records: its own workers by name, another team's as "(another worker)"
    whole = {"measure": "Productivity", "period": "all"}
    text = leader.get("/measures/records", params=whole).text
    assert ANOTHER_WORKER in text and any(f">{worker}<" in text for worker in housing)
    assert f">{other}<" not in text
    analyst, _ = signed_in(web_workspace, "analyst")
    text = analyst.get("/measures/records", params=whole).text
    assert ANOTHER_WORKER in text and not any(f">{worker}<" in text for worker in housing)


def test_the_measures_open_at_a_glance_with_complete_periods_only(
    web_workspace: Workspace,
) -> None:
    analyst, _ = signed_in(web_workspace, "analyst")
    page = analyst.get("/measures").text
    going_on = re.search(r'id="going-on">Complete periods only: ([^<]+) is not over yet', page)
    assert going_on, "the page says which period it leaves out"
    captions = re.findall(r"<caption[^>]*>([^<]*)</caption>", page)
    assert captions and going_on.group(1) not in captions
    lines = re.findall(r'<dd class="govuk-summary-list__value">([^<]+)</dd>', page)
    assert len(lines) == len(HEADLINE)  # the demo has every headline measure
    assert all(re.match(r"[A-Z][a-z]+ \d{4}: ", line) for line in lines)
    assert any(re.search(r"(up|down) .* on [A-Z][a-z]+ \d{4} \((better|worse)\)", line)
               for line in lines)  # fmt: skip
    so_far = analyst.get("/measures", params={"so_far": "true"}).text
    assert "Complete periods only" not in so_far
    assert going_on.group(1) in re.findall(r"<caption[^>]*>([^<]*)</caption>", so_far)
    by_team = analyst.get("/measures", params={"by": "team"}).text
    assert "At a glance" not in by_team  # the headline is the whole back office's


def test_the_plan_page_explains_each_fte_figure_by_its_hours(web_workspace: Workspace) -> None:
    analyst, _ = signed_in(web_workspace, "analyst")
    page = analyst.get("/plan", params={"by": "2027-03-31"}).text
    explained = page[page.index('id="fte-explained"') :]
    explained = explained[: explained.index("</details>")]
    hours = re.search(r"One FTE gives <strong>([\d.]+) handling hours a week</strong>", explained)
    assert hours and float(hours.group(1)) > 0
    for figure in ("FTE next week", "FTE to clear by 31 March 2027", "FTE for the service level"):
        assert re.search(rf"<strong>{figure}</strong> \([\d.,]+\): [^<]*{hours.group(1)} hours",
                         explained), figure  # fmt: skip
