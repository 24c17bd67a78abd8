"""A plain Splink setup, as Splink's own documentation example deduplicates people.

The settings of the "deduplicate 50k synthetic" example (name, date of birth, postcode
and email comparisons with term frequencies; blocking on first name and date of birth,
and on surname), applied to kinfold's canonical columns with no cleaning beyond
lower case. It is the yardstick for kinfold's cleaning, blocking and household logic:
same data, same machine, same run.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

COLUMNS = ("first_name", "surname", "dob", "postcode", "email", "address")


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.EmailComparison("email"),
            cl.ExactMatch("address").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "dob"),
            block_on("surname"),
        ],
        retain_intermediate_calculation_columns=False,
    )


@dataclass
class PlainResult:
    cluster_of: dict[str, int]  # record id -> cluster
    seconds: float


def link(connection: duckdb.DuckDBPyConnection, table: str) -> PlainResult:
    """Deduplicate `table` (columns `unique_id` and COLUMNS) as the example does."""
    started = time.perf_counter()
    api = DuckDBAPI(connection=connection)
    linker = Linker(api.register(table), settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    found = clusters.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    seconds = time.perf_counter() - started
    return PlainResult({str(uid): hash(cluster) for uid, cluster in found}, seconds)


CANONICAL_SELECT = """
    SELECT CAST({id} AS VARCHAR) AS unique_id,
           nullif(lower(trim(first_name)), '') AS first_name,
           nullif(lower(trim(last_name)), '') AS surname,
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
