"""The case page's "Allocate to me", assign, reassign and hand back (each a post, then a
redirect to the page, so a reload repeats nothing), "My cases", and search by name, date
of birth, address, postcode and reference within the team."""

from __future__ import annotations

from sqlalchemy import func, select

from kinfold.allocate.backlog import queue
from kinfold.store.schema import events, items
from kinfold.workspace import Workspace
from tests.web.conftest import signed_in

TEAM = "Housing team"


def unowned_case(workspace: Workspace, skip: int = 0) -> int:
    rows = queue(workspace.engine, team=TEAM, limit=200).rows
    return [row.case_id for row in rows if row.owner is None and not row.unskilled][skip]


def count(workspace: Workspace, action: str, case_id: int) -> int:
    with workspace.engine.connect() as conn:
        counted = select(func.count()).select_from(events)
        found = counted.where(events.c.action == action, events.c.entity_id == str(case_id))
        return int(conn.execute(found).scalar_one())


def test_a_caseworker_takes_a_case_and_hands_it_back(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "caseworker")
    case_id = unowned_case(web_workspace)
    page = client.get(f"/cases/{case_id}")
    assert "Allocate to me" in page.text and "Reassign" not in page.text  # not a team leader
    taken = client.post(f"/cases/{case_id}/claim", data={"csrf_token": csrf},
                        follow_redirects=False)  # fmt: skip
    assert taken.status_code == 303 and taken.headers["location"] == f"/cases/{case_id}"
    shown = client.get(taken.headers["location"])
    assert f"Case {case_id} is allocated to you." in shown.text and "Record an action" in shown.text
    again = client.get(taken.headers["location"])  # a reload records nothing, says nothing
    assert "is allocated to you." not in again.text
    assert count(web_workspace, "case.claimed", case_id) == 1
    mine = client.get("/my-cases")
    assert mine.status_code == 200 and "My cases" in mine.text and f"/cases/{case_id}" in mine.text
    empty = client.post(f"/cases/{case_id}/hand-back", data={"csrf_token": csrf, "reason": " "})
    assert empty.status_code == 400 and "Say why the case goes back" in empty.text
    back = client.post(f"/cases/{case_id}/hand-back",
                       data={"csrf_token": csrf, "reason": "I know the family"},
                       follow_redirects=False)  # fmt: skip
    assert back.headers["location"] == f"/cases/{case_id}"
    assert "is back in the team" in client.get(back.headers["location"]).text
    assert f'/cases/{case_id}"' not in client.get("/my-cases").text
    assert count(web_workspace, "case.handed_back", case_id) == 1


def test_a_team_leader_assigns_and_reassigns_and_a_caseworker_may_not(
    web_workspace: Workspace,
) -> None:
    case_id = unowned_case(web_workspace, skip=1)
    caseworker, csrf = signed_in(web_workspace, "caseworker")
    refused = caseworker.post(f"/cases/{case_id}/assign", data={"csrf_token": csrf,
                                                                 "worker": "W18"})  # fmt: skip
    assert refused.status_code == 403
    leader, csrf = signed_in(web_workspace, "teamleader")
    page = leader.get(f"/cases/{case_id}")
    assert "Assign to" in page.text and '<option value="W18">' in page.text
    nobody = leader.post(f"/cases/{case_id}/assign", data={"csrf_token": csrf, "worker": ""})
    assert nobody.status_code == 400 and "Select who the case goes to" in nobody.text
    outsider = leader.post(f"/cases/{case_id}/assign", data={"csrf_token": csrf, "worker": "W01"})
    assert outsider.status_code == 400 and "W01 is not in Housing team" in outsider.text
    for worker in ("W18", "W20"):
        done = leader.post(f"/cases/{case_id}/assign", data={"csrf_token": csrf, "worker": worker},
                           follow_redirects=False)  # fmt: skip
        assert done.headers["location"] == f"/cases/{case_id}"
        said = leader.get(done.headers["location"]).text
        assert f"Case {case_id} is {'re' if worker == 'W20' else ''}assigned to {worker}." in said
    assert queue(web_workspace.engine, case_id=case_id).rows[0].owner == "W20"
    assert count(web_workspace, "case.assigned", case_id) == 2
    # another team's case is not theirs to assign
    other = queue(web_workspace.engine, team="Benefits team", limit=1).rows[0].case_id
    taken = leader.post(f"/cases/{other}/assign", data={"csrf_token": csrf, "worker": "W18"})
    assert taken.status_code == 403


def test_search_finds_a_person_by_what_a_caller_gives_within_the_team(
    web_workspace: Workspace,
) -> None:
    case_id = queue(web_workspace.engine, team=TEAM, limit=1).rows[0].case_id
    with web_workspace.engine.connect() as conn:
        item = conn.execute(select(items).where(items.c.case_id == case_id,
                                                items.c.last_name.is_not(None))
                            .limit(1)).mappings().one()  # fmt: skip
    client, _ = signed_in(web_workspace, "caseworker")
    born = item["date_of_birth"]
    postcode = item["postcode"] or ""
    asked = [f"{item['first_name']} {item['last_name']}".upper(), item["source_ref"],
             f"{born[8:10]}/{born[5:7]}/{born[:4]}" if born else item["source_ref"],
             postcode.replace(" ", "").lower() or item["source_ref"]]  # fmt: skip
    for search in asked:
        page = client.get("/backlog", params={"q": search})
        assert page.status_code == 200 and f'href="/cases/{case_id}"' in page.text, search
    nothing = client.get("/backlog", params={"q": "no such person anywhere"})
    assert "No open cases match." in nothing.text
    # another team's person is not found from this team's backlog
    other = queue(web_workspace.engine, team="Benefits team", limit=1).rows[0].case_id
    with web_workspace.engine.connect() as conn:
        first = select(items.c.source_ref).where(items.c.case_id == other).limit(1)
        reference = conn.execute(first).scalar_one()
    assert f'href="/cases/{other}"' not in client.get("/backlog", params={"q": reference}).text
    analyst, _ = signed_in(web_workspace, "analyst")
    assert analyst.get("/backlog", params={"q": item["source_ref"]}).status_code == 403
