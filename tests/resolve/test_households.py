"""People into households: one home however it is written; the latest address counts."""

from __future__ import annotations

from collections.abc import Sequence

from kinfold.resolve.cleaning import parse_address
from kinfold.resolve.households import households
from kinfold.resolve.records import ItemPerson


def item(
    item_id: int,
    lines: Sequence[str | None],
    postcode: str | None,
    received: str = "2026-11-01",
    uprn: str | None = None,
    phone: str | None = None,
    school: str | None = None,
    surname: str | None = None,
    born: str | None = None,
) -> ItemPerson:
    return ItemPerson(item_id=item_id, record=0, display=(None, None, None),
                      received_at=received, address=parse_address(list(lines), postcode), uprn=uprn,
                      phone=phone, school=school, gp_practice=None, open=True, surname=surname,
                      born=born)  # fmt: skip


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


def test_a_uprn_that_differs_keeps_a_home_without_its_postcode_apart() -> None:
    items = [item(1, ["41 Kirkstall Ave"], "LS17 4PE", uprn="100"),
             item(2, ["41 KIRKSTALL AVENUE"], None, uprn="200"),
             item(3, ["41 Kirkstall Avenue"], None)]  # fmt: skip
    assert households(items, [0, 1, 2], 3)[1] == [0, 1, 0]


def family_moves(parents_seen_after: bool, mover_born: str) -> list[ItemPerson]:
    """Person 0 moves from 5 Old Lane to 10 High Street; person 1 (and, in the homes that
    tell, others) are seen at the old home only. Two homes that tell: a family seen again
    together at its new home, and one whose mover left people behind."""
    lane = ["5 Old Lane"], "LS1 1AA"
    street = ["10 High Street"], "LS6 2AB"
    items = [item(1, *lane, "2026-08-01", surname="shah", born=mover_born),
             item(2, *street, "2026-10-01", surname="shah", born=mover_born),
             item(3, *lane, "2026-09-01" if not parents_seen_after else "2026-11-01",
                  surname="shah", born="1960-01-01")]  # fmt: skip
    for family, (old, new) in enumerate(((["1 Moor Road"], ["2 Park Road"]),
                                         (["3 Moor Road"], ["4 Park Road"]),
                                         (["5 Moor Road"], ["6 Park Road"]))):  # fmt: skip
        name = f"family{family}"
        items += [item(10 + family, old, "LS2 2BB", "2026-08-01", surname=name),
                  item(20 + family, new, "LS3 3CC", "2026-10-01", surname=name),
                  item(30 + family, new, "LS3 3CC", "2026-11-01", surname=name)]  # fmt: skip
    return items


def test_a_family_left_at_the_old_home_follows_when_families_here_move_together() -> None:
    items = family_moves(parents_seen_after=False, mover_born="1962-01-01")
    person_of = [0, 0, 1, 2, 2, 5, 3, 3, 6, 4, 4, 7]
    household_of = households(items, person_of, 8)[1]
    assert household_of[0] == household_of[1]  # moved together, as families here do
    assert household_of[2:5] == household_of[5:8] and len(set(household_of[2:5])) == 3


def test_a_family_seen_at_the_old_home_after_the_move_stayed_behind() -> None:
    items = family_moves(parents_seen_after=True, mover_born="1962-01-01")
    person_of = [0, 0, 1, 2, 2, 5, 3, 3, 6, 4, 4, 7]
    household_of = households(items, person_of, 8)[1]
    assert household_of[0] != household_of[1]


def test_a_grown_up_child_leaving_home_leaves_their_parents_behind() -> None:
    # families here move together, but the mover is a generation younger than the
    # person at the old home, and grown-up children leaving home have been seen to go alone
    items = family_moves(parents_seen_after=False, mover_born="1995-01-01")
    for leaver in range(3):  # three others left their parents, who were seen after
        old, new = [f"{7 + leaver} Moor Road"], [f"{8 + leaver} Park Road"]
        name, young, old_born = f"leaver{leaver}", "2000-01-01", "1970-01-01"
        items += [
            item(40 + leaver, old, "LS4 4DD", "2026-08-01", surname=name, born=young),
            item(50 + leaver, new, "LS5 5EE", "2026-10-01", surname=name, born=young),
            item(60 + leaver, old, "LS4 4DD", "2026-11-01", surname=name, born=old_born),
        ]
    person_of = [0, 0, 1, 2, 2, 5, 3, 3, 6, 4, 4, 7, 8, 8, 9, 10, 10, 11, 12, 12, 13]
    household_of = households(items, person_of, 14)[1]
    assert household_of[0] != household_of[1]
    assert household_of[2] == household_of[5]  # the families that moved still did


def test_someone_whose_home_only_a_uprn_and_a_neighbour_complete_can_be_left() -> None:
    flat = ["Flat 5", "Windsor Drive"]
    items = [item(1, flat, "LS6 2AB", "2026-08-01", surname="shah"),
             item(2, ["10 High Street"], "LS9 9ZZ", "2026-10-01", surname="shah"),
             item(3, ["Flat 5"], "LS6 2AB", "2026-09-01", uprn="100", surname="shah"),
             item(4, flat, "LS6 2AB", "2026-07-01", surname="jones")]  # fmt: skip
    household_of = households(items, [0, 0, 1, 2], 3)[1]
    assert household_of == [0, 1, 1]  # no family here was seen moving together


def test_a_home_without_its_postcode_joins_the_one_of_several_where_family_lives() -> None:
    # 65 Kings Grove is in two postcodes; the Shahs live at one, the Joneses at the other
    items = [item(1, ["65 Kings Grove"], "LS15 4BQ", surname="jones"),
             item(2, ["65 Kings Grove"], "HD22 4SX", surname="shah"),
             item(3, ["65 Kings Grove"], None, surname="shah"),
             item(4, ["65 Kings Grove"], None, surname="brown")]  # fmt: skip
    assert households(items, [0, 1, 2, 3], 4)[1] == [0, 1, 1, 2]  # the Browns': either


def test_two_streets_at_one_number_and_postcode_are_two_homes() -> None:
    items = [item(1, ["4 Windsor Close"], "LS6 2AB"), item(2, ["4 Windsor Crescent"], "LS6 2AB")]
    assert households(items, [0, 1], 2)[1] == [0, 1]


def test_everyone_has_a_household_and_it_says_what_it_rests_on() -> None:
    items = [item(1, [None], None), item(2, ["High Street"], "LS6 2AB"),
             item(3, ["10 High Street"], "LS6 2AB"), item(4, ["Low Road"], "LS9 9ZZ"),
             item(5, ["10 High Street"], "LS6 2AB", uprn="100")]  # fmt: skip
    found, household_of = households(items, [0, 1, 2, 3, 4], 5)
    assert household_of == [0, 1, 1, 2, 1]  # part of an address joins the one home there
    assert [home.home.basis for home in found] == ["no address", "uprn", "part of an address"]
    assert found[0].home.address.display() == ""


# Each line holds one home written as councils' systems write it; every line is one household.
ONE_HOME_MANY_WAYS: list[list[tuple[list[str | None], str | None]]] = [
    [(["Flat 5, 36 Windsor Drive"], "LS6 2AB"), (["Flat 5 36 Windsor Drive"], "ls62ab"),
     (["5/36 Windsor Dr"], "LS6 2AB"), (["36 Windsor Drive, Flat 5"], "LS6 2AB"),
     (["36 Windsor Drive Flat 5"], None), (["Flat 5/36 WINDSOR DRIVE"], "LS6  2AB"),
     (["Apartment 5", "36 Windsor Drive"], "LS6 2AB"), (["5 36 windsor drive"], "LS62AB"),
     (["Flat 5, 36 Windsr Drive"], "LS6 2AB")],  # a slip in the street
    [(["4/147 Kirkstall Road"], "LS3 1JL"), (["Flat 4, 147 Kirkstall Rd"], "LS31JL"),
     (["Unit 4", "147 Kirkstall Road"], "ls3 1jl")],
    [(["Flat 4A, 12 Dock St"], "LS10 1PZ"), (["4a/12 Dock Street"], "LS10 1PZ"),
     (["Apartment 4A, Kingfisher House, 12 Dock Street"], "LS10 1PZ")],
    [(["Rose Cottage, Mill Lane"], "BD22 8DX"),
     (["Rose Cottage", "Mill Ln", "Haworth"], "BD22 8DX"), (["ROSE COTTAGE"], "BD22 8DX")],
    [(["36, Windsor Gdns"], "LS6 2AB"), (["No. 36 Windsor Gardens"], "LS6 2AB"),
     (["36 Windsor Gardens Headingley"], "LS6 2AB")],
    [(["Ground Floor Flat, 9 Cliff Ter"], "LS6 2EX"),
     (["Ground Floor Flat 9 Cliff Terrace"], None)],
    # what a scanner reads: "8" for "B", "5t" for "St", "rn" for "m", "c" for "e", a type
    # mistyped, and one with no postcode as well
    [(["146 Burley Crescent"], "HX13 2PY"), (["No. 146 8urley Crescent"], "HX13 2PY"),
     (["146 Burley Crcs"], "HX13 2PY"), (["146 Bvrlcy Crescent"], None)],
    [(["168 Hollin Street"], "BD27 5UQ"), (["168 Hollin 5t"], "BD27 5UQ")],
    [(["Ivy House", "Mill Road"], "BD10 5LT"), (["Ivy House", "Rnill Rd"], "BD105LT")],
    [(["2 Moor Cres"], "LS11 5PH"), (["2 Moor Crescent"], "LS11 5PH"), (["2 moor cl"], "LS11 5PH")],
]  # fmt: skip


def test_every_way_of_writing_a_uk_home_is_one_household() -> None:
    items: list[ItemPerson] = []
    person_of: list[int] = []
    expected: list[int] = []
    for home, writings in enumerate(ONE_HOME_MANY_WAYS):
        for lines, postcode in writings:
            items.append(item(len(items) + 1, lines, postcode))
            person_of.append(len(person_of))
            expected.append(home)
    found, household_of = households(items, person_of, len(items))
    same_in_truth = {(a, b) for a in range(len(items)) for b in range(len(items))
                     if expected[a] == expected[b]}  # fmt: skip
    same_found = {(a, b) for a in range(len(items)) for b in range(len(items))
                  if household_of[a] == household_of[b]}  # fmt: skip
    # Moor Close is another street: only the first six lines are one home each
    moor_close = len(items) - 1
    assert same_found == {
        pair for pair in same_in_truth if moor_close not in pair or pair[0] == pair[1]
    }
    assert all(home.home.basis == "address" for home in found)
