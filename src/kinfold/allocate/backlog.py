"""The team backlog: every open case in one team's backlog, in priority order.

`refresh` runs after anything that changes cases (resolve, import, a new rule): it
settles ownership (a case that reopens goes back to its owner; a case merged into
another hands its owner on; a closed case no longer counts against its owner's cap),
routes every open case to its team, and re-ranks them. `queue` lists a backlog page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from kinfold import clock
from kinfold.allocate.next import UNSKILLED
from kinfold.allocate.routing import Routing, route
from kinfold.priority.run import Prioritised, prioritise_in
from kinfold.settings import SKILL_LEVEL, Settings
from kinfold.store import events
from kinfold.store.database import analyse, in_batches
from kinfold.store.schema import items, teams
from kinfold.workspace import save_setting


@dataclass(frozen=True)
class QueueRow:
    rank: int  # its place in its team's backlog
    case_id: int
    score: float
    team: str | None
    owner: str | None
    state: str  # unallocated, in progress, waiting
    waiting_until: date | None
    people: int
    open_items: int
    needs: tuple[str, ...]
    oldest_days: int | None  # age of the oldest open item
    next_due: date | None
    harm_by: date | None
    reasons: str
    group: str  # one of GROUPS
    unskilled: bool = False  # no one in its team is skilled for it: its team leader assigns it


# The backlog's groups, most pressing first: a case is in the first that fits it
OVERDUE, HARM_SOON, DUE_SOON, NOT_DUE = "overdue", "harm within 2 days", "due soon", "not due yet"
GROUPS = (OVERDUE, HARM_SOON, DUE_SOON, NOT_DUE)
HARM_DAYS, DUE_DAYS = 2, 7
GROUP_SQL = (
    f"CASE WHEN c.next_due < :today THEN '{OVERDUE}' "
    f"WHEN c.harm_by <= :harm_day THEN '{HARM_SOON}' "
    f"WHEN c.next_due <= :due_day THEN '{DUE_SOON}' ELSE '{NOT_DUE}' END"
)
SORTS = {  # name -> ORDER BY; each ends with the rank, so the order is total
    "priority": "c.priority_rank",
    "harm": "CASE WHEN c.harm_by IS NULL THEN 1 ELSE 0 END, c.harm_by, c.priority_rank",
    "due": "CASE WHEN c.next_due IS NULL THEN 1 ELSE 0 END, c.next_due, c.priority_rank",
    "case": "c.id",
}


@dataclass(frozen=True)
class Refreshed:
    ranked: Prioritised
    teams: dict[str, int]  # team -> open cases in its backlog ("no team" when unrouted)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int  # cases meeting the filters
    groups: dict[str, int]  # cases meeting the filters other than the group, in each group


def refresh(engine: Engine, settings: Settings, actor: str, today: date | None = None) -> Refreshed:
    with engine.begin() as conn:
        refreshed = refresh_in(conn, settings, actor, today)
    analyse(engine, "cases")
    return refreshed


def change_routing(
    engine: Engine, folder: Path, settings: Settings, routing: Routing, actor: str
) -> tuple[Settings, Refreshed]:
    """Save `routing` as the workspace's at `folder`, log the change, and put every open
    case in its team's backlog by it: the settings after, and the backlogs."""
    with engine.begin() as conn:
        names = list(conn.scalars(select(teams.c.name)))
        before = Routing.from_setting(settings.routing, sorted(names)).setting()
        changed = settings.with_setting("routing", routing.setting())
        events.record(conn, actor=actor, action="routing.changed", entity_type="workspace",
                      entity_id=changed.name or folder.name, before=before,
                      after=routing.setting())  # fmt: skip
        refreshed = refresh_in(conn, changed, actor)
        save_setting(folder, "routing", routing.setting())  # the last step: kept, with the rest
    analyse(engine, "cases")
    return changed, refreshed


def refresh_in(
    conn: Connection, settings: Settings, actor: str, today: date | None = None
) -> Refreshed:
    """`refresh`, inside the caller's transaction (with the change that calls for it)."""
    today = today or clock.now().date()
    settle_owners(conn, today)
    teams = route(conn, settings)
    return Refreshed(prioritise_in(conn, actor, today), teams)


def settle_owners(conn: Connection, today: date) -> None:
    """Keep ownership true to the cases after a resolve or an import changed them."""
    # a case merged into an unowned one hands its owner on (continuity)
    conn.execute(text(
        "UPDATE cases SET owner_id = (SELECT m.owner_id FROM cases m WHERE m.merged_into = "
        "cases.id AND m.owner_id IS NOT NULL AND m.work_state IN ('in progress', 'waiting') "
        "ORDER BY m.owner_since DESC LIMIT 1), owner_since = :now, work_state = 'waiting', "
        "waiting_until = :today WHERE status = 'open' AND owner_id IS NULL AND id IN "
        "(SELECT merged_into FROM cases WHERE merged_into IS NOT NULL AND owner_id IS NOT NULL "
        "AND work_state IN ('in progress', 'waiting'))"
    ), {"now": clock.now(), "today": today})  # fmt: skip
    # a closed case that new items reopened goes back to its owner, due today
    conn.execute(text(
        "UPDATE cases SET work_state = CASE WHEN owner_id IS NULL THEN 'unallocated' "
        "ELSE 'waiting' END, waiting_until = :today WHERE status = 'open' AND work_state = 'done'"
    ), {"today": today})  # fmt: skip
    # closed or merged cases are no longer being worked
    conn.execute(text(
        "UPDATE cases SET work_state = 'done', waiting_until = NULL WHERE status <> 'open' "
        "AND work_state IN ('in progress', 'waiting', 'unallocated')"
    ))  # fmt: skip


def queue(
    engine: Engine,
    *,
    team: str | None = None,
    need: str | None = None,
    area: str | None = None,
    owner: str | None = None,
    case_id: int | None = None,
    group: str | None = None,
    search: str | None = None,
    skill: int = SKILL_LEVEL,
    sort: str = "priority",
    limit: int = 25,
    offset: int = 0,
    today: date | None = None,
) -> QueuePage:
    """Open cases in priority order (or by `sort`: one of SORTS), filtered by team name,
    need of any open item, area (a postcode sector or district, such as "LS6 2" or
    "LS6"), owner, group (one of GROUPS), one case, or `search`: words of a name or an
    address line, a date of birth, a postcode, or a source's reference, on any item."""
    today = today or clock.now().date()
    where = ["c.status = 'open'", "c.priority_rank IS NOT NULL"]
    values: dict[str, Any] = {"limit": limit, "offset": offset, **_days(today)}
    if case_id is not None:
        where.append("c.id = :case")
        values["case"] = case_id
    if owner:
        where.append("w.worker_ref = :owner")
        values["owner"] = owner.strip()
    if need:
        where.append("EXISTS (SELECT 1 FROM items n WHERE n.case_id = c.id "
                     "AND n.status = 'open' AND lower(n.need) = :need)")  # fmt: skip
        values["need"] = need.strip().lower()
    if area:
        where.append("(upper(h.postcode_sector) = :area OR upper(h.postcode_district) = :area)")
        values["area"] = " ".join(area.upper().split())
    if search and search.strip():
        where.append(SEARCH)
        values |= search_values(search)
    joins = (
        "FROM cases c LEFT JOIN teams t ON t.id = c.team_id "
        "LEFT JOIN workers w ON w.id = c.owner_id "
        "LEFT JOIN households h ON h.id = c.household_id WHERE "
    )
    counted = (  # the counts join only what their filters need
        "FROM cases c "
        + ("JOIN workers w ON w.id = c.owner_id " if owner else "")
        + ("JOIN households h ON h.id = c.household_id " if area else "")
        + "WHERE "
    )
    with engine.connect() as conn:
        if team:  # by its id, so the backlog's index is used
            values["team"] = conn.execute(
                text("SELECT id FROM teams WHERE lower(name) = :name"),
                {"name": team.strip().lower()},
            ).scalar()
            where.append("c.team_id = :team")
        groups = dict.fromkeys(GROUPS, 0) | dict(conn.execute(text(
            f"SELECT {GROUP_SQL}, count(*) {counted}{' AND '.join(where)} GROUP BY 1"
        ), values).all())  # fmt: skip
        if group:
            where.append(f"{GROUP_SQL} = :group")
            values["group"] = group
        found = conn.execute(text(
            "SELECT coalesce(c.team_rank, c.priority_rank), c.id, c.priority_score, t.name, "
            "w.worker_ref, "
            "c.work_state, c.waiting_until, c.next_due, c.harm_by, c.priority_reasons, "
            f"coalesce(h.person_count, 1), {GROUP_SQL}, CASE WHEN {UNSKILLED} THEN 1 ELSE 0 END "
            f"{joins}{' AND '.join(where)} ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset"
        ), values | {"skill": skill}).all()  # fmt: skip
        facts = _open_item_facts(conn, [row[1] for row in found])
    total = groups.get(group, 0) if group else sum(groups.values())
    rows = []
    for (rank, case_id, score, team_name, worker, state, until, due, harm, reasons, people,
         in_group, unskilled) in found:  # fmt: skip
        needs, count, oldest = facts.get(case_id, ((), 0, None))
        rows.append(QueueRow(
            rank=rank, case_id=case_id, score=score, team=team_name, owner=worker, state=state,
            waiting_until=_maybe_day(until), people=people, open_items=count, needs=needs,
            oldest_days=(today - oldest).days if oldest else None, next_due=_maybe_day(due),
            harm_by=_maybe_day(harm), reasons=reasons or "", group=in_group,
            unskilled=bool(unskilled),
        ))  # fmt: skip
    return QueuePage(rows, total, groups)


# a case with an item that names the person or home searched for
SEARCH = (
    "EXISTS (SELECT 1 FROM items s WHERE s.case_id = c.id AND ("
    "lower(coalesce(s.first_name, '') || ' ' || coalesce(s.last_name, '')) LIKE :words "
    "OR lower(coalesce(s.full_name, '')) LIKE :words "
    "OR lower(coalesce(s.address_line_1, '')) LIKE :words "
    "OR s.date_of_birth = :born "
    "OR replace(upper(coalesce(s.postcode, '')), ' ', '') = :postcode "
    "OR lower(s.source_ref) = :ref))"
)


def search_values(search: str) -> dict[str, str]:
    """The search's values: its words in order anywhere in a name or address line
    (LIKE's own characters taken literally), a date of birth written 12/05/1980 or
    1980-05-12, a postcode with or without its space, a source's reference."""
    text = " ".join(search.lower().split())
    words = "%".join(part.replace("\\", "").replace("%", "").replace("_", "")
                     for part in text.split(" "))  # fmt: skip
    postcode = text.replace(" ", "").upper()
    return {"words": f"%{words}%", "born": _birth_date(text), "postcode": postcode, "ref": text}


def _birth_date(text: str) -> str:
    for written in ("%d/%m/%Y", "%Y-%m-%d", "%d %m %Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, written).date().isoformat()
        except ValueError:
            continue
    return ""


def _days(today: date) -> dict[str, date]:
    """The days the groups are told by."""
    return {"today": today, "harm_day": today + timedelta(days=HARM_DAYS),
            "due_day": today + timedelta(days=DUE_DAYS)}  # fmt: skip


def _open_item_facts(
    conn: Connection, case_ids: list[int]
) -> dict[int, tuple[tuple[str, ...], int, date | None]]:
    """case -> (its open items' needs, how many open items, the oldest one's day)."""
    gathered: dict[int, tuple[set[str], list[date]]] = {}
    query = select(items.c.case_id, items.c.need, items.c.received_at).where(
        items.c.status == "open")  # fmt: skip
    for case_id, need, received in in_batches(conn, query, items.c.case_id, case_ids):
        needs, days = gathered.setdefault(case_id, (set(), []))
        if need:
            needs.add(need)
        days.append(clock.day_of(received))
    return {case_id: (tuple(sorted(needs)), len(days), min(days))
            for case_id, (needs, days) in gathered.items()}  # fmt: skip


def _maybe_day(value: Any) -> date | None:
    return None if value is None else clock.day_of(value)
