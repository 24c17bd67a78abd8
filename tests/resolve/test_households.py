"""People into households: one home however it is written; the latest address counts."""

from __future__ import annotations

from kinfold.resolve.cleaning import parse_address
from kinfold.resolve.households import households
from kinfold.resolve.records import ItemPerson


def item(
    item_id: int,
    lines: list[str | None],
    postcode: str | None,
    received: str = "2026-11-01",
    uprn: str | None = None,
    phone: str | None = None,
    school: str | None = None,
) -> ItemPerson:
    return ItemPerson(item_id=item_id, record=0, display=(None, None, None),
                      received_at=received, address=parse_address(lines, postcode), uprn=uprn,
                      phone=phone, school=school, gp_practice=None, open=True)  # fmt: skip


def test_one_home_written_two_ways_is_one_household() -> None:
    items = [item(1, ["Flat 2, 10 High St"], "ls6 2ab", school="Park Primary"),
             item(2, ["2/10 High Street", "Headingley"], "LS62AB")]  # fmt: skip
    found, household_of = households(items, [0, 1], 2)
    assert household_of == [0, 0]
    assert found[0].postcode_sector == "LS6 2"
    assert found[0].postcode_district == "LS6"
    assert found[0].school == "Park Primary"


def test_neighbouring_flats_are_different_households() -> None:
    items = [item(1, ["Flat 2, 10 High St"], "LS6 2AB"), item(2, ["Flat 3, 10 High St"], "LS6 2AB")]
    assert households(items, [0, 1], 2)[1] == [0, 1]


def test_a_person_lives_at_their_latest_address() -> None:
    items = [item(1, ["5 Old Lane"], "LS1 1AA", received="2026-09-01"),
             item(2, ["10 High Street"], "LS6 2AB", received="2026-11-01"),
             item(3, ["10 High St"], "LS6 2AB")]  # fmt: skip
    found, household_of = households(items, [0, 0, 1], 2)
    assert household_of == [0, 0]
    assert found[0].home.address.street == "high street"


def test_a_home_without_its_postcode_or_with_a_uprn_joins_its_household() -> None:
    items = [item(1, ["10 High Street"], "LS6 2AB"), item(2, ["10 High Street"], None),
             item(3, ["Ten High Street"], "LS6 2AB", uprn="100"),
             item(4, ["10 High Street"], "LS6 2AB", uprn="100")]  # fmt: skip
    assert households(items, [0, 1, 2, 3], 4)[1] == [0, 0, 0, 0]


def test_a_shared_phone_joins_homes_within_one_postcode_only() -> None:
    items = [item(1, ["10 High Street"], "LS6 2AB", phone="07700900123"),
             item(2, ["Flat 1, 10 High Street"], "LS6 2AB", phone="07700900123"),
             item(3, ["4 Low Road"], "LS9 9ZZ", phone="07700900123")]  # fmt: skip
    assert households(items, [0, 1, 2], 3)[1] == [0, 0, 1]


def test_a_person_with_no_address_has_no_household() -> None:
    items = [item(1, [None], None), item(2, ["High Street"], "LS6 2AB")]
    found, household_of = households(items, [0, 1], 2)
    assert (found, household_of) == ([], [None, None])
