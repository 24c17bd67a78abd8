"""The case page's "Allocate to me", assign, reassign and hand back (each a post, then a
redirect to the page, so a reload repeats nothing), "My cases", and search by name, date
of birth, address, postcode and reference within the team."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from kinfold.allocate.backlog import queue
from kinfold.fold.hotspots import find_hotspots
from kinfold.store.schema import events, items, teams
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


def test_a_hotspot_is_answered_with_one_response_on_every_case(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "caseworker")
    page = client.get("/hotspots").text
    shown = [
        (kind, html.unescape(key))
        for kind, key in re.findall(
            r'name="kind" value="([^"]+)">\s*<input type="hidden" name="key" value="([^"]+)"', page
        )
    ]
    with web_workspace.engine.connect() as conn:
        found = find_hotspots(
            conn, web_workspace.settings.hotspots, team_id_of(web_workspace, TEAM)
        )
    kind, key, members = next((h.kind, h.key, h.case_ids) for h in found
                              if (h.kind, h.key) in shown and len(h.case_ids) >= 2)  # fmt: skip
    assert len(members) >= 2 and all(f'href="/cases/{c}"' in page for c in members[:50])
    unchosen = client.post("/hotspots/respond", data={"csrf_token": csrf, "kind": kind,
                                                      "key": key, "response": ""})  # fmt: skip
    assert unchosen.status_code == 400 and "Select the group response" in unchosen.text
    given = {"csrf_token": csrf, "kind": kind, "key": key, "response": "a group session",
             "note": "Tuesday at the library"}  # fmt: skip
    done = client.post("/hotspots/respond", data=given, follow_redirects=False)
    assert done.status_code == 303
    said = client.get("/hotspots").text
    assert f"A group session is recorded on {len(members):,} cases, taken by W18." in said
    assert all(count(web_workspace, "case.group_response", case_id) == 1 for case_id in members)
    timeline = client.get(f"/cases/{members[0]}").text
    assert "Group response: a group session" in timeline
    gone = {**given, "key": "no such group"}
    assert "no longer among the open cases" in client.post("/hotspots/respond", data=gone).text
    analyst, analyst_csrf = signed_in(web_workspace, "analyst")
    assert "Record it on every case" not in analyst.get("/hotspots").text
    refused = analyst.post("/hotspots/respond", data={**given, "csrf_token": analyst_csrf})
    assert refused.status_code == 403


def team_id_of(workspace: Workspace, name: str) -> int:
    with workspace.engine.connect() as conn:
        return int(conn.execute(select(teams.c.id).where(teams.c.name == name)).scalar_one())
