"""Browser journeys in Debian's chromium (driven by Playwright; no browser is
downloaded), each page checked with axe-core and photographed at desktop width and at
375 px into tests/artifacts/."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from kinfold.allocate.backlog import queue
from kinfold.demo.accounts import TEAM
from kinfold.web.app import create_app
from kinfold.workspace import Workspace
from tests.conftest import ReadyDemo
from tests.web.conftest import PASSWORDS

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
WIDTHS = {"desktop": 1280, "mobile": 375}


@pytest.fixture(scope="module")
def served(
    ready_demo: ReadyDemo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Workspace]]:
    """The app on a free port of 127.0.0.1, in a thread, over its own demo workspace."""
    workspace = ready_demo.copy(tmp_path_factory.mktemp("browser") / "demo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(workspace), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", workspace
    server.should_exit = True
    thread.join(timeout=10)
    workspace.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def console_error(message: ConsoleMessage) -> None:
        # a page answered 4xx on purpose is logged too: those are checked by status
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def failed_file(response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    opened.on("console", console_error)
    opened.on("response", failed_file)
    yield opened
    context.close()
    assert problems == [], problems  # no script errors, no CSP refusals


def check(page: Page, name: str) -> None:
    """axe-core finds no violation; at each width the page is no wider than the screen
    (wide tables scroll within it), and a signed-in page's menu is behind its toggle on
    a phone; screenshots at both widths."""
    page.evaluate(AXE.read_text())  # by the browser's tools: the page's CSP stays on
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in found["violations"]]
    assert violations == [], f"{name}: {violations}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide on a {width} px screen"
        toggle = page.locator(".govuk-service-navigation__toggle")
        if label == "mobile" and toggle.count():
            expect(toggle).to_be_visible()
        page.screenshot(path=ARTIFACTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/sign-in")
    check(page, "sign-in")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/backlog")


def test_get_next_record_an_action_and_the_case_leaves_the_queue(
    served: tuple[str, Workspace], page: Page
) -> None:
    url, workspace = served
    sign_in(page, url, "caseworker")
    assert re.search(r"Showing 1 to 25 of [\d,]+ cases", page.inner_text("main"))
    # GOV.UK Frontend's styles and font are in use (served from the app itself)
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" in font
    check(page, "backlog")
    page.get_by_role("button", name="Get next case").click()
    page.wait_for_url(re.compile(r".*/cases/\d+\?given=1"))
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert "is yours now" in page.inner_text("main")
    check(page, "case")
    page.get_by_role("tab", name=re.compile("Timeline")).click()  # GOV.UK tabs work
    expect(page.locator("#timeline")).to_be_visible()
    page.get_by_label("Case closed").check()
    for box in page.locator("input[name='met[]']").all():
        box.check()
    page.get_by_label("Note").fill("Food voucher given; referred to the housing team.")
    page.get_by_role("button", name="Record the action").click()
    banner = page.get_by_role("alert")
    assert f"Case {case_id} closed: enough." in banner.inner_text()
    check(page, "case-closed")
    assert queue(workspace.engine, case_id=case_id).total == 0  # it has left the queue
    page.goto(f"{url}/backlog?sort=case")
    assert f'/cases/{case_id}"' not in page.content()


def test_a_bad_action_shows_the_error_summary(served: tuple[str, Workspace], page: Page) -> None:
    url, _ = served
    sign_in(page, url, "teamleader")
    page.get_by_role("button", name="Get next case").click()
    page.wait_for_url(re.compile(r".*/cases/\d+\?given=1"))
    page.get_by_role("button", name="Record the action").click()
    summary = page.locator(".govuk-error-summary")
    assert "Select what you did" in summary.inner_text()
    assert page.title().startswith("Error: ")
    check(page, "case-error")


def test_another_teams_case_by_url_is_refused(served: tuple[str, Workspace], page: Page) -> None:
    url, workspace = served
    sign_in(page, url, "caseworker")
    other = next(row.case_id for row in queue(workspace.engine, team="Benefits team").rows)
    response = page.goto(f"{url}/cases/{other}")
    assert response is not None and response.status == 403
    assert "is in another team" in page.inner_text("main")
    check(page, "refused")
    missing = page.goto(f"{url}/cases/99999999")
    assert missing is not None and missing.status == 404
    check(page, "not-found")


def test_the_team_pages_are_accessible(served: tuple[str, Workspace], page: Page) -> None:
    url, _ = served
    sign_in(page, url, "teamleader")
    for path, heading in [("/checkin", "Housing team"), ("/peers", "Peer questions"),
                          ("/hotspots", "Hotspots"), ("/goals", "Goals")]:  # fmt: skip
        response = page.goto(url + path)
        assert response is not None and response.status == 200, path
        assert heading in page.locator("h1").inner_text()
        check(page, path.strip("/"))


def test_a_team_leader_edits_the_rule_previews_saves_and_the_order_changes(
    served: tuple[str, Workspace], page: Page
) -> None:
    url, workspace = served
    before = [row.case_id for row in queue(workspace.engine, team=TEAM, limit=10).rows]
    sign_in(page, url, "teamleader")
    page.get_by_role("link", name="Priority rule").click()
    check(page, "rule")
    assert "works by the workspace's rule" in page.locator("#in-force").inner_text()
    points = page.get_by_label("Points for no income", exact=True)
    assert points.input_value() == "25"
    points.fill("95")
    page.get_by_label("Harm within days for no income", exact=True).fill("-1")
    page.get_by_role("button", name="Preview what moves").click()
    assert "must be zero or more" in page.locator(".govuk-error-summary").inner_text()
    check(page, "rule-refused")
    page.get_by_label("Harm within days for no income", exact=True).fill("7")
    page.get_by_role("button", name="Preview what moves").click()
    summary = page.locator("#moves-summary").inner_text()
    assert re.match(r"[\d,]+ cases up, [\d,]+ down", summary) and "Nothing is saved" in summary
    check(page, "rule-preview")
    page.get_by_role("button", name="Save as a new version").click()
    assert "Say why the rule changed" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Why it changes").fill("No income is as urgent as eviction this winter.")
    page.get_by_role("button", name="Save as a new version").click()
    assert (
        "is in force: every backlog is in its new order" in page.get_by_role("alert").inner_text()
    )
    after = queue(workspace.engine, team=TEAM, limit=10).rows
    assert [row.case_id for row in after] != before
    everyone = queue(workspace.engine, limit=2000).rows
    ours = " ".join(row.reasons for row in everyone if row.team == TEAM)
    theirs = " ".join(row.reasons for row in everyone if row.team != TEAM)
    assert "no income +95" in ours and "no income +25" not in ours  # the team's own rule
    assert "no income +25" in theirs and "no income +95" not in theirs  # the others' stays
    assert "works by its own rule" in page.locator("#in-force").inner_text()
    download = page.get_by_role("link", name="Download the rule as YAML")
    with page.expect_download() as downloaded:
        download.click()
    assert "no income: {harm within days: 7, points: 95}" in Path(
        downloaded.value.path()).read_text(encoding="utf-8")  # fmt: skip


def test_an_upload_with_bad_rows_shows_its_quarantine(
    served: tuple[str, Workspace], page: Page, tmp_path: Path
) -> None:
    url, _ = served
    good = tmp_path / "claims.csv"
    good.write_text(
        "source_ref,item_type,received_at,full_name,postcode\n"
        "WEB-1,Benefit claim,2026-11-20,Ada Lovelace,KF1 1AA\n"
        "WEB-2,Benefit claim,not a date,Alan Turing,KF1 1AB\n"
        "WEB-3,,2026-11-21,Grace Hopper,KF1 1AC\n"
    )
    sign_in(page, url, "teamleader")
    page.get_by_role("link", name="Imports").click()
    check(page, "imports")
    page.get_by_role("button", name="Upload and import").click()  # nothing given
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Select a file" in summary
    page.get_by_label("The file").set_input_files(str(good))  # no source, and no column
    page.get_by_role("button", name="Upload and import").click()
    assert "Enter the source system" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Source system").fill("web benefits")
    page.get_by_label("The file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url(re.compile(r".*/imports/\d+$"))
    main = page.inner_text("main")
    assert re.search(r"Rows read\s+3", main) and re.search(r"In quarantine\s+2", main)
    assert "received_at" in main and "item_type" in main
    check(page, "import")
    odd = tmp_path / "odd.csv"
    odd.write_text("Ref,Type,Date In,Customer\nODD-1,Housing repair,2026-11-19,Jo Bloggs\n")
    page.goto(url + "/imports")
    page.get_by_label("Source system").fill("housing export")
    page.get_by_label("The file").set_input_files(str(odd))
    page.get_by_role("button", name="Upload and import").click()
    assert "Match the file's columns" in page.locator("h1").inner_text()
    check(page, "import-map")
    for field, column in [("Source ref", "Ref"), ("Item type", "Type"),
                          ("Received at", "Date In"), ("Full name", "Customer")]:  # fmt: skip
        page.get_by_label(re.compile(f"^{field}")).select_option(column)
    page.get_by_role("button", name="Import with these columns").click()
    page.wait_for_url(re.compile(r".*/imports/\d+$"))
    assert re.search(r"New items\s+1", page.inner_text("main"))
    wrong = tmp_path / "notes.txt"
    wrong.write_text("hello")
    page.goto(url + "/imports")
    page.get_by_label("Source system").fill("x")
    page.get_by_label("The file").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload and import").click()
    assert "The file must be one of" in page.locator(".govuk-error-summary").inner_text()


def test_the_measures_and_the_plan_are_charted_in_the_page(
    served: tuple[str, Workspace], page: Page
) -> None:
    url, _ = served
    sign_in(page, url, "analyst")
    page.goto(url + "/measures?period=week&by=team")
    page.wait_for_selector(".kf-chart svg")  # drawn by vega-embed, under the page's CSP
    assert page.locator(".kf-chart svg").count() >= 5
    check(page, "measures")
    page.get_by_role("link", name=re.compile("records of Throughput")).first.click()
    assert "Throughput: the records behind the figure" in page.locator("h1").inner_text()
    assert page.locator("tbody tr").count() > 0
    check(page, "measure-records")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download every record as a spreadsheet").click()
    assert downloading.value.suggested_filename == "records-throughput.xlsx"
    page.goto(url + "/measures")
    page.get_by_label("The monthly MI pack").fill("2026-10")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download the MI pack").click()
    assert downloading.value.suggested_filename == "mi-pack-2026-10.xlsx"
    page.goto(url + "/plan")
    page.wait_for_selector(".kf-chart svg")
    assert "Cleared by" in page.inner_text("main")
    page.get_by_label("Staff in").fill("5")
    page.get_by_label("Sickness").fill("lots")
    page.get_by_role("button", name="Show the plan").click()
    assert "Enter sickness as a number" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Sickness").fill("8")
    page.get_by_role("button", name="Show the plan").click()
    page.wait_for_selector(".kf-chart svg")
    rows = page.locator("caption:has-text('what if') + thead + tbody tr")
    assert rows.count() == 2 and "5 FTE in; sickness 8%" not in rows.nth(0).inner_text()
    assert "sickness 8%; 5 FTE in" in rows.nth(1).inner_text()
    check(page, "plan")


def test_review_and_admin_pages_work_and_are_accessible(
    served: tuple[str, Workspace], page: Page
) -> None:
    url, _ = served
    sign_in(page, url, "admin")
    page.get_by_role("link", name="Review links").click()
    assert "Review uncertain links" in page.locator("h1").inner_text()
    check(page, "review")
    page.get_by_label("One item (SOURCE:REF)").fill("nowhere:1")
    page.get_by_label("The other item (SOURCE:REF)").fill("nowhere:2")
    page.get_by_role("button", name="They are the same person").click()
    assert (
        "There is no item 1 from source 'nowhere'"
        in page.locator(".govuk-error-summary").inner_text()
    )
    page.get_by_role("link", name="Admin").click()
    check(page, "admin")
    page.get_by_label("User name").fill("new.worker")
    page.get_by_label("Role").select_option("analyst")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Add the user").click()
    assert "at least 12 characters" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Add the user").click()
    assert "Added new.worker." in page.get_by_role("alert").inner_text()
    page.get_by_role("button", name="Stop new.worker").click()
    assert "new.worker can no longer sign in." in page.get_by_role("alert").inner_text()
    page.get_by_role("tab", name="Teams").click()
    page.get_by_role("tab", name="Skills").click()
    page.locator("#skills-team").select_option("Revenues team")
    page.get_by_role("button", name="Show").click()
    page.locator("#skill-1-1").select_option("expert")
    page.get_by_role("button", name="Save the skills of Revenues team").click()
    assert "Saved 1 changed skill level in Revenues team." in page.get_by_role("alert").inner_text()
    expect(page.locator("#skills")).to_be_visible()  # back on the tab of the form
    check(page, "admin-skills")
    page.get_by_role("tab", name="Routing rules").click()
    page.get_by_label("What rule 1 looks for").fill("income")
    page.get_by_role("button", name="Preview what moves").click()
    expect(page.locator("#routing-preview")).to_be_visible()  # waits for the answer
    assert page.get_by_label("What rule 1 looks for").input_value() == "income"
    check(page, "admin-routing")


def test_each_role_sees_only_its_pages(served: tuple[str, Workspace], page: Page) -> None:
    url, _ = served
    sign_in(page, url, "caseworker")
    for path in ("/admin", "/review"):
        response = page.goto(url + path)
        assert response is not None and response.status == 403, path
    assert page.get_by_role("link", name="Admin").count() == 0


def test_the_backlog_pages_in_place_with_htmx(served: tuple[str, Workspace], page: Page) -> None:
    url, _ = served
    sign_in(page, url, "teamleader")
    page.evaluate("window.kfSamePage = true")  # gone if the whole page were loaded again
    page.get_by_role("link", name="Page 2").click()
    page.wait_for_url(re.compile(r".*page=2"))
    page.wait_for_selector("text=Showing 26 to")
    page.get_by_role("link", name=re.compile(r"^Overdue")).click()
    page.wait_for_selector("a[aria-current='page']:has-text('Overdue')")
    assert page.evaluate("window.kfSamePage") is True
    check(page, "backlog-overdue")
    with page.expect_download() as downloading:  # a file, not a page swapped in by htmx
        page.get_by_role("link", name=re.compile(r"^Download all .* as a spreadsheet")).click()
    assert downloading.value.suggested_filename.endswith(".xlsx")
    assert "Showing 1 to" in page.inner_text("main")  # the backlog is still shown
