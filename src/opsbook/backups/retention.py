"""Which backups retention removes. Pure: the time is given.

A backup is kept if it is one of the newest `last` good ones, or younger than `within`
(either rule keeps it, as restic's keep-* options do). Backups that failed or were
interrupted hold nothing worth keeping once a newer good one exists; the newest good
backup is never removed, whatever the policy says. (restic's good snapshots are kept or
forgotten by restic's own `forget --keep-*`; only `leftovers` applies to them.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from opsbook.backups.settings import Retention


@dataclass(frozen=True)
class Candidate:
    """A backup retention may look at: its id, when it started, whether it is good."""

    id: int
    started_at: datetime
    good: bool


def to_remove(backups: Sequence[Candidate], keep: Retention, now: datetime) -> list[int]:
    """Return the ids of the backups the policy removes, oldest first."""
    good = sorted((b for b in backups if b.good), key=lambda b: (b.started_at, b.id), reverse=True)
    if not good:
        return []
    newest = good[0]
    kept: set[int] = {newest.id}
    if keep.keeps_all:
        kept.update(b.id for b in good)
    if keep.last is not None:
        kept.update(b.id for b in good[: keep.last])
    if keep.within_seconds is not None:
        kept.update(
            b.id for b in good if (now - b.started_at).total_seconds() <= keep.within_seconds
        )
    gone = [b for b in good if b.id not in kept] + _bad_before(backups, newest)
    return [b.id for b in sorted(gone, key=lambda b: (b.started_at, b.id))]


def leftovers(backups: Sequence[Candidate]) -> list[int]:
    """Return the ids of the failed or interrupted backups older than the newest good one."""
    good = [b for b in backups if b.good]
    if not good:
        return []
    newest = max(good, key=lambda b: (b.started_at, b.id))
    bad = _bad_before(backups, newest)
    return [b.id for b in sorted(bad, key=lambda b: (b.started_at, b.id))]


def _bad_before(backups: Sequence[Candidate], newest: Candidate) -> list[Candidate]:
    return [b for b in backups if not b.good and b.started_at < newest.started_at]
