"""Spreadsheet downloads: the backlog as filtered, all the records behind a figure, and
the monthly MI pack. Every cell goes through `safe_cell`, so text a spreadsheet would
take for a formula (a need or a note typed as "=HYPERLINK(...)") stays text; every
download is in the audit log, with what it held."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from kinfold.allocate import backlog
from kinfold.errors import KinfoldError
from kinfold.measure.report import last_whole_month, month_end, month_of, write_pack
from kinfold.spreadsheet import write_workbook
from kinfold.store import events
from kinfold.web.measures import DRILLERS, FigureQuery, figure_records, frame_of
from kinfold.web.pages import Filters, queue_filters
from kinfold.web.security import PageSession, WebState, need_role

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVERY_ROW = 10_000_000  # a download holds every row, however many
BACKLOG_COLUMNS = ("Rank", "Case", "Group", "Team", "Owner", "State", "Waiting until", "People",
                   "Open items", "Needs", "Oldest item (days)", "Next due", "Harm by",
                   "Reasons")  # fmt: skip


@router.get("/backlog.xlsx")
def backlog_download(session: PageSession, state: WebState, filters: Filters) -> Response:
    """The backlog as the page shows it (filters and order), every page of it."""
    chosen = queue_filters(session.account, filters)
    team = chosen["team"]
    if filters.group and filters.group not in backlog.GROUPS:
        raise KinfoldError(f"There is no group '{filters.group}'.",
                           f"Choose one of: {', '.join(backlog.GROUPS)}.")  # fmt: skip
    if filters.sort not in backlog.SORTS:
        raise KinfoldError(f"There is no order '{filters.sort}'.",
                           f"Choose one of: {', '.join(backlog.SORTS)}.")  # fmt: skip
    found = backlog.queue(state.engine, **chosen, group=filters.group, sort=filters.sort,
                          limit=EVERY_ROW)  # fmt: skip
    rows = [
        (r.rank, r.case_id, r.group, r.team, r.owner, r.state, r.waiting_until, r.people,
         r.open_items, "; ".join(r.needs), r.oldest_days, r.next_due, r.harm_by, r.reasons)
        for r in found.rows
    ]  # fmt: skip
    asked = filters.model_dump(exclude={"page"}) | {"team": team}
    _audit(state, session, "backlog", asked, len(rows))
    return _workbook("Backlog", BACKLOG_COLUMNS, rows, f"backlog-{_slug(team or 'every team')}")


@router.get("/measures/records.xlsx")
def records_download(session: PageSession, state: WebState, figure: FigureQuery) -> Response:
    """Every record behind one figure (the page shows the first few hundred)."""
    need_role(session.account, *DRILLERS)
    columns, rows, _ = figure_records(state, session.account, figure)
    _audit(state, session, "records", figure.model_dump(mode="json"), len(rows))
    return _workbook("Records", columns, rows, f"records-{_slug(figure.measure)}")


@router.get("/measures/pack.xlsx")
def pack_download(
    session: PageSession,
    state: WebState,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM")] = None,
) -> Response:
    """The monthly MI pack, as `kinfold report` writes it: the last whole month unless asked."""
    need_role(session.account, *DRILLERS)
    first = month_of(month) if month else last_whole_month()
    with tempfile.TemporaryDirectory() as folder:
        pack = write_pack(frame_of(state, month_end(first)), first, Path(folder) / "pack.xlsx")
        content = pack.path.read_bytes()
    _audit(state, session, "pack", {"month": f"{first:%Y-%m}"}, pack.figures)
    return _download(content, f"mi-pack-{first:%Y-%m}")


def _workbook(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], name: str
) -> Response:
    out = BytesIO()
    write_workbook(out, title, columns, rows)
    return _download(out.getvalue(), name)


def _download(content: bytes, name: str) -> Response:
    disposition = f'attachment; filename="{name}.xlsx"'
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


def _audit(
    state: WebState, session: PageSession, what: str, asked: dict[str, Any], rows: int
) -> None:
    events.record_export(state.engine, session.account.username, what, asked, rows)


def _slug(text: str) -> str:
    """A file name's part: letters and digits, the rest as hyphens."""
    return (
        "-".join("".join(c if c.isascii() and c.isalnum() else " " for c in text.lower()).split())
        or "all"
    )
