"""Joining scored pairs into people: typos join, the impossible person is refused."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from kinfold.resolve.linkage import DuckDBLinkage
from kinfold.resolve.people import (
    MIN_LABELS,
    RULES,
    SAMPLE_FOR_TRAINING,
    Link,
    blocking_rules,
    cluster,
    relatives_share,
    rules_that_hold,
    same_birth_date,
    same_first_name,
    same_reference,
    train,
    whole_blocks,
    with_rare_agreements,
)
from kinfold.resolve.records import FEW_TOGETHER, Record, Records, read_records
from kinfold.workspace import Workspace

EVERY_RULE = frozenset(RULES)


def person(
    first: str | None, last: str, dob: str | None, ni: str | None = None, ref: str | None = None
) -> Record:
    return Record(first, first, first, last, dob, "LS62AB|10||highstreet", "10|highstreet",
                  "LS6 2AB", "highstreet", None, None, None, ni, ref, None, "leeds")  # fmt: skip


def link(left: int, right: int, probability: float = 0.999) -> Link:
    return Link(left, right, probability, 10.0)


def test_birth_dates_that_could_be_one_typed_twice() -> None:
    assert same_birth_date("1980-05-12", "1980-05-13")  # a digit
    assert same_birth_date("1980-05-12", "1980-12-05")  # day and month swapped
    assert same_birth_date("1968-03-07", "1967-03-08")  # a year out
    assert same_birth_date("1980-01-31", "1980-02-01")  # a day out, across a month
    assert same_birth_date("1918-07-01", "1981-07-01")  # two digits swapped
    assert not same_birth_date("1955-05-12", "1985-03-01")  # a parent and a child
    assert not same_birth_date("1980-05-12", "1981-09-12")


def test_first_names_that_could_be_one() -> None:
    assert same_first_name("robert", "bob")
    assert same_first_name("kieran", "keiran")
    assert same_first_name("paul", "apul")
    assert not same_first_name("jack", "jake")  # twins
    assert same_first_name("claire", "daire")  # scanned: "cl" read as "d"
    assert same_first_name("lindsey", "llndsay")  # scanned, and another spelling
    assert same_first_name("martin", "rnartin")
    assert not same_first_name("lily", "lola")


def test_a_child_named_after_a_parent_stays_their_own_person() -> None:
    records = [person("david", "jones", "1960-04-02"), person("david", "jones", "1990-08-14"),
               person("david", "jones", None)]  # fmt: skip
    links = [link(0, 2), link(1, 2, 0.99), link(0, 1, 0.98)]
    roots = cluster(records, links, 0.95, EVERY_RULE)
    assert roots[0] != roots[1]
    assert roots[2] == roots[0]  # the undated record goes with its strongest link
    assert len(set(cluster(records, links, 0.95))) == 1  # where no rule holds: evidence only


def test_twins_stay_apart_and_typos_join() -> None:
    records = [person("jack", "khan", "2015-03-03"), person("jake", "khan", "2015-03-03"),
               person("jakc", "khan", "2015-03-03")]  # fmt: skip
    roots = cluster(records, [link(0, 1), link(0, 2)], 0.95, EVERY_RULE)
    assert roots[0] != roots[1]
    assert roots[2] == roots[0]
    assert len(set(cluster(records, [link(0, 1), link(0, 2)], 0.95, frozenset({"dob"})))) == 1


def test_links_below_the_threshold_do_not_join() -> None:
    records = [person("ann", "lee", "1970-01-01"), person("ann", "lee", "1970-01-01")]
    assert len(set(cluster(records, [link(0, 1, 0.9)], 0.95))) == 2


def test_different_ni_numbers_are_different_people() -> None:
    records = [person("ann", "lee", "1970-01-01", "AB123456C"),
               person("ann", "lee", "1970-01-01", "AB654321C")]  # fmt: skip
    assert len(set(cluster(records, [link(0, 1)], 0.95, EVERY_RULE))) == 2


def test_reviewers_decisions_come_first() -> None:
    records = [person("ann", "lee", "1970-01-01"), person("ann", "lee", "1970-01-01"),
               person("annie", "leigh", "1971-06-06")]  # fmt: skip
    roots = cluster(records, [link(0, 1)], 0.95, same=[(0, 2)], different=[(0, 1)])
    assert roots[0] == roots[2]
    assert roots[0] != roots[1]
    roots = cluster(records, [link(0, 1)], 0.95, EVERY_RULE, same=[(0, 2)], different=[(0, 1)])
    assert roots[0] == roots[2]
    assert roots[0] != roots[1]


def test_a_sources_number_typed_with_a_slip_still_names_one_person() -> None:
    assert same_reference("4154968|crm", "4154698|crm")  # two digits swapped
    assert same_reference("1321061|crm", "1321051|crm")  # one digit
    assert not same_reference("5550100|crm", "5550101|crm")  # registered one after another
    assert not same_reference("1321061|crm", "1321061|benefits")  # another source's number
    records = [person("sophie", "lovelock", "1947-04-13", ref="1321061|crm"),
               person("tiarna", "lovelock", "1947-04-13", ref="1321051|crm"),
               person("ada", "lovelock", "1947-04-13", ref="1321062|crm")]  # fmt: skip
    roots = cluster(records, [link(0, 1), link(0, 2)], 0.95, EVERY_RULE)
    assert roots[0] == roots[1]  # the source's system says so, names aside
    assert roots[2] != roots[0]  # a twin, numbered next


def model_breaking(first: float, dob: float, ni: float | None) -> dict[str, object]:
    """A trained model's comparisons, as far as the rules read them: the m of each level."""

    def levels(*shares: float | None) -> list[dict[str, object]]:
        return [{"m_probability": share} for share in shares]

    return {"comparisons": [
        {"output_column_name": "first", "comparison_levels": levels(0.9, 0.02, first - 0.02)},
        {"output_column_name": "dob", "comparison_levels": levels(0.9, dob)},
        {"output_column_name": "ni", "comparison_levels": levels(0.9, ni)},
        {"output_column_name": "last", "comparison_levels": levels(0.9, 0.1)},
    ]}  # fmt: skip


def test_a_rule_holds_where_relatives_break_it_more_often_than_one_persons_records() -> None:
    council = model_breaking(first=0.05, dob=0.01, ni=0.0)
    assert rules_that_hold(council, relatives=0.2) == {"first", "dob", "ni"}
    replaced = model_breaking(first=0.15, dob=0.06, ni=None)  # names and dates replaced
    assert rules_that_hold(replaced, relatives=0.01) == frozenset()
    assert rules_that_hold(replaced, relatives=0.1) == {"dob"}
    assert rules_that_hold(council, relatives=0.0) == frozenset()  # no families to tell apart


def test_relatives_share_counts_plainly_different_people_at_one_home() -> None:
    family = [person("david", "jones", "1960-04-02"), person("dave", "jones", "1960-04-02"),
              person("lucy", "jones", "1992-11-30"),
              person("tom", "jones", "1995-01-07")]  # fmt: skip
    replaced = [person("david", "jones", "1960-04-02"), person("david", "jones", "1960-04-03"),
                person("david", "jnoes", "1960-04-02"),
                person("amy", "jones", "1960-04-02")]  # fmt: skip
    for records, share in ((family, 5 / 6), (replaced, 0.0)):
        where = DuckDBLinkage(duckdb.connect())
        where.load("people", Records(items=[], distinct=records).table())
        assert relatives_share(where, "people") == share


def test_reviewers_answers_teach_the_model_once_there_are_enough(
    demo_workspace: Workspace,
) -> None:
    with demo_workspace.engine.connect() as conn:
        records = read_records(conn)
    distinct = records.distinct
    # pairs at one home, with one surname, whose first names differ: a reviewer who calls
    # them one person teaches that first names may differ
    siblings = [(a, b) for a in range(len(distinct)) for b in range(a + 1, len(distinct))
                if distinct[a].home and distinct[a].home == distinct[b].home
                and distinct[a].last == distinct[b].last
                and (distinct[a].first or "")[:1] != (distinct[b].first or "")[:1]]  # fmt: skip
    assert len(siblings) >= MIN_LABELS

    def first_names_differ(labels: list[tuple[int, int]]) -> float:
        model = train(records.table(), labels=labels)
        model.where.close()
        first = next(c for c in model.model["comparisons"] if c["output_column_name"] == "first")
        return float(first["comparison_levels"][-1]["m_probability"])

    untaught = first_names_differ([])
    assert first_names_differ(siblings[: MIN_LABELS - 1]) == pytest.approx(untaught)  # too few
    assert first_names_differ(siblings[:40]) > untaught


def test_em_learns_from_whole_blocks_of_a_large_backlog() -> None:
    # 400,000 records, four to a date of birth, no names: the dates' blocks are kept
    # whole or left out, and about SAMPLE_FOR_TRAINING / 2 records are kept
    size = 400_000
    dates = [
        f"{1900 + n // 366:04d}-{n % 12 + 1:02d}-{n % 28 + 1:02d}-{n}" for n in range(size // 4)
    ]
    records = pa.table({"dob": [day for day in dates for _ in range(4)],
                        "last": pa.nulls(size, pa.string()),
                        "first_formal": pa.nulls(size, pa.string())})  # fmt: skip
    where = DuckDBLinkage()
    where.load("records", records)
    where.make("blocks", f"SELECT dob, count(*) AS kept FROM records WHERE {whole_blocks(size)} "
                         "GROUP BY dob")  # fmt: skip
    _, rows = where.rows("SELECT kept, count(*) FROM blocks GROUP BY kept")
    assert dict(rows).keys() == {4}
    kept = 4 * dict(rows)[4]
    assert 0.8 * SAMPLE_FOR_TRAINING / 2 < kept < 1.2 * SAMPLE_FOR_TRAINING / 2


def test_a_level_random_pairs_never_reached_is_weighed_by_how_often_values_repeat() -> None:
    where = DuckDBLinkage()
    where.load("records", pa.table({"email": ["a", "a", "b", "c", None]}))
    model = {"comparisons": [{"comparison_levels": [
        {"sql_condition": '"email_l" IS NULL OR "email_r" IS NULL', "is_null_level": True},
        {"sql_condition": '"email_l" = "email_r"', "m_probability": 0.9},
        {"sql_condition": "ELSE", "m_probability": 0.1, "u_probability": 1.0}]}]}  # fmt: skip
    levels = with_rare_agreements(model, where)["comparisons"][0]["comparison_levels"]
    assert levels[1]["u_probability"] == pytest.approx(1 / 6)  # of six pairs, one agrees
    assert levels[2]["u_probability"] == 1.0


def test_names_alone_block_only_the_records_few_others_share_them_with() -> None:
    # a backlog's John Smiths are compared on their names and something more; each of
    # its two Ayla Benjamins on the names alone (one has no date of birth)
    common = [person("john", "smith", f"19{n:02d}-01-01") for n in range(FEW_TOGETHER + 1)]
    rare = [person("ayla", "benjamin", None), person("ayla", "benjamin", "1980-03-04")]
    table = Records(items=[], distinct=[*common, *rare]).table()
    assert table.column("names").to_pylist() == [None] * len(common) + ["ayla|benjamin"] * 2
    street = table.column("street_last").to_pylist()
    assert street == [None] * len(common) + ["highstreet|benjamin"] * 2
    where = DuckDBLinkage(duckdb.connect())
    where.load("records", table)
    _, ((pairs,),) = where.rows(
        "SELECT count(*) FROM records l JOIN records r ON l.unique_id < r.unique_id "
        "AND l.names = r.names"
    )
    assert pairs == 1


def test_names_the_wrong_way_round_and_mistyped_are_compared_at_one_home() -> None:
    # "Ewa N Whiteley" and "Ewan Whiteley" at one home, one of them with the names in each
    # other's place, and one date of birth missing: no rule on equal names catches them
    records = [person("whiteley", "ewa", "1984-02-05"), person("ewan", "whiteley", None)]
    blocked = blocked_by(records)
    assert blocked == ["l.first = r.last and l.postcode = r.postcode",
                       "l.first = r.last and l.building = r.building",
                       'l."few_at_building" = r."few_at_building"']  # fmt: skip


def test_a_date_of_birth_mistyped_at_one_home_is_compared() -> None:
    # FEBRL1's rec-91: no first name, a surname retyped, the month of birth one digit out
    records = [person(None, "hefford", "1944-08-05"), person(None, "cogzell", "1944-09-05")]
    blocked = blocked_by(records)
    assert len(blocked) == 2 and "building" in blocked[0] and "dob" in blocked[0]


def test_a_first_name_and_a_date_of_birth_both_retyped_at_one_home_are_compared() -> None:
    # FEBRL3's rec-427: "emmet weller" born 1927-05-16 and "madisoen welller" born
    # 1934-10-24 at 11 Copland Drive, 4350: only the home they share brings them together
    records = [person("emmet", "weller", "1927-05-16"), person("madisoen", "welller", "1934-10-24")]
    assert blocked_by(records) == ['l."few_at_building" = r."few_at_building"']
    # at a building where more than a few records are, the home alone compares none of
    # them (each would be compared with every other): other rules must
    crowded = records + [person(f"resident{n}", f"family{n}", None) for n in range(FEW_TOGETHER)]
    assert blocked_by(crowded) == []


def blocked_by(records: list[Record]) -> list[str]:
    """The blocking rules (their SQL) under which two records are compared."""
    where = DuckDBLinkage(duckdb.connect())
    where.load("records", Records(items=[], distinct=records).table())
    rules = [rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql
             for rule in blocking_rules()]  # fmt: skip
    return [rule for rule in rules if where.rows(
        f"SELECT count(*) FROM records l JOIN records r ON l.unique_id < r.unique_id AND {rule}"
    )[1][0][0]]  # fmt: skip
