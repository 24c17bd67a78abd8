"""Cases: one per household (or per person with no household), holding all its items.

Ids stay put across re-runs: each new group of items takes the id of the old group that
most of its items were in (a bigger group choosing first), so a case keeps its history
when new items join it, and a merge or split is a change to a case, not a new case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


def carry_ids(
    groups: Sequence[Sequence[int]], old_id_of: Mapping[int, int | None], next_id: int
) -> list[int]:
    """An id for each group of item ids: the old id most of its items had, unless a group
    with more of them took it first; otherwise a new id counting up from `next_id`."""
    candidates = []
    for group, members in enumerate(groups):
        candidates += [(-count, group, old) for old, count in _old_ids(members, old_id_of)]
    candidates.sort()
    ids: list[int | None] = [None] * len(groups)
    taken: set[int] = set()
    for _, group, old in candidates:
        if ids[group] is None and old not in taken:
            ids[group] = old
            taken.add(old)
    assigned = []
    for given in ids:
        if given is None:
            given, next_id = next_id, next_id + 1
        assigned.append(given)
    return assigned


@dataclass
class CaseChanges:
    """How the cases of a re-run relate to the cases before it."""

    merged: dict[int, list[int]] = field(default_factory=dict)  # case -> cases merged into it
    split: dict[int, list[int]] = field(default_factory=dict)  # old case -> cases now holding it
    gone: dict[int, int] = field(default_factory=dict)  # old case -> the case that took its items


def case_changes(
    groups: Sequence[Sequence[int]], ids: Sequence[int], old_id_of: Mapping[int, int | None]
) -> CaseChanges:
    changes = CaseChanges()
    now_in: dict[int, Counter[int]] = {}
    for case_id, members in zip(ids, groups, strict=True):
        old_cases = dict(_old_ids(members, old_id_of))
        for old, count in old_cases.items():
            now_in.setdefault(old, Counter())[case_id] += count
        others = sorted(old for old in old_cases if old != case_id)
        if others:
            changes.merged[case_id] = others
    current = set(ids)
    for old, holders in now_in.items():
        if len(holders) > 1:
            changes.split[old] = sorted(holders)
        if old not in current:
            changes.gone[old] = holders.most_common(1)[0][0]
    return changes


def _old_ids(members: Sequence[int], old_id_of: Mapping[int, int | None]) -> list[tuple[int, int]]:
    """(old id, how many of `members` had it) for each old id they had. Most groups had
    none (a first run) or one, which need no counting."""
    olds = [old for item in members if (old := old_id_of.get(item)) is not None]
    if not olds:
        return []
    if olds.count(olds[0]) == len(olds):
        return [(olds[0], len(olds))]
    return list(Counter(olds).items())
