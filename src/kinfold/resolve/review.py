"""Clerical review: the links kinfold was unsure of, and what a reviewer decided.

A reviewer confirms a link (the two items are about the same person), splits it (they
are not), or merges two items kinfold kept apart. Decisions are kept for good and every
later resolve honours them; each is also written to the event log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, exists, or_, select
from sqlalchemy.orm import aliased

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.store import events
from kinfold.store.schema import items, link_decisions, links

DECISIONS = {"confirm": "same", "merge": "same", "split": "different"}


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


def uncertain_links(conn: Connection, review_to: float, limit: int = 50) -> list[UncertainLink]:
    """Links in the review band that no reviewer has decided, least certain first."""
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
        select(links.c.id, links.c.match_probability, links.c.evidence, left, right)
        .join(left, left.c.id == links.c.item_id)
        .join(right, right.c.id == links.c.other_item_id)
        .where(~decided, links.c.match_probability < review_to)
        .order_by(_certainty(links.c.match_probability), links.c.id)
        .limit(limit)
    )
    found = []
    width = len(items.c)
    for row in conn.execute(query):
        values = tuple(row)
        found.append(
            UncertainLink(
                link_id=values[0],
                probability=values[1],
                evidence=json.loads(values[2]),
                item=_summary(dict(zip(items.c.keys(), values[3 : 3 + width], strict=True))),
                other=_summary(dict(zip(items.c.keys(), values[3 + width :], strict=True))),
            )
        )
    return found


def _certainty(probability: Any) -> Any:
    """How far from a coin toss: the least certain links are shown first."""
    return (probability - 0.5) * (probability - 0.5)


def decide(
    conn: Connection,
    action: str,
    actor: str,
    link_id: int | None = None,
    refs: tuple[str, str] | None = None,
    note: str | None = None,
) -> tuple[ItemSummary, ItemSummary]:
    """Record a reviewer's decision on a link (confirm, split) or on two items (merge)."""
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
