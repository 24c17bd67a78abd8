"""A plain Splink setup: Splink's own documentation example for deduplicating people.

The settings, blocking rules and training of the "Linking a dataset of real historical
persons" example (`deduplicate_50k_synthetic`), applied to kinfold's canonical columns
with no cleaning beyond trimming and case: forename and surname together, date of birth,
postcode, and the example's two categorical exact matches standing in as the first
address line and the email (kinfold's items have no birth place or occupation). The
example's rule on date of birth and birth place is dropped for the same reason. It is the
yardstick for kinfold's cleaning, blocking and household logic: same data, same machine,
same run.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

BLOCKING_RULES: list[Any] = [
    block_on("substr(first_name,1,3)", "substr(surname,1,4)"),
    block_on("surname", "dob"),
    block_on("first_name", "dob"),
    block_on("postcode", "first_name"),
    block_on("postcode", "surname"),
    block_on("substr(postcode,1,3)", "dob"),
    block_on("substr(postcode,1,3)", "first_name"),
    block_on("substr(postcode,1,3)", "surname"),
    block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=BLOCKING_RULES,
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "surname", forename_surname_concat_col_name="full_name"
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("address").configure(term_frequency_adjustments=True),
            cl.ExactMatch("email").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )


@dataclass
class PlainResult:
    cluster_of: dict[str, int]  # record id -> cluster
    seconds: float


def link(connection: duckdb.DuckDBPyConnection, table: str) -> PlainResult:
    """Deduplicate `table` (columns `unique_id` and those of CANONICAL_SELECT) as the
    example does: prior, u from 10 million random pairs, two EM sessions, predict, and
    clusters at a match probability of 0.95."""
    started = time.perf_counter()
    api = DuckDBAPI(connection=connection)
    linker = Linker(api.register(table), settings())
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("first_name", "surname", "dob"),
            block_on("substr(first_name,1,2)", "surname", "substr(postcode,1,2)"),
            block_on("dob", "postcode"),
        ],
        recall=0.6,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
    for rule in (block_on("first_name", "surname"), block_on("dob")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    found = clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    seconds = time.perf_counter() - started
    return PlainResult({str(uid): hash(cluster) for uid, cluster in found}, seconds)


CANONICAL_SELECT = """
    SELECT CAST({id} AS VARCHAR) AS unique_id,
           nullif(lower(trim(first_name)), '') AS first_name,
           nullif(lower(trim(last_name)), '') AS surname,
           nullif(lower(trim(first_name)), '') || ' ' || nullif(lower(trim(last_name)), '')
               AS full_name,
           nullif(trim(date_of_birth), '') AS dob,
           nullif(upper(trim(postcode)), '') AS postcode,
           nullif(lower(trim(email)), '') AS email,
           nullif(lower(trim(address_line_1)), '') AS address
    FROM {source}
"""


def link_file(path: str) -> float:
    """Seconds to deduplicate a canonical CSV, from its rows loaded in DuckDB."""
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE raw AS SELECT row_number() OVER () AS id, * "
        "FROM read_csv(?, header = true, all_varchar = true)",
        [path],
    )
    connection.execute("CREATE TABLE plain AS " + CANONICAL_SELECT.format(id="id", source="raw"))
    seconds = link(connection, "plain").seconds
    connection.close()
    return seconds


if __name__ == "__main__":
    print(f"plain Splink {link_file(sys.argv[1]):.1f} s")
