"""People: which records describe the same individual, with Splink (on DuckDB, or Spark).

Two questions are kept apart. *Is this the same person?* is answered from names, date
of birth, and the person's own identifiers (NI number, email, phone), with the home
counted once. *Do these people live together?* is the household question
(`households.py`), so a family sharing an address, a surname and similar ages is not
scored as one person twice over.

The model is trained on the workspace's own records (no labels are needed): u from
random pairs, m by expectation maximisation on a sample, and from reviewers' answers once
there are enough. Pairs scoring above the threshold are then joined strongest first. The
identity rules (two dates of birth that cannot be typos of each other, two NI numbers,
two different first names make two people) refuse a join only where the records bear
them out (`rules_that_hold`): the twin and the child named after a parent stay
themselves in a council's backlog of families, and in a file whose fields were
replaced the rules are evidence only. A source's own number for the person
(`person_ref`) is trusted within that source: the same number links with certainty,
and a number typed with a slip outweighs those rules.
"""

from __future__ import annotations

import copy
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.exceptions import SplinkException

from kinfold.resolve.cleaning import as_scanned, nicknames
from kinfold.resolve.linkage import DuckDBLinkage, Linkage
from kinfold.resolve.records import Record

SAMPLE_FOR_TRAINING = 40_000
RANDOM_PAIRS_FOR_U = 500_000
SEED = 42
MILLION = 1_000_000
NEAR_BIRTH_DAYS = 31
DAYS_APART = "date_diff('day', try_cast(dob_l AS date), try_cast(dob_r AS date))"
DAY_AND_MONTH_SWAPPED = (
    "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) and substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
    "and substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
)
DAYS_OR_A_YEAR_OUT = (
    f"abs({DAYS_APART}) <= {NEAR_BIRTH_DAYS} or abs(abs({DAYS_APART}) - 365) <= {NEAR_BIRTH_DAYS}"
)
MAX_PRIOR = 0.1
MIN_LABELS = 10  # reviewers' answers before they teach the model
EXACT_REFERENCE = "same number in one source"

# Splink logs each training step at INFO; kinfold shows its own progress instead.
for name in ("splink", "splink.internals"):
    logging.getLogger(name).setLevel(logging.ERROR)


def comparisons(jaro_winkler: str = DuckDBLinkage.jaro_winkler) -> list[Any]:
    """The evidence weighed, in SQL that DuckDB and Spark both run, the Jaro-Winkler
    function's name aside."""
    # Names written the wrong way round are weighed once, by the `swap` comparison.
    names_swapped = (
        f"{jaro_winkler}(first_l, last_r) >= 0.88 "
        f"and {jaro_winkler}(last_l, first_r) >= 0.88 and first_l <> last_l"
    )
    swapped_names = cll.CustomLevel(names_swapped, "names swapped").configure(is_null_level=True)
    first = cl.CustomComparison(
        output_column_name="first",
        comparison_levels=[
            cll.NullLevel("first"),
            swapped_names,
            cll.ExactMatchLevel("first").configure(tf_adjustment_column="first"),
            cll.CustomLevel("first_formal_l = first_formal_r", "same formal name"),
            cll.CustomLevel("first_whole_l = first_whole_r", "same, written with a space"),
            cll.CustomLevel("damerau_levenshtein(first_l, first_r) <= 1", "one typo"),
            cll.CustomLevel(
                "(length(first_l) = 1 or length(first_r) = 1) "
                "and substr(first_l, 1, 1) = substr(first_r, 1, 1)",
                "initial",
            ),
            cll.JaroWinklerLevel("first", 0.88),
            cll.ElseLevel(),
        ],
    )
    last = cl.CustomComparison(
        output_column_name="last",
        comparison_levels=[
            cll.NullLevel("last"),
            swapped_names,
            cll.ExactMatchLevel("last").configure(tf_adjustment_column="last"),
            cll.CustomLevel("damerau_levenshtein(last_l, last_r) <= 1", "one typo"),
            cll.JaroWinklerLevel("last", 0.88),
            cll.ElseLevel(),
        ],
    )
    swapped = cl.CustomComparison(
        output_column_name="swap",
        comparison_levels=[
            cll.CustomLevel(
                "first_l is null or last_l is null or first_r is null or last_r is null",
                "a name missing",
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "first_l = last_r and last_l = first_r and first_l <> last_l",
                "first and last names swapped",
            ),
            cll.CustomLevel(names_swapped, "names swapped, with a slip"),
            cll.CustomLevel("first_l = last_r or last_l = first_r", "one name in the other place"),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel("damerau_levenshtein(dob_l, dob_r) <= 1", "one typo"),
            cll.CustomLevel(DAY_AND_MONTH_SWAPPED, "day and month swapped"),
            cll.CustomLevel(
                DAYS_OR_A_YEAR_OUT, "a few days or a year out", base_dialect_str="duckdb"
            ),
            cll.ElseLevel(),
        ],
    )
    home = cl.CustomComparison(
        output_column_name="home",
        comparison_levels=[
            cll.CustomLevel("building_l is null or building_r is null", "no address").configure(
                is_null_level=True
            ),
            cll.CustomLevel("uprn_l = uprn_r", "same UPRN"),
            cll.ExactMatchLevel("home"),
            cll.CustomLevel("building_l = building_r", "same building"),
            cll.CustomLevel(
                "split_part(building_l, '|', 1) = split_part(building_r, '|', 1) "
                f"and {jaro_winkler}(street_l, street_r) >= 0.9",
                "same number, street mistyped",
            ),
            cll.CustomLevel("postcode_l = postcode_r", "same postcode"),
            cll.ElseLevel(),
        ],
    )
    # "<number>|<source>": a source's own number for a person says nothing in another source
    ref = cl.CustomComparison(
        output_column_name="ref",
        comparison_levels=[
            cll.CustomLevel(
                "ref_l is null or ref_r is null "
                "or substr(ref_l, instr(ref_l, '|')) <> substr(ref_r, instr(ref_r, '|'))",
                "no reference from one source",
            ).configure(is_null_level=True),
            cll.CustomLevel("ref_l = ref_r", EXACT_REFERENCE),
            cll.CustomLevel(
                "damerau_levenshtein(split_part(ref_l, '|', 1), split_part(ref_r, '|', 1)) <= 1",
                "one typo",
            ),
            cll.ElseLevel(),
        ],
    )
    place, town = (
        cl.CustomComparison(
            output_column_name=name,
            comparison_levels=[
                cll.NullLevel(name),
                cll.ExactMatchLevel(name).configure(tf_adjustment_column=name),
                cll.CustomLevel(f"{jaro_winkler}({name}_l, {name}_r) >= 0.9", "similar"),
                cll.ElseLevel(),
            ],
        )
        for name in ("place", "town")
    )
    return [
        first,
        last,
        swapped,
        dob,
        home,
        place,
        town,
        ref,
        cl.ExactMatch("ni"),
        cl.ExactMatch("email"),
        cl.ExactMatch("phone"),
    ]


def blocking_rules() -> list[Any]:
    return [
        block_on("last", "dob"),
        block_on("first_formal", "dob"),
        block_on("names"),  # first name and surname, where few share them (records.py)
        block_on("first_formal", "last", "substr(dob, 1, 4)"),
        block_on("first_formal", "last", "substr(dob, 6, 5)"),
        block_on("ni"),
        block_on("ref"),
        block_on("email"),
        block_on("phone"),
        block_on("building", "first_formal"),
        block_on("building", "last"),
        block_on("building", "dob"),
        block_on("building", "substr(dob, 1, 4)"),
        block_on("dob", "postcode"),
        block_on("dob", "street"),
        block_on("first_formal", "postcode"),
        block_on("last", "postcode"),
        "l.dob = r.dob and split_part(l.building, '|', 1) = split_part(r.building, '|', 1)",
        "l.first = r.last and l.last = r.first",  # names swapped
        # one name in the other place, the other mistyped, with the same date of birth,
        # postcode or home: each way round, as joins on equal values (a join on `or`
        # would compare every pair)
        "l.first = r.last and l.dob = r.dob",
        "l.last = r.first and l.dob = r.dob",
        "l.first = r.last and l.postcode = r.postcode",
        "l.last = r.first and l.postcode = r.postcode",
        "l.first = r.last and l.building = r.building",
        "l.last = r.first and l.building = r.building",
        block_on("place", "first_formal", "substr(dob, 1, 4)"),
        block_on("place", "last", "substr(dob, 1, 4)"),
        block_on("street_first"),
        block_on("street_last"),
        block_on("few_at_building"),
        block_on("few_at_place"),
    ]


def settings(where: Linkage) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(where.jaro_winkler),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )


@dataclass(slots=True)
class Link:
    """Two records scored as the same person, with the evidence for it."""

    left: int
    right: int
    probability: float
    weight: float
    # per comparison, its match weight then its term-frequency adjustment, flat:
    # (weight 1, adjustment 1, weight 2, adjustment 2, ...); see `explain`
    weights: tuple[float | None, ...] = ()
    # a link made by a rule rather than scored: (the comparison, the level it reached)
    rule: tuple[str, str] | None = None


@dataclass
class PeopleModel:
    """A trained model (Splink's JSON) and the linker scoring one set of records."""

    model: dict[str, Any]
    where: Linkage = field(repr=False)
    linker: Linker = field(repr=False)
    rules: frozenset[str] = frozenset()  # the identity rules that hold (`rules_that_hold`)


def train(
    records: pa.Table, where: Linkage | None = None, labels: Sequence[tuple[int, int]] = ()
) -> PeopleModel:
    """Train on the records themselves (no labels are needed), then score them with
    Splink on `where` (default: DuckDB, here). Pairs of records a reviewer said are one
    person (`labels`) teach m as well, once there are MIN_LABELS of them: Splink takes
    the median of what each step learned, so they have their say beside EM's.

    Training always runs on DuckDB in this process: it reads a sample of at most
    SAMPLE_FOR_TRAINING records, one machine's work however large the backlog, and
    its many small steps would each be a job on Spark. So every engine scores with the
    same model and finds the same people, up to floating point (docs/spark.md); only
    scoring every blocked pair, which grows with the backlog, runs where `where` says."""
    local = DuckDBLinkage()
    local.load("records", records)
    size = records.num_rows
    labels = sorted({(min(pair), max(pair)) for pair in labels if pair[0] != pair[1]})
    labelled = len(labels) >= MIN_LABELS
    if labelled:
        local.load("labels", pa.table({
            "source_dataset_l": ["training"] * len(labels),
            "unique_id_l": [left for left, _ in labels],
            "source_dataset_r": ["training"] * len(labels),
            "unique_id_r": [right for _, right in labels],
        }))  # fmt: skip
    sampled = size > SAMPLE_FOR_TRAINING
    if sampled:
        local.sample("sampled", "records", SAMPLE_FOR_TRAINING, SEED)
        also = (" UNION SELECT r.* FROM records r JOIN labels l ON r.unique_id IN "
                "(l.unique_id_l, l.unique_id_r)" if labelled else "")  # fmt: skip
        local.make("training", f"SELECT * FROM sampled{also}")
        local.make("blocks", f"SELECT * FROM records WHERE {whole_blocks(size)}{also}")
    else:
        local.make("training", "SELECT * FROM records")
    trainer = Linker(local.api.register("training"), settings(local))
    # Each step learns what the data can teach; a small or sparse backlog (no dates of
    # birth, say) cannot teach every step, and then the model's starting values stand.
    _try(
        trainer.training.estimate_probability_two_random_records_match,
        [block_on("first", "last", "dob"), block_on("ni"), block_on("email")],
        recall=0.8,
    )
    # in one go: levels such as "same email" never reach the count that would stop early,
    # and chunks would each be a query over the same sample
    _try(
        trainer.training.estimate_u_using_random_sampling,
        RANDOM_PAIRS_FOR_U,
        seed=SEED,
        num_chunks=1,
    )
    # EM goes on from the prior and u learned so far: on whole blocks of a large
    # backlog (see whole_blocks), on every record of a small one
    model = with_rare_agreements(trainer.misc.save_model_to_json(), local)
    trainer = Linker(local.api.register("blocks" if sampled else "training"), model)
    # m from pairs that share a date of birth, and pairs that share their names. Not from
    # pairs that share a home: those are mostly a family, whose agreeing surname, home
    # and phone would teach the model that relatives are one person.
    for rule in EM_BLOCKS:
        _try(
            trainer.training.estimate_parameters_using_expectation_maximisation,
            rule,
            fix_u_probabilities=True,
        )
    if labelled:
        _try(trainer.training.estimate_m_from_pairwise_labels, "labels")
    model = trainer.misc.save_model_to_json()
    # The prior estimated on a random sample is the whole table's: a pair of records is as
    # likely to match in both (matching pairs and all pairs both shrink with the square of
    # the share sampled). A tiny backlog can estimate it as certain, which no pair of
    # strangers is.
    prior = model["probability_two_random_records_match"]
    model["probability_two_random_records_match"] = min(max(prior, 1e-9), MAX_PRIOR)
    rules = rules_that_hold(model, relatives_share(local, "training"))
    if where is None:
        return scorer(model, local, rules=rules)
    local.close()
    return scorer(model, where, records, rules)


EM_BLOCKS = (block_on("dob"), block_on("last", "first_formal"))
EQUAL = re.compile(r'^"?(\w+)_l"? = "?(\w+)_r"?$')


def with_rare_agreements(model: dict[str, Any], where: DuckDBLinkage) -> dict[str, Any]:
    """The model with u (how often two strangers' records agree) for each level that
    says two values are equal and that random pairs of records never reached: a shared
    home, email or NI number in a large backlog. Left out, Splink would weigh such a
    level by a default worth a few bits, and the same home would say little in a big
    backlog. It is the chance that two of all the records agree, from how often each
    value is given."""
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level") or isinstance(level.get("u_probability"), float):
                continue
            match = EQUAL.match(level["sql_condition"])
            if match is None or match.group(1) != match.group(2):
                continue
            column = match.group(1)
            _, ((agreeing,),) = where.rows(
                f"SELECT sum(n * (n - 1)) / greatest(sum(n) * (sum(n) - 1), 1) FROM (SELECT "
                f"count(*) AS n FROM records WHERE {column} IS NOT NULL GROUP BY {column})"
            )
            if agreeing:
                level["u_probability"] = float(agreeing)
    return model


def whole_blocks(size: int) -> str:
    """Which records EM learns m from, in a backlog of `size` records too large to learn
    from whole: every record of a random share of its blocks (dates of birth, and
    surnames with first names), about SAMPLE_FOR_TRAINING in all. A random share of
    records would keep a share of a share of the pairs that match (both records must be
    drawn): few at a million records, and a different few each time."""
    cut = round(MILLION * SAMPLE_FOR_TRAINING / size / 2)
    names = "last || '|' || first_formal"
    return (f"(dob IS NOT NULL AND hash(dob) % {MILLION} < {cut}) OR "
            f"({names} IS NOT NULL AND hash({names}) % {MILLION} < {cut})")  # fmt: skip


def scorer(
    model: dict[str, Any],
    where: Linkage,
    records: pa.Table | None = None,
    rules: frozenset[str] = frozenset(),
) -> PeopleModel:
    """A trained model ready to score the `records` table of `where` (loaded from
    `records` when given)."""
    if records is not None:
        where.load("records", records)
    linker = Linker(where.api.register("records"), written_for(model, where))
    return PeopleModel(model=model, where=where, linker=linker, rules=rules)


def written_for(model: dict[str, Any], where: Linkage) -> dict[str, Any]:
    """The trained `model` (DuckDB's SQL) with its comparisons' and blocking rules' SQL
    written for `where`'s engine: the same levels in the same order, each keeping its
    trained probabilities."""
    if isinstance(where, DuckDBLinkage):
        return model
    written = settings(where).create_settings_dict(where.api.sql_dialect.sql_dialect_str)
    moved = copy.deepcopy(model)
    for comparison, target in zip(moved["comparisons"], written["comparisons"], strict=True):
        levels = zip(comparison["comparison_levels"], target["comparison_levels"], strict=True)
        for level, target_level in levels:
            level["sql_condition"] = target_level["sql_condition"]
    rules = "blocking_rules_to_generate_predictions"
    moved[rules] = written[rules]
    return moved


def _try(step: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    try:
        step(*args, **kwargs)
    except (SplinkException, ValueError):  # ValueError: a probability of 1 from tiny data
        return


def score(model: PeopleModel, threshold: float) -> list[Link]:
    """Every blocked pair at or above `threshold`, strongest first, after the records a
    source gave the same number for its person (`reference_links`)."""
    given = reference_links(model)
    pairs = {(link.left, link.right) for link in given}
    predictions = model.linker.inference.predict(threshold_match_probability=threshold)
    scored = links_from(model.where, predictions.physical_name, model.model)
    return given + [link for link in scored if (link.left, link.right) not in pairs]


def reference_links(model: PeopleModel) -> list[Link]:
    """Records one source gave the same number for its person: that source's system says
    they are one person, so they are linked with certainty (a reviewer can still split
    them). Each is linked to the group's first record; the evidence is the number alone."""
    weight = level_weights(model.model)["ref"].weight(EXACT_REFERENCE)
    _, rows = model.where.rows(
        "SELECT first_id, unique_id FROM (SELECT unique_id, "
        "min(unique_id) OVER (PARTITION BY ref) AS first_id FROM records "
        "WHERE ref IS NOT NULL) WHERE unique_id <> first_id ORDER BY first_id, unique_id"
    )
    return [Link(left, right, 1.0, weight, rule=("ref", EXACT_REFERENCE)) for left, right in rows]


def links_from(where: Linkage, table: str, model: dict[str, Any]) -> list[Link]:
    """The scored pairs of Splink's predictions `table`, strongest first."""
    names = [comparison["output_column_name"] for comparison in model["comparisons"]]
    present = set(where.rows(f"SELECT * FROM {table} LIMIT 0")[0])
    parts = [
        f"{'mw_' + name if 'mw_' + name in present else 'NULL'}, "
        f"{'mw_tf_adj_' + name if 'mw_tf_adj_' + name in present else 'NULL'}"
        for name in names
    ]
    _, rows = where.rows(
        "SELECT unique_id_l, unique_id_r, match_probability, match_weight, "
        f"{', '.join(parts)} FROM {table} "
        "ORDER BY match_probability DESC, unique_id_l, unique_id_r"
    )
    return [Link(row[0], row[1], row[2], row[3], row[4:]) for row in rows]


def explain(link: Link, levels: dict[str, Levels]) -> dict[str, dict[str, Any]]:
    """comparison -> the level it reached and its weight (term frequencies included), given
    the model's `level_weights`; a comparison with a value missing says nothing."""
    if link.rule is not None:
        comparison, level = link.rule
        return {comparison: {"level": level, "weight": round(link.weight, 2)}}
    evidence = {}
    weights = link.weights
    for index, (comparison, known) in enumerate(levels.items()):
        weight = weights[2 * index]
        if weight is None:
            continue
        label = known.label(weight)
        if label is not None:
            adjustment = weights[2 * index + 1] or 0
            evidence[comparison] = {"level": label, "weight": round(weight + adjustment, 2)}
    return evidence


class Levels:
    """One comparison's levels as trained: (label, match weight), None labelling the null
    level. A pair's weight names its level: the one whose trained weight is nearest."""

    def __init__(self, known: list[tuple[str | None, float]]) -> None:
        self.known = known
        self.labels: dict[float, str | None] = {}  # a weight seen -> its level

    def label(self, weight: float) -> str | None:
        if weight not in self.labels:
            nearest = min(self.known, key=lambda level: abs(level[1] - weight))
            self.labels[weight] = nearest[0]
        return self.labels[weight]

    def weight(self, label: str) -> float:
        return dict(self.known)[label]


def level_weights(model: dict[str, Any]) -> dict[str, Levels]:
    """comparison -> its levels and their match weights, as trained."""
    weights: dict[str, Levels] = {}
    for comparison in model["comparisons"]:
        known: list[tuple[str | None, float]] = []
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                known.append((None, 0.0))
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else 0.0
            known.append((level["label_for_charts"], weight))
        weights[comparison["output_column_name"]] = Levels(known)
    return weights


# --- joining pairs into people -------------------------------------------------------

# comparison -> how many of its last levels break its identity rule: two first names
# neither equal, a nickname, one slip apart nor an initial ("similar" and "all other"),
# two dates of birth not one typed with a slip, two NI numbers
RULES = {"first": 2, "dob": 1, "ni": 1}
BIRTH_DATES_AGREE = (  # the levels of the `dob` comparison before "all other"
    f"dob_l = dob_r or damerau_levenshtein(dob_l, dob_r) <= 1 or ({DAY_AND_MONTH_SWAPPED}) "
    f"or {DAYS_OR_A_YEAR_OUT}"
)
FIRST_NAMES_AGREE = (
    "first_l = first_r or first_formal_l = first_formal_r "
    "or damerau_levenshtein(first_l, first_r) <= 1"
)


def relatives_share(where: DuckDBLinkage, table: str) -> float:
    """Of the pairs of records at one home with one surname (and a first name and date
    of birth each), the share that are plainly two people: first names and dates of
    birth both differ beyond a slip. A backlog of families has many (parents and
    children, brothers and sisters); a file of one record set per person, few."""
    _, rows = where.rows(
        f"SELECT count(*), count(*) FILTER (WHERE NOT ({FIRST_NAMES_AGREE}) "
        f"AND NOT ({BIRTH_DATES_AGREE})) FROM (SELECT l.first AS first_l, r.first AS first_r, "
        "l.first_formal AS first_formal_l, r.first_formal AS first_formal_r, "
        f"l.dob AS dob_l, r.dob AS dob_r FROM {table} l JOIN {table} r "
        "ON l.home = r.home AND l.last = r.last AND l.unique_id < r.unique_id "
        "WHERE length(l.first) > 1 AND length(r.first) > 1 "
        "AND l.dob IS NOT NULL AND r.dob IS NOT NULL)"
    )
    pairs, plainly_two = rows[0]
    return plainly_two / pairs if pairs else 0.0


def rules_that_hold(model: dict[str, Any], relatives: float) -> frozenset[str]:
    """Which identity rules this backlog's records bear out: two first names that are
    neither equal, a nickname nor one slip apart (`first`), two dates of birth that are
    not one typed with a slip (`dob`), or two NI numbers (`ni`), are two people.

    A rule holds when one person's own records break it less often than relatives at
    one home do (`relatives_share`). How often one person's records break it is the m
    its breaking levels learned from these records. So in a council's backlog, where a
    clerk's slips rarely reach that far and families share homes, the rules keep twins
    and a child named after a parent apart; in a file whose names or dates were
    replaced, with no families in it, they are evidence only, weighed with the rest,
    and never refuse a join."""
    held = set()
    for comparison in model["comparisons"]:
        breaking = RULES.get(comparison["output_column_name"])
        if breaking is None:
            continue
        shares = [
            level.get("m_probability") for level in comparison["comparison_levels"][-breaking:]
        ]
        if all(share is not None for share in shares) and sum(shares) < relatives:
            held.add(comparison["output_column_name"])
    return frozenset(held)


class People:
    """Union-find over records that refuses joins that would make an impossible person,
    by the identity rules that hold (`rules_that_hold`)."""

    def __init__(self, records: Sequence[Record], rules: frozenset[str] = frozenset()) -> None:
        self.parent = list(range(len(records)))
        self.rules = rules
        self.dobs: list[set[str]] = [{r.dob} if r.dob else set() for r in records]
        self.nis: list[set[str]] = [{r.ni} if r.ni else set() for r in records]
        self.firsts: list[set[str]] = [{r.first} if r.first else set() for r in records]
        self.lasts: list[set[str]] = [{r.last} if r.last else set() for r in records]
        self.refs: list[set[str]] = [{r.ref} if r.ref else set() for r in records]
        self.apart: dict[int, set[int]] = {}

    def find(self, record: int) -> int:
        parent = self.parent
        root = record
        while parent[root] != root:
            root = parent[root]
        while parent[record] != root:
            parent[record], record = root, parent[record]
        return root

    def keep_apart(self, left: int, right: int) -> None:
        """A reviewer said these two are different people."""
        self.apart.setdefault(left, set()).add(right)
        self.apart.setdefault(right, set()).add(left)

    def join(self, left: int, right: int, force: bool = False) -> bool:
        a, b = self.find(left), self.find(right)
        if a == b:
            return True
        if not force and not self.compatible(a, b):
            return False
        if len(self.dobs[a]) + len(self.firsts[a]) < len(self.dobs[b]) + len(self.firsts[b]):
            a, b = b, a
        self.parent[b] = a
        for sets in (self.dobs, self.nis, self.firsts, self.lasts, self.refs):
            sets[a] |= sets[b]
            sets[b] = set()
        return True

    def compatible(self, a: int, b: int) -> bool:
        """Could the two be one person, by the rules that hold? Each side's values
        include its typos, so one pair of values that could be the same is enough. A
        source that gives both the same number for the person (or that number with a
        slip) says they are one, whatever else was mistyped."""
        if self._kept_apart(a, b):
            return False
        if any(same_reference(x, y) for x in self.refs[a] for y in self.refs[b]):
            return True
        rules = self.rules
        if "ni" in rules and self.nis[a] and self.nis[b] and not self.nis[a] & self.nis[b]:
            return False
        dobs_a, dobs_b = self.dobs[a], self.dobs[b]
        if (
            "dob" in rules
            and dobs_a
            and dobs_b
            and not any(same_birth_date(x, y) for x in dobs_a for y in dobs_b)
        ):
            return False
        firsts_a, firsts_b = self.firsts[a], self.firsts[b]
        return not (
            "first" in rules
            and firsts_a
            and firsts_b
            and not any(same_first_name(x, y) for x in firsts_a for y in firsts_b)
            and not (firsts_a & self.lasts[b] or firsts_b & self.lasts[a])
        )

    def _kept_apart(self, a: int, b: int) -> bool:
        if not self.apart:
            return False
        for record, others in self.apart.items():
            root = self.find(record)
            if root in (a, b) and any(
                self.find(other) == (b if root == a else a) for other in others
            ):
                return True
        return False

    def clusters(self) -> list[int]:
        """The root record of each record's person."""
        return [self.find(record) for record in range(len(self.parent))]


def cluster(
    records: Sequence[Record],
    links: Iterable[Link],
    threshold: float,
    rules: frozenset[str] = frozenset(),
    same: Iterable[tuple[int, int]] = (),
    different: Iterable[tuple[int, int]] = (),
    on_join: Callable[[Link], None] | None = None,
) -> list[int]:
    """Each record's person (as a root record index): reviewers' decisions first, then
    links strongest first, skipping joins that would make an impossible person by the
    `rules` that hold."""
    people = People(records, rules)
    for left, right in different:
        people.keep_apart(left, right)
    for left, right in same:
        people.join(left, right, force=True)
    for link in links:
        if link.probability < threshold:
            break
        if (
            people.find(link.left) != people.find(link.right)
            and people.join(link.left, link.right)
            and on_join is not None
        ):
            on_join(link)
    return people.clusters()


def same_birth_date(x: str, y: str) -> bool:
    """Could these be one date of birth, one of them typed with a slip: a digit, two
    digits swapped, day and month swapped, or a few days or a year out?"""
    if within_one_edit(x, y):  # a digit mistyped, or two neighbours swapped
        return True
    if x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7]:
        return True
    apart = abs((date.fromisoformat(x) - date.fromisoformat(y)).days)
    return apart <= NEAR_BIRTH_DAYS or abs(apart - 365) <= NEAR_BIRTH_DAYS


def same_reference(x: str, y: str) -> bool:
    """Could these be one source's number for one person, one of them typed with a slip?
    Numbers one apart are not: people registered together (twins, say) get those."""
    x_number, _, x_source = x.partition("|")
    y_number, _, y_source = y.partition("|")
    if x_source != y_source or not within_one_edit(x_number, y_number):
        return False
    consecutive = (
        x_number.isdigit() and y_number.isdigit() and abs(int(x_number) - int(y_number)) == 1
    )
    return not consecutive


def same_first_name(x: str, y: str) -> bool:
    """Could these be one person's first name: equal, a nickname or another spelling,
    an initial and a name it begins, one slip apart, or one slip apart once letters a
    scanner confuses are read alike ("Daire" for "Claire", "Llndsey" for "Lindsey")?"""
    if x == y or within_one_edit(x, y):
        return True
    if len(x) == 1 or len(y) == 1:
        return x[0] == y[0]
    if within_one_edit(as_scanned(x), as_scanned(y)):
        return True
    table = nicknames()
    return bool(set(table.get(x, (x,))) & set(table.get(y, (y,))))


def within_one_edit(x: str, y: str) -> bool:
    """One letter changed, dropped, added, or two neighbours swapped."""
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        differ = [i for i, (a, b) in enumerate(zip(x, y, strict=True)) if a != b]
        if len(differ) <= 1:
            return True
        return (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and x[differ[0]] == y[differ[1]]
            and x[differ[1]] == y[differ[0]]
        )
    shorter, longer = (x, y) if len(x) < len(y) else (y, x)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
