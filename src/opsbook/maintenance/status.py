"""When a task is next due and whether it is overdue, healthchecks.io's way. Pure.

A task is next due at the first due time after it last succeeded (after its anchor, the
time opsbook first saw it or the table's Last Completed, if it never has). From then, the
grace period runs; past it the task is overdue. So a success (a run, a person's "done", a
ping from cron elsewhere) always clears it, and nothing but a success does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from opsbook.maintenance.frequency import next_due
from opsbook.maintenance.tasks import TaskSpec


class Standing(StrEnum):
    """Where a task stands now."""

    OK = "ok"
    RUNNING = "running"
    DUE = "due"
    OVERDUE = "overdue"
    AS_NEEDED = "as needed"


@dataclass(frozen=True)
class Position:
    """A task's standing, its next due time and when that becomes overdue."""

    standing: Standing
    next_due: datetime | None
    overdue_at: datetime | None


def position(
    spec: TaskSpec,
    *,
    anchor: datetime,
    last_success: datetime | None,
    started: datetime | None,
    now: datetime,
) -> Position:
    """Say where the task stands at `now`."""
    due = next_due(spec.frequency, last_success or anchor)
    if due is None:
        return Position(Standing.AS_NEEDED, None, None)
    late = due + timedelta(seconds=spec.grace_seconds)
    if now >= late:
        standing = Standing.OVERDUE
    elif started is not None and (last_success is None or started > last_success):
        standing = Standing.RUNNING
    elif now >= due:
        standing = Standing.DUE
    else:
        standing = Standing.OK
    return Position(standing, due, late)
