from __future__ import annotations

import pytest

from kinfold.resolve.quality import pairwise_scores


def test_a_perfect_grouping_scores_one() -> None:
    truth = {1: "a", 2: "a", 3: "b"}
    scores = pairwise_scores({1: 10, 2: 10, 3: 11}, truth)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)


def test_a_wrong_merge_costs_precision_and_a_split_costs_recall() -> None:
    truth = {1: "a", 2: "a", 3: "a", 4: "b"}
    merged = pairwise_scores({1: 0, 2: 0, 3: 0, 4: 0}, truth)
    assert merged.precision == pytest.approx(3 / 6)
    assert merged.recall == 1.0
    split = pairwise_scores({1: 0, 2: 0, 3: 1, 4: 2}, truth)
    assert split.precision == 1.0
    assert split.recall == pytest.approx(1 / 3)
    assert split.f1 == pytest.approx(0.5)
