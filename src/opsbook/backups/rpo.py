"""The RPO watch's rule: how old is the newest backup a drill proved, against the RPO. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RpoReading:
    """The age of the newest proven backup, and whether it is within the runbook's RPO."""

    age_seconds: float | None  # None: no backup has passed a drill yet
    rpo_seconds: float | None  # None: the runbook states no RPO

    @property
    def over(self) -> bool:
        """Say whether the data-loss window is past the RPO (no proven backup counts)."""
        if self.rpo_seconds is None:
            return False
        return self.age_seconds is None or self.age_seconds > self.rpo_seconds


def read_rpo(
    newest_proven: datetime | None, rpo_seconds: float | None, now: datetime
) -> RpoReading:
    """Return the RPO reading at `now`."""
    age = None if newest_proven is None else max(0.0, (now - newest_proven).total_seconds())
    return RpoReading(age, rpo_seconds)
