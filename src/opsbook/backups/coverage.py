"""The coverage ledger's rule: which files a restore drill restores. Pure.

Each drill restores the files checked longest ago (never-checked first), as many as the
plan's `files` or a `1/cover_within` share of the backup, whichever is more: so every file
of a backup set is restored within `cover_within` drills, and a sample never leaves a file
unchecked for months.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from opsbook.backups.settings import DrillPlan


def drill_size(total: int, plan: DrillPlan) -> int:
    """Return how many of `total` files one drill restores."""
    return min(total, max(plan.files, math.ceil(total / plan.cover_within)))


def pick(paths: Sequence[str], last_checked: Mapping[str, int], plan: DrillPlan) -> list[str]:
    """Return the paths this drill restores: least recently checked first, then by name.

    `last_checked` gives, for a path a drill restored and found equal, that drill's number."""
    order = sorted(paths, key=lambda p: (last_checked.get(p, -1), p))
    return sorted(order[: drill_size(len(paths), plan)])


@dataclass(frozen=True)
class Coverage:
    """How much of a backup set the last drills proved."""

    files: int  # in the newest good backup's manifest
    proven: int  # of those, restored and found equal within the last `window` drills
    never: int  # of those, never restored and found equal
    window: int

    @property
    def complete(self) -> bool:
        return self.proven == self.files


def coverage(
    paths: Sequence[str], last_checked: Mapping[str, int], drills_done: int, window: int
) -> Coverage:
    """Return how many of the paths a drill proved within the last `window` drills.

    Drills are numbered 1, 2, ... per backup set; `drills_done` is the newest number."""
    oldest = drills_done - window + 1
    proven = sum(1 for p in paths if p in last_checked and last_checked[p] >= oldest)
    never = sum(1 for p in paths if p not in last_checked)
    return Coverage(len(paths), proven, never, window)
