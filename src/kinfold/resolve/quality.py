"""How good a linkage is against known truth: pairwise precision, recall and F1.

Every pair of items put together counts once: a pair together in both the result and the
truth is a true link; together only in the result, a false link; only in the truth, a
missed one. Big groups weigh more, as they do for the people a wrong merge affects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    groups: int
    true_groups: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def pairwise_scores(found: Mapping[K, Hashable], truth: Mapping[K, Hashable]) -> Scores:
    """Score the grouping `found` (item -> group) against `truth` (item -> true group),
    over the items both know."""
    keys = found.keys() & truth.keys()
    both = Counter((found[key], truth[key]) for key in keys)
    found_sizes = Counter(found[key] for key in keys)
    true_sizes = Counter(truth[key] for key in keys)
    together = sum(_pairs(n) for n in both.values())
    found_pairs = sum(_pairs(n) for n in found_sizes.values())
    true_pairs = sum(_pairs(n) for n in true_sizes.values())
    return Scores(
        precision=together / found_pairs if found_pairs else 1.0,
        recall=together / true_pairs if true_pairs else 1.0,
        groups=len(found_sizes),
        true_groups=len(true_sizes),
    )


def _pairs(size: int) -> int:
    return size * (size - 1) // 2
