"""Resolving a real workspace: the demo's true people and households are found, case ids
stay put across re-runs, and reviewers' decisions are honoured and logged."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kinfold.demo.files import DemoSummary
from kinfold.errors import WorkspaceError
from kinfold.ingest.importer import import_items
from kinfold.resolve.incremental import link_new_items, new_item_ids
from kinfold.resolve.quality import pairwise_scores
from kinfold.resolve.review import (
    EVIDENCE_WORDS,
    QUEUE_SHARE,
    decide,
    describe,
    uncertain_links,
)
from kinfold.resolve.run import resolve_workspace
from kinfold.settings import Settings, Thresholds
from kinfold.store.schema import cases, events, households, items, links
from kinfold.workspace import Workspace

WORDS = {words for levels in EVIDENCE_WORDS.values() for words in levels.values()}
LATE = ("first_name", "last_name", "date_of_birth", "address_line_1", "postcode", "ni_number",
        "person_ref")  # fmt: skip


def placed(workspace: Workspace) -> dict[tuple[str, str], tuple[int, int | None, int]]:
    """(source, source_ref) -> (person, household, case) of every item."""
    query = select(items.c.source, items.c.source_ref, items.c.person_id,
                   items.c.household_id, items.c.case_id)  # fmt: skip
    with workspace.engine.connect() as conn:
        return {(s, r): (p, h, c) for s, r, p, h, c in conn.execute(query)}


def known_item(workspace: Workspace, *where: Any) -> dict[str, Any]:
    """The first benefits item with a date of birth that meets `where`."""
    query = select(items).where(
        items.c.source == "benefits", items.c.date_of_birth.is_not(None), *where
    )
    with workspace.engine.connect() as conn:
        return dict(conn.execute(query.limit(1)).mappings().one())


def late_file(path: Path, rows: list[dict[str, Any]]) -> Path:
    """A file of items N1, N2, ... from source 'late', each row giving some of LATE."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_ref", "item_type", "received_at", *LATE])
        for number, row in enumerate(rows, start=1):
            values = [row.get(name) or "" for name in LATE]
            writer.writerow([f"N{number}", "Claim", "2026-11-20", *values])
    return path


def test_the_demo_resolves_to_its_true_people_and_households(
    backend: str, demo_workspace: Workspace, demo_files: DemoSummary
) -> None:
    result = resolve_workspace(demo_workspace.engine, Settings(), "test")
    found = placed(demo_workspace)
    with (demo_files.out / "truth.csv").open(encoding="utf-8") as handle:
        truth = {(row["source"], row["source_ref"]): row for row in csv.DictReader(handle)}
    people = pairwise_scores(
        {key: value[0] for key, value in found.items()},
        {key: row["person_id"] for key, row in truth.items()},
    )
    homes = pairwise_scores(
        {key: value[1] for key, value in found.items()},
        {key: row["household_id"] for key, row in truth.items()},
    )
    assert people.f1 >= 0.98, people
    assert homes.f1 >= 0.98, homes
    assert all(case is not None and person is not None for person, _, case in found.values())
    assert result.items == len(found)
    assert result.cases == len({case for _, _, case in found.values()})
    with demo_workspace.engine.connect() as conn:
        evidence = conn.execute(select(links.c.evidence).where(links.c.joined)).scalars().all()
    assert evidence
    assert any("dob" in json.loads(text) and "last" in json.loads(text) for text in evidence)
    demo_workspace.close()


def test_a_rerun_keeps_case_ids_and_new_items_join_their_case(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    engine = demo_workspace.engine
    resolve_workspace(engine, Settings(), "test")
    before = placed(demo_workspace)
    known = known_item(demo_workspace, items.c.ni_number.is_not(None))
    new = late_file(tmp_path / "new.csv", [known, {}])
    # N2 has no name at all: it comes in (names are optional per row) and stays alone
    import_items(engine, new, "late", actor="test")
    result = resolve_workspace(engine, Settings(), "test")
    after = placed(demo_workspace)
    assert all(after[key][2] == value[2] for key, value in before.items())
    assert after[("late", "N1")][2] == before[("benefits", known["source_ref"])][2]
    lonely = after[("late", "N2")]
    assert sum(place[0] == lonely[0] for place in after.values()) == 1
    assert sum(place[2] == lonely[2] for place in after.values()) == 1
    assert result.items == len(before) + 2
    demo_workspace.close()


def test_a_merge_decision_folds_two_cases_into_one_and_is_logged(
    demo_workspace: Workspace,
) -> None:
    engine = demo_workspace.engine
    resolve_workspace(engine, Settings(), "test")
    with engine.connect() as conn:
        solo = conn.execute(
            select(items.c.source, items.c.source_ref, items.c.case_id)
            .where(items.c.case_id.in_(
                select(items.c.case_id).group_by(items.c.case_id).having(func.count() == 1)))
            .order_by(items.c.id).limit(2)
        ).all()  # fmt: skip
    (source_a, ref_a, case_a), (source_b, ref_b, case_b) = solo
    with engine.begin() as conn:
        decide(conn, "merge", "reviewer", refs=(f"{source_a}:{ref_a}", f"{source_b}:{ref_b}"))
    result = resolve_workspace(engine, Settings(), "test")
    after = placed(demo_workspace)
    assert after[(source_a, ref_a)][0] == after[(source_b, ref_b)][0]
    survivor = after[(source_a, ref_a)][2]
    assert survivor in (case_a, case_b)
    gone = case_b if survivor == case_a else case_a
    assert result.merged_cases >= 1
    with engine.connect() as conn:
        status, into = conn.execute(
            select(cases.c.status, cases.c.merged_into).where(cases.c.id == gone)
        ).one()
        logged = conn.execute(
            select(events.c.before).where(events.c.action == "case.merged",
                                          events.c.entity_id == str(survivor))
        ).scalars().all()  # fmt: skip
        reviewed = conn.execute(
            select(func.count()).select_from(events).where(events.c.action == "review.merge")
        ).scalar_one()
    assert (status, into) == ("merged", survivor)
    assert any(gone in json.loads(before)["cases"] for before in logged)
    assert reviewed == 1
    demo_workspace.close()


def test_the_review_queue_is_short_worth_answering_and_in_plain_words(
    demo_workspace: Workspace,
) -> None:
    engine = demo_workspace.engine
    result = resolve_workspace(engine, Settings(), "test")
    band = Thresholds()
    with engine.connect() as conn:
        waiting = uncertain_links(conn, limit=100_000)
        values = [value for (value,) in conn.execute(
            select(links.c.review_value).where(links.c.review_value.is_not(None))
            .order_by(links.c.review_value.desc()))]  # fmt: skip
        placed = dict(conn.execute(select(items.c.id, items.c.case_id)).all())
    assert 0 < len(waiting) == result.links_to_review <= QUEUE_SHARE * result.items
    assert values == sorted(values, reverse=True) and all(value > 0 for value in values)
    assert all(band.review_from <= link.probability < band.review_to for link in waiting)
    apart = [placed[link.item.item_id] != placed[link.other.item_id]
             for link in waiting if not link.joined]  # fmt: skip
    assert apart == sorted(apart, reverse=True)  # answers that would merge cases come first
    for link in waiting:
        assert link.reasons and all(reason in WORDS for reason in link.reasons)
    with engine.begin() as conn:
        decide(conn, "split", "reviewer", link_id=waiting[0].link_id)
    with engine.connect() as conn:
        left = uncertain_links(conn, limit=100_000)
    assert len(left) == len(waiting) - 1
    demo_workspace.close()


def test_evidence_is_described_in_plain_words_what_agrees_first() -> None:
    evidence = {"first": {"level": "one typo", "weight": 4.1},
                "dob": {"level": "Exact match on dob", "weight": 10.2},
                "home": {"level": "All other comparisons", "weight": -4.6}}  # fmt: skip
    assert describe(evidence) == [
        "same date of birth",
        "first names differ by one letter",
        "different addresses",
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"resolve": {"match_threshold": 1.5}}, "between 0 and 1"),
        ({"resolve": {"threshold": 0.9}}, "unknown resolve setting threshold"),
        ({"resolve": {"match_threshold": 0.6, "review_from": 0.8}}, "review_from <="),
    ],
)
def test_bad_thresholds_are_refused_with_a_reason(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(WorkspaceError, match=message):
        Settings.parse(settings)


def test_new_items_are_linked_without_a_full_resolve(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    engine = demo_workspace.engine
    with engine.begin() as conn:  # never resolved: nothing to do
        assert link_new_items(conn, Settings(), [1], "test") is None
    resolve_workspace(engine, Settings(), "test")
    known = known_item(demo_workspace, items.c.household_id.is_not(None))
    same = {**known, "ni_number": None}
    lodger = {"first_name": "Zebedee", "last_name": "Quillfeather",
              "date_of_birth": "1999-09-09", "address_line_1": known["address_line_1"],
              "postcode": known["postcode"]}  # fmt: skip
    new = late_file(tmp_path / "new.csv", [same, lodger, {}])
    imported = import_items(engine, new, "late", actor="test")
    with engine.begin() as conn:
        ids = new_item_ids(conn, imported)
        assert len(ids) == 3
        linked = link_new_items(conn, Settings(), ids, "test")
    assert linked is not None
    assert (linked.items, linked.joined_people, linked.new_people) == (3, 1, 2)
    after = placed(demo_workspace)
    was = after[("benefits", known["source_ref"])]
    assert after[("late", "N1")] == was  # same person, household and case
    lodger_place = after[("late", "N2")]
    assert lodger_place[0] != was[0] and lodger_place[1:] == was[1:]
    alone = after[("late", "N3")]  # no address: a household of one, that says so
    with engine.connect() as conn:
        basis = conn.execute(
            select(households.c.basis).where(households.c.id == alone[1])
        ).scalar_one()
    assert basis == "no address"
    assert sum(place[1] == alone[1] for place in after.values()) == 1
    assert sum(place[2] == alone[2] for place in after.values()) == 1
    with engine.connect() as conn:
        logged = conn.execute(
            select(func.count()).select_from(events)
            .where(events.c.action == "resolve.incremental")
        ).scalar_one()  # fmt: skip
    assert logged == 1
    demo_workspace.close()


def test_a_sources_own_number_for_a_person_is_trusted_within_that_source(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    engine = demo_workspace.engine
    born = {"last_name": "Okonkwo", "date_of_birth": "1990-01-01",
            "address_line_1": "7 Quarry Row", "postcode": "LS6 9ZZ"}  # fmt: skip
    crm = late_file(tmp_path / "crm.csv", [
        {**born, "first_name": "Zara", "person_ref": "5550100"},
        {**born, "first_name": "Yusuf", "person_ref": "5550100"},  # the system says: one
        {**born, "first_name": "Ada", "person_ref": "5550101"},  # registered with Zara
    ])  # fmt: skip
    other = late_file(tmp_path / "other.csv", [
        {"first_name": "Unrelated", "last_name": "Person", "person_ref": "5550100"},
    ])  # fmt: skip
    import_items(engine, crm, "crm", actor="test")
    import_items(engine, other, "other", actor="test")
    resolve_workspace(engine, Settings(), "test")
    found = placed(demo_workspace)
    zara, yusuf, ada = (found[("crm", f"N{n}")] for n in (1, 2, 3))
    assert zara[0] == yusuf[0]
    assert ada[0] != zara[0] and ada[1] == zara[1]  # a twin: own person, same household
    assert found[("other", "N1")][0] != zara[0]  # another source's numbers mean nothing here
    with engine.connect() as conn:
        evidence = conn.execute(
            select(links.c.evidence, links.c.match_probability).where(links.c.joined)
            .where(links.c.evidence.like('%same number in one source%'))
        ).all()  # fmt: skip
    assert evidence and all(probability == 1.0 for _, probability in evidence)
    demo_workspace.close()
