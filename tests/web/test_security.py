"""Security: every route's role and team rule (by page, URL and API), CSRF on every form,
the security headers, sign-in rate limits, escaping, logs without personal data or
secrets, and the API fuzzed from its OpenAPI description with no server error."""

from __future__ import annotations

import html
import io
import logging
from datetime import date
from typing import Any

import openpyxl
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from kinfold import accounts
from kinfold.store.schema import cases, households, items, people, teams
from kinfold.web.app import create_app
from kinfold.workspace import Workspace
from tests.web.conftest import PASSWORDS, csrf_of, signed_in

ROLES = {"caseworker": "caseworker", "teamleader": "team leader", "analyst": "analyst",
         "admin": "admin"}  # fmt: skip
EVERYONE = frozenset(ROLES.values())
LEADERS = frozenset({"team leader", "admin"})
DRILLERS = frozenset({"team leader", "analyst", "admin"})
WORKERS = frozenset({"caseworker", "team leader"})  # on the roster: may be given cases
ADMINS = frozenset({"admin"})
PUBLIC = None
# Every route, and who may use it: a route added without a line here fails the first test
RULES: dict[tuple[str, str], frozenset[str] | None] = {
    ("GET", "/"): EVERYONE,
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("POST", "/sign-out"): EVERYONE,
    ("GET", "/backlog"): EVERYONE,
    ("GET", "/backlog.xlsx"): EVERYONE,
    ("POST", "/next"): WORKERS,
    ("GET", "/cases/{case_id}"): EVERYONE,
    ("POST", "/cases/{case_id}/actions"): WORKERS,
    ("POST", "/cases/{case_id}/questions"): WORKERS,
    ("POST", "/cases/{case_id}/claim"): WORKERS,
    ("POST", "/cases/{case_id}/assign"): LEADERS,
    ("POST", "/cases/{case_id}/hand-back"): WORKERS | ADMINS,  # its owner, or a team leader
    ("GET", "/my-cases"): WORKERS,
    ("GET", "/checkin"): EVERYONE,
    ("GET", "/peers"): EVERYONE,
    ("POST", "/peers/{question_id}/answer"): WORKERS,
    ("GET", "/hotspots"): EVERYONE,
    ("POST", "/hotspots/respond"): WORKERS | ADMINS,
    ("GET", "/goals"): EVERYONE,
    ("GET", "/rule"): EVERYONE,
    ("GET", "/rule.yaml"): EVERYONE,
    ("POST", "/rule/preview"): LEADERS,
    ("POST", "/rule/save"): LEADERS,
    ("GET", "/imports"): EVERYONE,
    ("POST", "/imports"): LEADERS,
    ("POST", "/imports/{token}/map"): LEADERS,
    ("GET", "/imports/{import_id}"): EVERYONE,
    ("GET", "/measures"): EVERYONE,
    ("GET", "/measures/records"): DRILLERS,
    ("GET", "/measures/records.xlsx"): DRILLERS,
    ("GET", "/measures/pack.xlsx"): DRILLERS,
    ("GET", "/plan"): EVERYONE,
    ("GET", "/review"): LEADERS,
    ("POST", "/review/decide"): LEADERS,
    ("POST", "/review/apply"): LEADERS,
    ("GET", "/admin"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("POST", "/admin/users/{username}/active"): ADMINS,
    ("POST", "/admin/skills"): ADMINS,
    ("POST", "/admin/routing"): ADMINS,
    ("GET", "/api/me"): EVERYONE,
    ("GET", "/api/queue"): EVERYONE,
    ("POST", "/api/next"): WORKERS,
    ("GET", "/api/cases/{case_id}"): EVERYONE,
    ("POST", "/api/cases/{case_id}/actions"): WORKERS,
    ("GET", "/api/kpis"): EVERYONE,
    ("GET", "/api/plan"): EVERYONE,
    ("POST", "/api/imports"): LEADERS,
}
QUERIES = {"/measures/records": "?measure=Backlog&period=all",
           "/measures/records.xlsx": "?measure=Backlog&period=all"}  # fmt: skip


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of the app's routers."""
    found = set()
    for route in app.router.routes:
        router = getattr(route, "original_router", None)  # an included router
        for each in router.routes if router is not None else [route]:
            if isinstance(each, APIRoute):
                found |= {(method, each.path) for method in each.methods or ()}
    return found


def _own_case(workspace: Workspace, own: bool) -> int:
    """An open case of the Housing team (the demo caseworker's), or of another team."""
    with workspace.engine.connect() as conn:
        housing = teams.c.name == "Housing team"
        return int(conn.execute(
            select(cases.c.id).join(teams, teams.c.id == cases.c.team_id)
            .where(housing if own else ~housing, cases.c.status == "open").limit(1)
        ).scalar_one())  # fmt: skip


def _url(path: str, case_id: int) -> str:
    filled = (path.replace("{case_id}", str(case_id)).replace("{question_id}", "1")
              .replace("{username}", "caseworker").replace("{token}", "a" * 32)
              .replace("{import_id}", "1"))  # fmt: skip
    return filled + QUERIES.get(path, "")


def _call(client: TestClient, method: str, url: str, csrf: str | None) -> int:
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    if url.startswith("/api/"):
        return client.post(url, json={}, follow_redirects=False).status_code
    form = {} if csrf is None else {"csrf_token": csrf}
    return client.post(url, data=form, follow_redirects=False).status_code


def test_every_route_has_a_rule_and_refuses_the_anonymous(web_workspace: Workspace) -> None:
    app = create_app(web_workspace)
    assert _routes(app) == set(RULES)
    anonymous = TestClient(app)
    case_id = _own_case(web_workspace, own=True)
    for (method, path), allowed in RULES.items():
        if allowed is None:
            continue
        status = _call(anonymous, method, _url(path, case_id), None)
        assert status == (401 if path.startswith("/api/") else 303), (method, path)


def test_every_route_refuses_the_roles_it_is_not_for(web_workspace: Workspace) -> None:
    case_id = _own_case(web_workspace, own=True)
    for username, role in ROLES.items():
        page, csrf = signed_in(web_workspace, username)
        token = accounts.new_api_token(
            web_workspace.engine, username, "every route refuses the roles it is not for"
        )
        api = TestClient(create_app(web_workspace), headers={"Authorization": f"Bearer {token}"})
        for (method, path), allowed in RULES.items():
            if allowed is None or role in allowed:
                continue  # what an allowed role does is tested where it is built
            client = api if path.startswith("/api/") else page
            status = _call(client, method, _url(path, case_id), csrf)
            assert status == 403, (username, method, path, status)


def test_another_teams_case_is_refused_on_every_route_that_names_a_case(
    web_workspace: Workspace,
) -> None:
    other = _own_case(web_workspace, own=False)
    page, csrf = signed_in(web_workspace, "caseworker")
    token = accounts.new_api_token(
        web_workspace.engine,
        "caseworker",
        "another teams case is refused on every route that names a ca",
    )
    api = TestClient(create_app(web_workspace), headers={"Authorization": f"Bearer {token}"})
    named = [(method, path) for method, path in RULES if "{case_id}" in path]
    assert len(named) == 8
    for method, path in named:
        client = api if path.startswith("/api/") else page
        assert _call(client, method, _url(path, other), csrf) == 403, (method, path)


def test_every_form_needs_the_sessions_csrf_token(web_workspace: Workspace) -> None:
    case_id = _own_case(web_workspace, own=True)
    clients = {name: signed_in(web_workspace, name)[0] for name in ("teamleader", "admin")}
    forms = [(m, p) for (m, p), allowed in RULES.items()
             if m == "POST" and allowed is not None and not p.startswith("/api/")]  # fmt: skip
    assert len(forms) >= 15
    for _, path in forms:
        client = clients["admin" if path.startswith("/admin") else "teamleader"]
        for token in (None, "forged"):
            response = client.post(_url(path, case_id),
                                   data={} if token is None else {"csrf_token": token})  # fmt: skip
            assert response.status_code == 403, (path, token)
            assert "did not come from this site" in response.text, path
    sign_in = TestClient(create_app(web_workspace)).post(
        "/sign-in", data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": "x"}
    )
    assert sign_in.status_code == 400 and "The form had expired" in sign_in.text


def test_every_response_has_the_security_headers(web_workspace: Workspace) -> None:
    plain = TestClient(create_app(web_workspace))
    tls = TestClient(create_app(web_workspace, secure_cookies=True))
    for client, hsts in ((plain, False), (tls, True)):
        for path in ("/sign-in", "/api/me", "/no-such-page"):
            headers = client.get(path).headers
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
            assert "script-src 'self';" in headers["Content-Security-Policy"]
            assert headers["X-Frame-Options"] == "DENY"
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Cache-Control"] == "no-store"
            assert ("Strict-Transport-Security" in headers) is hsts, path


def test_a_nul_character_in_the_address_is_refused_clearly(web_workspace: Workspace) -> None:
    token = accounts.new_api_token(
        web_workspace.engine, "teamleader", "a nul character in the address is refused clearly"
    )
    api = TestClient(create_app(web_workspace), headers={"Authorization": f"Bearer {token}"})
    response = api.get("/api/queue?area=%00")
    assert response.status_code == 400
    assert response.json() == {"error": "'area' in the address holds a NUL character (%00)."}
    page, _ = signed_in(web_workspace, "teamleader")
    shown = page.get("/backlog?area=LS%006")
    assert shown.status_code == 400 and "holds a NUL character" in shown.text


def test_sign_in_is_rate_limited_per_address(web_workspace: Workspace) -> None:
    client = TestClient(create_app(web_workspace), client=("10.0.0.8", 50000))

    def attempt(username: str, password: str) -> int:
        form = client.get("/sign-in")
        given = {"username": username, "password": password, "csrf_token": csrf_of(form.text)}
        return client.post("/sign-in", data=given, follow_redirects=False).status_code

    for number in range(20):  # many accounts, so no one account locks
        assert attempt(f"nobody{number}", "wrong password") == 400
    assert attempt("admin", PASSWORDS["admin"]) == 429  # even the right password waits
    other = TestClient(create_app(web_workspace), client=("10.0.0.9", 50000))
    form = other.get("/sign-in")
    given = {"username": "admin", "password": PASSWORDS["admin"], "csrf_token": csrf_of(form.text)}
    assert other.post("/sign-in", data=given, follow_redirects=False).status_code == 303


def test_names_typed_into_the_data_are_shown_never_run(web_workspace: Workspace) -> None:
    token = accounts.new_api_token(
        web_workspace.engine, "teamleader", "names typed into the data are shown never run"
    )
    api = TestClient(create_app(web_workspace), headers={"Authorization": f"Bearer {token}"})
    csv = (
        b"source_ref,item_type,received_at,full_name,need\n"
        b"XSS-1,Claim,2026-11-20,<script>alert('name')</script>,<img src=x onerror=alert(1)>\n"
    )
    assert api.post("/api/imports", data={"source": "xss"},
                    files={"file": ("x.csv", csv, "text/csv")}).status_code == 200  # fmt: skip
    with web_workspace.engine.connect() as conn:
        case_id = conn.execute(select(items.c.case_id).where(items.c.source == "xss")).scalar_one()
    admin, _ = signed_in(web_workspace, "admin")
    page = admin.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "&lt;script&gt;alert(" in page.text
    assert "<script>alert(" not in page.text and "<img src=x" not in page.text
    backlog = admin.get("/backlog", params={"need": "<img src=x onerror=alert(1)>"})
    assert "<img src=x" not in backlog.text


def test_logs_hold_no_personal_data_or_secrets(
    web_workspace: Workspace, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    client, csrf = signed_in(web_workspace, "teamleader")
    token = accounts.new_api_token(
        web_workspace.engine, "teamleader", "logs hold no personal data or secrets"
    )
    case_id = _own_case(web_workspace, own=True)
    assert client.get(f"/cases/{case_id}").status_code == 200
    with web_workspace.engine.connect() as conn:
        names = list(conn.scalars(select(items.c.last_name).where(
            items.c.case_id == case_id, items.c.last_name.is_not(None))))  # fmt: skip

    def fails(*_: object, **__: object) -> None:
        raise ValueError(f"{names[0]} of 55 Castle Terrace broke it")

    monkeypatch.setattr("kinfold.web.pages.backlog.queue", fails)
    failed = TestClient(create_app(web_workspace), raise_server_exceptions=False)
    failed.cookies = client.cookies
    response = failed.get("/backlog", params={"need": names[0]})
    assert response.status_code == 500 and "Traceback" not in response.text
    logged = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("httpx")
    )  # the test's client, not the app
    assert "ValueError at GET /backlog" in logged  # the kind and the place, only
    assert "GET /cases/" in logged  # requests are logged, without their query strings
    for secret in (PASSWORDS["teamleader"], token, csrf, client.cookies["kinfold_session"],
                   *names, "Castle Terrace"):  # fmt: skip
        assert secret not in logged


def test_the_api_fuzzed_from_its_description_never_fails_on_the_server(
    web_workspace: Workspace,
) -> None:
    """schemathesis makes requests of every operation from /openapi.json (those that fit
    it and those that do not); none may give a server error."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(web_workspace))
    token = accounts.new_api_token(web_workspace.engine, "teamleader", "fuzz")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) == len([rule for rule in RULES if rule[1].startswith("/api/")])
    called: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def never_a_server_error(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            called.append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])

        never_a_server_error()
    assert len(called) >= 4 * len(operations)


@pytest.mark.one_run  # which rows a page may show is decided the same on either database
def test_no_page_shows_personal_data_its_reader_may_not_see(web_workspace: Workspace) -> None:
    """Every page, download and API answer each role may open, searched for the personal
    data it must not hold: for a team's caseworker and leader, that of people only other
    teams work with; for the analyst, anyone's, and what colleagues typed (notes,
    questions)."""
    caseworker, csrf = signed_in(web_workspace, "caseworker")
    given = caseworker.post("/next", data={"csrf_token": csrf}, follow_redirects=False)
    own = int(given.headers["location"].split("?")[0].rsplit("/", 1)[1])  # theirs now
    other = _own_case(web_workspace, own=False)
    typed = {"NOTE-Zebedee-Quillfeather", "QUESTION-Zebedee-Quillfeather"}
    note = {"csrf_token": csrf, "action": "contact made", "note": "NOTE-Zebedee-Quillfeather"}
    assert caseworker.post(f"/cases/{own}/actions", data=note).status_code == 200
    question = {"csrf_token": csrf, "question": "QUESTION-Zebedee-Quillfeather"}
    assert caseworker.post(f"/cases/{own}/questions", data=question).status_code == 200
    elsewhere, everyone = _personal_data(web_workspace)
    forbidden = {"caseworker": elsewhere, "teamleader": elsewhere,
                 "analyst": everyone | typed}  # fmt: skip
    for username, hidden in forbidden.items():
        role = ROLES[username]
        page, _ = signed_in(web_workspace, username)
        token = accounts.new_api_token(
            web_workspace.engine, username, "no page shows personal data its reader may not see"
        )
        api = TestClient(create_app(web_workspace), headers={"Authorization": f"Bearer {token}"})
        opened = 0
        for (method, path), allowed in RULES.items():
            if method != "GET" or allowed is None or role not in allowed:
                continue
            urls = [_url(path, own)] + ([_url(path, other)] if "{case_id}" in path else [])
            urls += [f"{path}?kind=household"] if path == "/hotspots" else []
            for url in urls:
                response = (api if path.startswith("/api/") else page).get(url)
                if response.status_code != 200:
                    continue
                shown = _text_of(response)
                leaked = sorted(value for value in hidden if value in shown)
                assert leaked == [], (username, url, leaked[:5])
                opened += 1
        assert opened >= 15, (username, opened)


def _personal_data(workspace: Workspace) -> tuple[set[str], set[str]]:
    """The personal data (names, addresses, dates of birth written both ways, emails,
    phone and NI numbers) of the people only teams other than the Housing team work
    with, and that of everyone; each value only where no one else's is the same."""
    query = (
        select(people.c.first_name, people.c.last_name, people.c.date_of_birth,
               households.c.address, items.c.email, items.c.phone, items.c.ni_number,
               teams.c.name.label("team"))
        .join(items, items.c.person_id == people.c.id)
        .join(cases, cases.c.id == items.c.case_id)
        .join(teams, teams.c.id == cases.c.team_id)
        .outerjoin(households, households.c.id == people.c.household_id)
    )  # fmt: skip
    with workspace.engine.connect() as conn:
        rows = conn.execute(query).all()
    values: dict[str, set[str]] = {}  # a value -> the teams that work with its person
    for first, last, born, address, email, phone, ni_number, team in rows:
        name = " ".join(part for part in (first, last) if part)
        written = [name, address, email, phone, ni_number]
        written += _both_ways(born)
        for value in written:
            if value and len(value) > 8:
                values.setdefault(value, set()).add(team)
    elsewhere = {value for value, seen in values.items() if "Housing team" not in seen}
    assert len(elsewhere) > 100
    return elsewhere, set(values)


def _both_ways(born: Any) -> list[str]:
    """A date of birth as it is kept (ISO) and as pages write it ("27 August 1971")."""
    try:
        day = date.fromisoformat(str(born))
    except ValueError:
        return [str(born)] if born else []
    return [day.isoformat(), f"{day.day} {day:%B %Y}"]


def _text_of(response: Any) -> str:
    """What a response shows: HTML or JSON as text; a workbook, every cell's value."""
    if response.content[:2] == b"PK":
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)  # fmt: skip
    return html.unescape(response.text)
