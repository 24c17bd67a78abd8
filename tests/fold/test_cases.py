"""Case ids stay put across re-runs; merges and splits are named."""

from __future__ import annotations

from kinfold.fold.cases import carry_ids, case_changes


def test_groups_keep_the_id_most_of_their_items_had() -> None:
    old = {1: 7, 2: 7, 3: 8, 4: None}
    assert carry_ids([[3], [1, 2], [4]], old, next_id=9) == [8, 7, 9]


def test_a_merge_keeps_the_bigger_old_case_and_names_the_other() -> None:
    old = {1: 7, 2: 7, 3: 8}
    ids = carry_ids([[1, 2, 3]], old, next_id=9)
    assert ids == [7]
    changes = case_changes([[1, 2, 3]], ids, old)
    assert changes.merged == {7: [8]}
    assert changes.gone == {8: 7}
    assert changes.split == {}


def test_a_split_keeps_the_id_on_the_bigger_part() -> None:
    old = {1: 7, 2: 7, 3: 7}
    ids = carry_ids([[3], [1, 2]], old, next_id=9)
    assert ids == [9, 7]
    assert case_changes([[3], [1, 2]], ids, old).split == {7: [7, 9]}
