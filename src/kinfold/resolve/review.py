"""Clerical review: the links kinfold was unsure of, and what a reviewer decided.

The queue is short enough for a team to finish: at most QUEUE_SHARE of the items, the
uncertain links whose answer would change cases most, first (`queue`). Each says in
plain words what agrees and what differs (`describe`). A reviewer confirms a link (the
two items are about the same person), splits it (they are not), or merges two items
kinfold kept apart. Decisions are kept for good, every later resolve honours them and
learns from them (`people.train`), and each is written to the event log.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.resolve.people import Link
from kinfold.resolve.records import Records
from kinfold.store import events
from kinfold.store.schema import cases, items, link_decisions, links

DECISIONS = {"confirm": "same", "merge": "same", "split": "different"}
QUEUE_SHARE = 0.02  # of the items: the most links a resolve asks a team to review
WITHIN_A_CASE = 0.01  # an item given to another person in its case, against one moved

# What each comparison's level means, in plain words (the levels of `people.comparisons`)
EVIDENCE_WORDS: dict[str, dict[str, str]] = {
    "first": {"names swapped": "first and last names written the wrong way round",
              "Exact match on first": "same first name",
              "same formal name": "first names are forms of one name (Bob, Robert)",
              "same, written with a space": "same first name, written with a space",
              "one typo": "first names differ by one letter",
              "initial": "one first name is an initial of the other",
              "Jaro-Winkler distance of first >= 0.88": "first names are alike",
              "All other comparisons": "different first names"},
    "last": {"names swapped": "first and last names written the wrong way round",
             "Exact match on last": "same last name",
             "one typo": "last names differ by one letter",
             "Jaro-Winkler distance of last >= 0.88": "last names are alike",
             "All other comparisons": "different last names"},
    "swap": {"first and last names swapped": "first and last names swapped",
             "names swapped, with a slip": "first and last names swapped, with a slip",
             "one name in the other place": "one name written in the other's place",
             "All other comparisons": "names in their places"},
    "dob": {"Exact match on dob": "same date of birth",
            "one typo": "dates of birth differ by one digit",
            "day and month swapped": "dates of birth with day and month swapped",
            "a few days or a year out": "dates of birth a few days or a year apart",
            "All other comparisons": "different dates of birth"},
    "home": {"same UPRN": "same property (UPRN)", "Exact match on home": "same address",
             "same building": "same building, flat or postcode differs",
             "same number, street mistyped": "same house number, street spelt differently",
             "same postcode": "same postcode, different address",
             "All other comparisons": "different addresses"},
    "place": {"Exact match on place": "same building or estate name",
              "similar": "building or estate names alike",
              "All other comparisons": "different building or estate names"},
    "town": {"Exact match on town": "same town", "similar": "towns alike",
             "All other comparisons": "different towns"},
    "ref": {"same number in one source": "the source gave both the same number",
            "one typo": "the source's numbers differ by one digit",
            "All other comparisons": "the source gave them different numbers"},
    "ni": {"Exact match on ni": "same NI number",
           "All other comparisons": "different NI numbers"},
    "email": {"Exact match on email": "same email address",
              "All other comparisons": "different email addresses"},
    "phone": {"Exact match on phone": "same phone number",
              "All other comparisons": "different phone numbers"},
}  # fmt: skip


class ReviewError(KinfoldError):
    """A review decision that cannot be made as asked."""


@dataclass
class ItemSummary:
    item_id: int
    source: str
    source_ref: str
    name: str
    date_of_birth: str | None
    address: str
    person_id: int | None

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.source_ref}"


@dataclass
class UncertainLink:
    link_id: int
    probability: float
    evidence: dict[str, dict[str, Any]]
    item: ItemSummary
    other: ItemSummary
    joined: bool  # kinfold put the two together (else it kept them apart)

    @property
    def reasons(self) -> list[str]:
        return describe(self.evidence)


def review_queue(
    conn: Connection, actor: str, limit: int = 50, team_id: int | None = None
) -> list[UncertainLink]:
    """The review queue as `actor` sees it (`uncertain_links`), and the audit log's line
    for the view: the people in it are shown, whichever way they are looked at."""
    found = uncertain_links(conn, limit, team_id)
    events.record(conn, actor=actor, action="review.viewed", entity_type="review",
                  entity_id="links", after={"links": [link.link_id for link in found]})  # fmt: skip
    return found


def uncertain_links(
    conn: Connection, limit: int = 50, team_id: int | None = None
) -> list[UncertainLink]:
    """The review queue's links that no reviewer has decided, most valuable first; with
    `team_id`, only those whose two items are both in that team's cases."""
    decided = exists().where(
        or_(
            and_(link_decisions.c.item_id == links.c.item_id,
                 link_decisions.c.other_item_id == links.c.other_item_id),
            and_(link_decisions.c.item_id == links.c.other_item_id,
                 link_decisions.c.other_item_id == links.c.item_id),
        )
    )  # fmt: skip
    left, right = aliased(items), aliased(items)
    query = (
        select(links.c.id, links.c.match_probability, links.c.evidence, links.c.joined, left, right)
        .join(left, left.c.id == links.c.item_id)
        .join(right, right.c.id == links.c.other_item_id)
        .where(~decided, links.c.review_value.is_not(None))
        .order_by(links.c.review_value.desc(), links.c.id)
        .limit(limit)
    )
    if team_id is not None:
        query = query.where(*(_in_team(item, team_id) for item in (left, right)))
    found = []
    width = len(items.c)
    for row in conn.execute(query):
        values = tuple(row)
        found.append(
            UncertainLink(
                link_id=values[0],
                probability=values[1],
                evidence=json.loads(values[2]),
                item=_summary(dict(zip(items.c.keys(), values[4 : 4 + width], strict=True))),
                other=_summary(dict(zip(items.c.keys(), values[4 + width :], strict=True))),
                joined=bool(values[3]),
            )
        )
    return found


def queue(
    near: Sequence[Link],
    joined: set[tuple[int, int]],
    records: Records,
    person_of: Sequence[int],
    household_of: Sequence[int],
) -> dict[tuple[int, int], float]:
    """The review queue: (record, record) -> the value of an answer, for at most
    QUEUE_SHARE of the items' worth of the uncertain links `near`, most valuable first.

    An answer is worth the items it would move between cases, and a hundredth of that for
    items it would only give to another person within one case (the household's case
    stays as it is), times how unsure the link is (1 at even odds: where the model has
    most to learn)."""
    items_of = Counter(item.record for item in records.items)
    home_of: dict[int, str] = {}
    household_of_record: dict[int, int] = {}
    case_size: Counter[int] = Counter()
    for item, person in zip(records.items, person_of, strict=True):
        home_of.setdefault(item.record, item.address.key())
        household_of_record[item.record] = household_of[person]
        case_size[household_of[person]] += 1
    valued = []
    for link in near:
        pair = (link.left, link.right)
        left, right = household_of_record[link.left], household_of_record[link.right]
        people = min(items_of[link.left], items_of[link.right])
        if pair in joined:  # a split moves the smaller side's items if it lives elsewhere
            moved = people if home_of[link.left] != home_of[link.right] else 0
        else:  # a merge moves the smaller case's items, unless they share one
            moved = min(case_size[left], case_size[right]) if left != right else 0
        value = (moved or people * WITHIN_A_CASE) * (1 - abs(2 * link.probability - 1))
        valued.append((value, pair))
    valued.sort(key=lambda entry: (-entry[0], entry[1]))
    most = max(1, int(QUEUE_SHARE * len(records.items)))
    return {pair: round(value, 6) for value, pair in valued[:most] if value > 0}


def describe(evidence: dict[str, dict[str, Any]]) -> list[str]:
    """The evidence of a link in plain words, what agrees first: "same date of birth",
    "first names differ by one letter"."""
    said = []
    for comparison, detail in sorted(evidence.items(), key=lambda entry: -entry[1]["weight"]):
        words = EVIDENCE_WORDS.get(comparison, {}).get(detail["level"])
        if words and words not in said:
            said.append(words)
    return said


def decide(
    conn: Connection,
    action: str,
    actor: str,
    link_id: int | None = None,
    refs: tuple[str, str] | None = None,
    note: str | None = None,
    team_id: int | None = None,
) -> tuple[ItemSummary, ItemSummary]:
    """Record a reviewer's decision on a link (confirm, split) or on two items (merge);
    with `team_id`, only on items both in that team's cases."""
    if action not in DECISIONS:
        raise ReviewError(f"'{action}' is not a review decision: use confirm, split or merge.")
    if link_id is not None:
        pair = conn.execute(
            select(links.c.item_id, links.c.other_item_id).where(links.c.id == link_id)
        ).first()
        if pair is None:
            raise ReviewError(
                f"There is no link {link_id}.", "`kinfold review` lists the links to review."
            )
        item_id, other_id = pair
    elif refs is not None:
        item_id, other_id = (_item_id(conn, ref) for ref in refs)
        if item_id == other_id:
            raise ReviewError(f"{refs[0]} and {refs[1]} are the same item.")
    else:
        raise ReviewError("Say which link (or, to merge, which two items) the decision is on.")
    if team_id is not None:
        theirs = select(func.count()).where(or_(items.c.id == item_id, items.c.id == other_id),
                                            _in_team(items, team_id))  # fmt: skip
        if conn.execute(theirs).scalar_one() != 2:
            raise ReviewError("Those items are not both in your team's cases: another "
                              "team's leader reviews them.")  # fmt: skip
    decision = DECISIONS[action]
    conn.execute(
        link_decisions.insert().values(
            item_id=item_id, other_item_id=other_id, decision=decision, actor=actor,
            decided_at=clock.now(), note=note,
        )
    )  # fmt: skip
    item, other = (_summary(_item(conn, key)) for key in (item_id, other_id))
    events.record(
        conn,
        actor=actor,
        action=f"review.{action}",
        entity_type="item",
        entity_id=item_id,
        after={"other_item": other_id, "decision": decision, "link": link_id, "note": note},
    )
    return item, other


def _in_team(item: Any, team_id: int) -> Any:
    """The item (a table or alias of items) is in one of the team's cases."""
    return item.c.case_id.in_(select(cases.c.id).where(cases.c.team_id == team_id))


def _item_id(conn: Connection, ref: str) -> int:
    source, sep, source_ref = ref.partition(":")
    if not sep:
        raise ReviewError(f"'{ref}' is not an item reference: write it as SOURCE:REF.")
    found = conn.execute(
        select(items.c.id).where(items.c.source == source, items.c.source_ref == source_ref)
    ).scalar()
    if found is None:
        raise ReviewError(f"There is no item {source_ref} from source '{source}'.")
    return int(found)


def _item(conn: Connection, item_id: int) -> dict[str, Any]:
    return dict(conn.execute(select(items).where(items.c.id == item_id)).mappings().one())


def _summary(item: dict[str, Any]) -> ItemSummary:
    name = " ".join(part for part in (item["first_name"], item["last_name"]) if part)
    address = ", ".join(
        part for part in (item["address_line_1"], item["address_line_2"], item["postcode"]) if part
    )
    return ItemSummary(
        item_id=item["id"],
        source=item["source"],
        source_ref=item["source_ref"],
        name=name or "(no name)",
        date_of_birth=item["date_of_birth"],
        address=address or "(no address)",
        person_id=item["person_id"],
    )
