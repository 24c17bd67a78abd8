"""The web app's pages and API on the demo: sign-in, the role and team rules by page,
by URL and by API, get next and record an action, escaping, auditing, bad input."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from kinfold import accounts
from kinfold.allocate.backlog import queue
from kinfold.store.schema import cases, events, teams
from kinfold.web.app import create_app
from kinfold.workspace import Workspace
from tests.web.conftest import csrf_of, signed_in


def _other_teams_case(workspace: Workspace, team: str) -> int:
    with workspace.engine.connect() as conn:
        return int(conn.execute(
            select(cases.c.id).join(teams, teams.c.id == cases.c.team_id)
            .where(teams.c.name != team, cases.c.status == "open").limit(1)
        ).scalar_one())  # fmt: skip


def test_pages_need_a_signed_in_user_and_sign_in_says_what_is_wrong(
    web_workspace: Workspace,
) -> None:
    client = TestClient(create_app(web_workspace))
    assert client.get("/backlog", follow_redirects=False).headers["location"] == (
        "/sign-in?next=/backlog"
    )
    form = client.get("/sign-in")
    wrong = client.post("/sign-in", data={"username": "caseworker", "password": "not it at all",
                                          "csrf_token": csrf_of(form.text)})  # fmt: skip
    assert wrong.status_code == 400 and "There is a problem" in wrong.text
    assert "The user name or password is not right." in wrong.text
    empty = client.post("/sign-in", data={"csrf_token": csrf_of(wrong.text)})
    assert "Enter your user name" in empty.text and "Enter your password" in empty.text
    forged = TestClient(create_app(web_workspace)).post(
        "/sign-in", data={"username": "caseworker", "password": "demo-caseworker-2026",
                          "csrf_token": "made-up"})  # fmt: skip
    assert forged.status_code == 400 and "The form had expired" in forged.text
    given = {"username": "caseworker", "password": "demo-caseworker-2026",
             "csrf_token": csrf_of(empty.text), "next": "//evil.example"}  # fmt: skip
    away = client.post("/sign-in", data=given, follow_redirects=False)
    assert away.headers["location"] == "/backlog"  # no open redirect


def test_five_wrong_passwords_lock_the_account(web_workspace: Workspace) -> None:
    accounts.add_user(web_workspace.engine, "locked.out", "a long password 1", "analyst")
    client = TestClient(create_app(web_workspace))
    page = client.get("/sign-in")
    for _ in range(accounts.MAX_FAILURES):
        page = client.post("/sign-in", data={"username": "locked.out", "password": "wrong one",
                                             "csrf_token": csrf_of(page.text)})  # fmt: skip
    right = client.post("/sign-in", data={"username": "locked.out", "password": "a long password 1",
                                          "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert right.status_code == 400 and "locked after too many wrong passwords" in right.text


def test_a_caseworker_sees_their_team_gets_the_next_case_and_acts_on_it(
    web_workspace: Workspace,
) -> None:
    client, csrf = signed_in(web_workspace, "caseworker")
    page = client.get("/backlog?team=Benefits+team")  # asking for another team changes nothing
    total = queue(web_workspace.engine, team="Housing team").total
    assert f"Showing 1 to 25 of {total:,} cases" in page.text and "Housing team" in page.text
    assert "Get next case" in page.text
    grouped = client.get("/backlog?group=overdue&sort=harm&page=2")
    assert grouped.status_code == 200 and 'aria-current="page">Overdue' in grouped.text
    given = client.post("/next", data={"csrf_token": csrf}, follow_redirects=False)
    found = re.fullmatch(r"/cases/(\d+)\?given=1", given.headers["location"])
    assert found is not None
    case_id = int(found.group(1))
    shown = client.get(given.headers["location"])
    assert "is yours now" in shown.text and "Record an action" in shown.text
    note = '<script>alert("x")</script> =HYPERLINK("http://evil")'
    given_form = {"csrf_token": csrf, "action": "contact made", "note": note}
    done = client.post(f"/cases/{case_id}/actions", data=given_form)
    assert done.status_code == 200 and "Contact made on case" in done.text
    assert "<script>alert" not in done.text and "&lt;script&gt;alert" in done.text
    view = queue(web_workspace.engine, case_id=case_id).rows[0]
    assert view.owner == "W18" and view.state == "in progress"
    with web_workspace.engine.connect() as conn:
        viewed = conn.execute(
            select(events.c.actor).where(events.c.action == "case.viewed",
                                         events.c.entity_id == str(case_id))
        ).scalars()  # fmt: skip
    assert set(viewed) == {"caseworker"}  # every view is in the audit log


def test_bad_action_forms_are_refused_with_what_to_put_right(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "teamleader")
    given = client.post("/next", data={"csrf_token": csrf}, follow_redirects=False)
    url = given.headers["location"].split("?")[0] + "/actions"
    for data, message in [
        ({}, "Select what you did"),
        ({"action": "item completed"}, "Select the item you completed"),
        ({"action": "waiting for the customer", "until-day": "31", "until-month": "2",
          "until-year": "2027"}, "Enter the date you are waiting until"),
        ({"action": "contact made", "note": "x" * 2001}, "The note must be 2,000 characters"),
    ]:  # fmt: skip
        refused = client.post(url, data={"csrf_token": csrf, **data})
        assert refused.status_code == 400 and "There is a problem" in refused.text
        assert message in refused.text
    forged = client.post(url, data={"csrf_token": "not the session's", "action": "referred"})
    assert forged.status_code == 403 and "did not come from this site" in forged.text


def test_another_teams_case_is_refused_by_page_url_and_api(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "caseworker")
    other = _other_teams_case(web_workspace, "Housing team")
    assert client.get(f"/cases/{other}").status_code == 403
    acted = client.post(f"/cases/{other}/actions", data={"csrf_token": csrf, "action": "referred"})
    assert acted.status_code == 403 and "is in another team" in acted.text
    assert client.get("/cases/999999").status_code == 404
    token = accounts.new_api_token(
        web_workspace.engine, "caseworker", "another teams case is refused by page url and api"
    )
    api = TestClient(create_app(web_workspace), headers={"Authorization": f"Bearer {token}"})
    assert api.get(f"/api/cases/{other}").status_code == 403
    assert api.get("/api/queue", params={"team": "Benefits team"}).status_code == 403
    assert api.post(f"/api/cases/{other}/actions", json={"action": "referred"}).status_code == 403


def test_an_analyst_sees_every_team_with_people_pseudonymised(web_workspace: Workspace) -> None:
    client, _ = signed_in(web_workspace, "analyst")
    page = client.get("/backlog")
    assert "Every team" in page.text and "Get next case" not in page.text  # not a worker
    case_id = _other_teams_case(web_workspace, "nobody's")
    shown = client.get(f"/cases/{case_id}")
    assert shown.status_code == 200 and "Person " in shown.text
    with web_workspace.engine.connect() as conn:
        names = conn.execute(select(cases.c.household_id).where(cases.c.id == case_id)).scalar()
    assert names is None or "Address" not in shown.text  # no address for an analyst
    assert shown.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert (
        shown.headers["X-Frame-Options"] == "DENY" and shown.headers["Cache-Control"] == "no-store"
    )


def test_the_api_works_with_a_token_and_says_what_is_wrong(web_workspace: Workspace) -> None:
    anonymous = TestClient(create_app(web_workspace))
    assert anonymous.get("/api/queue").status_code == 401
    assert "/api/queue" in anonymous.get("/openapi.json").json()["paths"]
    token = accounts.new_api_token(
        web_workspace.engine, "teamleader", "the api works with a token and says what is wrong"
    )
    api = TestClient(create_app(web_workspace), headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/me").json()["role"] == "team leader"
    listed = api.get("/api/queue", params={"group": "overdue"}).json()
    assert listed["total"] > 0 and all(c["team"] == "Housing team" for c in listed["cases"])
    assert all(c["group"] == "overdue" for c in listed["cases"])
    given = api.post("/api/next").json()
    case = api.get(f"/api/cases/{given['case_id']}").json()
    assert case["owner"] == "W19" and case["members"] and case["items"]
    done = api.post(f"/api/cases/{given['case_id']}/actions",
                    json={"action": "contact made", "note": "rang them"})  # fmt: skip
    assert done.status_code == 200 and done.json()["action"] == "contact made"
    wrong = api.post(f"/api/cases/{given['case_id']}/actions", json={"action": "danced"})
    assert wrong.status_code == 422 and wrong.json()["problems"]
    assert api.get("/api/cases/999999").status_code == 404
    assert api.get("/api/queue", params={"sort": "shoe size"}).status_code == 400
    assert api.get("/api/kpis", params={"by": "team"}).json()["figures"]
    assert api.get("/api/plan").json()["scenarios"][0]["name"] == "As now"
    csv = b"source_ref,item_type,received_at,full_name\nAPI-1,Benefit claim,2026-11-20,Ada Byron\n"
    imported = api.post("/api/imports", data={"source": "api test"},
                        files={"file": ("claims.csv", csv, "text/csv")})  # fmt: skip
    assert imported.status_code == 200 and imported.json()["new"] == 1
    with web_workspace.engine.connect() as conn:  # placed in a case, ranked in a backlog
        placed = conn.execute(text(
            "SELECT c.priority_rank FROM items i JOIN cases c ON c.id = i.case_id "
            "WHERE i.source_ref = 'API-1'")).scalar_one()  # fmt: skip
    assert placed is not None
    wrong = api.post("/api/imports", data={"source": "api test"},
                     files={"file": ("claims.exe", b"MZ", "application/octet-stream")})  # fmt: skip
    assert wrong.status_code == 400 and "must be one of" in wrong.json()["error"]
    combined = (b"source,source_ref,item_type,received_at,full_name\n"
                b"api one,API-2,Benefit claim,2026-11-20,Ada Byron\n"
                b"api two,API-2,Repair,2026-11-21,Ada Byron\n")  # fmt: skip
    split = api.post("/api/imports", files={"file": ("both.csv", combined, "text/csv")})
    assert split.status_code == 200, split.text
    assert [(part["source"], part["new"]) for part in split.json()["imports"]] == [
        ("api one", 1),
        ("api two", 1),
    ]
    assert split.json()["new"] == 2
    contrary = api.post("/api/imports", data={"source": "api one"},
                        files={"file": ("both.csv", combined, "text/csv")})  # fmt: skip
    assert contrary.status_code == 400 and "also names 'api two'" in contrary.json()["error"]


def test_a_question_asked_on_a_case_is_answered_by_a_peer(web_workspace: Workspace) -> None:
    asking, csrf = signed_in(web_workspace, "caseworker")
    given = asking.post("/next", data={"csrf_token": csrf}, follow_redirects=False)
    case_url = given.headers["location"].split("?")[0]
    empty = asking.post(case_url + "/questions", data={"csrf_token": csrf, "question": " "})
    assert empty.status_code == 400 and "Enter your question" in empty.text
    question = {"csrf_token": csrf, "question": "Is <b>Jo</b> in the household?"}
    asked = asking.post(case_url + "/questions", data=question)
    assert "Your question is with your team." in asked.text
    peer, peer_csrf = signed_in(web_workspace, "teamleader")
    listed = peer.get("/peers")
    assert "Is &lt;b&gt;Jo&lt;/b&gt; in the household?" in listed.text
    number = int(re.findall(r"/peers/(\d+)/answer", listed.text)[-1])
    reply = {"csrf_token": peer_csrf, "answer": "Yes: same address since May."}
    answered = peer.post(f"/peers/{number}/answer", data=reply)
    assert "recorded on case" in answered.text and f"/peers/{number}/answer" not in answered.text
    assert answered.history and answered.history[0].status_code == 303  # a reload posts nothing
    theirs = asking.get("/peers").text
    assert "Your questions" in theirs and "Answered" in theirs
    assert "Yes: same address since May." in theirs
    timeline = asking.get(case_url).text
    assert "Is &lt;b&gt;Jo&lt;/b&gt; in the household?" in timeline
    assert "Decided: Yes: same address since May." in timeline
    for path in ("/checkin", "/hotspots", "/goals"):
        assert peer.get(path).status_code == 200


def test_a_reviewer_decides_a_link_and_applies_it(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "teamleader")
    page = client.get("/review")
    links = re.findall(r'name="link" value="(\d+)"', page.text)
    assert links, "the demo has uncertain links to review"
    decision = {"csrf_token": csrf, "link": links[0], "action": "split"}
    decided = client.post("/review/decide", data=decision)
    assert "are different people." in decided.text
    assert f'name="link" value="{links[0]}"' not in decided.text  # decided: off the list
    applied = client.post("/review/apply", data={"csrf_token": csrf})
    assert "Resolved again:" in applied.text
    with web_workspace.engine.connect() as conn:
        actions = set(conn.execute(select(events.c.action).where(
            events.c.actor == "teamleader")).scalars())  # fmt: skip
    assert {"review.viewed", "review.split"} <= actions
    analyst, _ = signed_in(web_workspace, "analyst")
    assert analyst.get("/review").status_code == 403  # people's details: reviewers only


def test_an_upload_too_large_is_refused_before_it_is_read(web_workspace: Workspace) -> None:
    client, csrf = signed_in(web_workspace, "teamleader")
    big = client.post("/imports", data={"csrf_token": csrf, "source": "big"},
                      headers={"content-length": str(60 * 1024 * 1024)},
                      files={"file": ("big.csv", b"x", "text/csv")})  # fmt: skip
    assert big.status_code == 413 and "smaller than 50 MB" in big.text
    secure = TestClient(create_app(web_workspace, secure_cookies=True))
    form = secure.get("/sign-in")
    given = {"username": "analyst", "password": "demo-analyst-2026",
             "csrf_token": csrf_of(form.text)}  # fmt: skip
    signed = secure.post("/sign-in", data=given, follow_redirects=False)
    cookie = signed.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
