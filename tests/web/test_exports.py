"""Spreadsheet downloads: whole, within the account's rights, audited, and with no cell a
spreadsheet would run as a formula."""

from __future__ import annotations

import json
import re
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select, text

from kinfold.allocate.backlog import queue
from kinfold.measure.frame import from_store
from kinfold.measure.kpis import drill
from kinfold.spreadsheet import FORMULA_START
from kinfold.store.schema import events
from kinfold.web.exports import XLSX
from kinfold.web.measures import RECORDS_SHOWN
from kinfold.workspace import Workspace
from tests.web.conftest import signed_in

INJECTED = '=HYPERLINK("http://example.com","Click")'


def _sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def _formulas(sheets: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    return [cell for rows in sheets.values() for row in rows for cell in row
            if isinstance(cell, str) and cell.startswith(FORMULA_START)]  # fmt: skip


def _logged(workspace: Workspace, action: str) -> dict[str, Any]:
    with workspace.engine.connect() as conn:
        after = conn.execute(select(events.c.after).where(events.c.action == action)
                             .order_by(events.c.id.desc()).limit(1)).scalar_one()  # fmt: skip
    return dict(json.loads(after))


def test_the_backlog_downloads_whole_for_the_own_team_with_formulas_made_text(
    web_workspace: Workspace,
) -> None:
    first = queue(web_workspace.engine, team="Housing team", limit=1).rows[0]
    with web_workspace.engine.begin() as conn:  # what a hostile import could have typed
        conn.execute(
            text("UPDATE items SET need = :need WHERE case_id = :case AND status = 'open'"),
            {"need": INJECTED, "case": first.case_id},
        )
    client, _ = signed_in(web_workspace, "caseworker")
    page = client.get("/backlog")
    assert 'href="/backlog.xlsx?team=Housing+team' in page.text
    got = client.get("/backlog.xlsx", params={"team": "Revenues team"})  # not theirs: own team
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    assert 'filename="backlog-housing-team.xlsx"' in got.headers["content-disposition"]
    (rows,) = _sheets(got.content).values()
    header, body = rows[0], rows[1:]
    expected = queue(web_workspace.engine, team="Housing team", limit=100_000)
    assert len(body) == expected.total > 25  # every page, not the first
    assert {row[header.index("Team")] for row in body} == {"Housing team"}
    assert [row[header.index("Case")] for row in body] == [r.case_id for r in expected.rows]
    needs = body[[row[1] for row in body].index(first.case_id)][header.index("Needs")]
    assert needs == "'" + INJECTED  # shown as written, never run
    assert _formulas({"Backlog": body}) == []
    assert _logged(web_workspace, "export.backlog") == {
        "team": "Housing team", "need": None, "area": None, "group": None,
        "sort": "priority", "q": None, "mine": False, "rows": expected.total}  # fmt: skip
    refused = client.get("/backlog.xlsx", params={"group": "nonsense"})
    assert refused.status_code == 400 and "There is no group" in refused.text


def test_every_record_behind_a_figure_downloads_for_those_who_may_drill(
    web_workspace: Workspace,
) -> None:
    asked = {"measure": "Backlog", "period": "all"}
    client, _ = signed_in(web_workspace, "teamleader")
    page = client.get("/measures/records", params=asked)
    assert 'href="/measures/records.xlsx?measure=Backlog&amp;period=all"' in page.text
    got = client.get("/measures/records.xlsx", params=asked)
    assert got.status_code == 200
    (rows,) = _sheets(got.content).values()
    columns, expected = drill(from_store(web_workspace.engine, web_workspace.settings),
                              "Backlog", "all", limit=1_000_000)  # fmt: skip
    assert list(rows[0]) == columns and len(rows) - 1 == len(expected) > 500
    assert _formulas({"Records": rows}) == []
    assert _logged(web_workspace, "export.records")["rows"] == len(expected)
    caseworker, _ = signed_in(web_workspace, "caseworker")
    assert caseworker.get("/measures/records.xlsx", params=asked).status_code == 403


def test_the_mi_pack_downloads_for_a_month(web_workspace: Workspace) -> None:
    client, _ = signed_in(web_workspace, "analyst")
    assert 'action="/measures/pack.xlsx"' in client.get("/measures").text
    got = client.get("/measures/pack.xlsx", params={"month": "2026-10"})
    assert got.status_code == 200
    assert 'filename="mi-pack-2026-10.xlsx"' in got.headers["content-disposition"]
    sheets = _sheets(got.content)
    assert list(sheets) == ["Summary", "By team", "Trend", "Backlog age", "Data quality",
                            "Definitions"]  # fmt: skip
    assert _formulas(sheets) == []
    assert _logged(web_workspace, "export.pack")["month"] == "2026-10"
    refused = client.get("/measures/pack.xlsx", params={"month": "October"})
    assert refused.status_code == 400 and "is not a month" in refused.text


def test_the_records_behind_a_figure_are_paged_and_every_page_meets_the_next(
    web_workspace: Workspace,
) -> None:
    asked = {"measure": "Backlog", "period": "all"}
    client, _ = signed_in(web_workspace, "teamleader")
    columns, every = drill(from_store(web_workspace.engine, web_workspace.settings),
                           "Backlog", "all")  # fmt: skip
    assert len(every) > RECORDS_SHOWN  # all of them, no cap
    assert {"source", "source_ref"} <= set(columns)  # the source's own reference
    first = client.get("/measures/records", params=asked).text
    assert f"Records 1 to {RECORDS_SHOWN} of {len(every):,}" in first
    assert "Download every record as a spreadsheet" in first
    last_page = -(-len(every) // RECORDS_SHOWN)
    last = client.get("/measures/records", params={**asked, "page": last_page}).text
    assert f"of {len(every):,}" in last and 'rel="next"' not in last and 'rel="prev"' in last
    at = columns.index("source_ref")
    shown = [_cells(row)[at] for page in range(1, last_page + 1) for row in re.findall(
        r"<tr class=\"govuk-table__row\">(.*?)</tr>",
        client.get("/measures/records", params={**asked, "page": page}).text, re.S)
        if "<td" in row]  # fmt: skip
    assert shown == [row[at] for row in every]  # every record once, in one order
    beyond = client.get("/measures/records", params={**asked, "page": last_page + 1})
    assert beyond.status_code == 200 and "govuk-table__cell" not in beyond.text


def _cells(row: str) -> list[str]:
    return re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row, re.S)
