"""What the maintenance use cases return: frozen views, the same for `--json` and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TaskView:
    """A task as it stands: its schedule, who does it, when it is next due and overdue."""

    key: str
    name: str
    frequency: str
    zone: str
    kind: str
    owner: str
    standing: str  # ok, running, due, overdue, as needed
    next_due: datetime | None
    overdue_at: datetime | None
    grace_seconds: float
    last_success: datetime | None
    last_outcome: str | None
    next_run: datetime | None


@dataclass(frozen=True)
class RunView:
    """A run of a task: scheduled, missed, asked for, reported by a ping or done by a person."""

    id: int
    task: str
    state: str
    source: str
    actor: str
    due_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    exit_status: int | None
    detail: str


@dataclass(frozen=True)
class ScheduledView:
    """What one pass of the scheduler did: runs queued, due times recorded as missed."""

    queued: tuple[int, ...] = ()
    missed: tuple[int, ...] = ()


@dataclass(frozen=True)
class OverdueView:
    """What one overdue check did: the tasks whose alerts it raised and resolved."""

    raised: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """How a task's work ended: success, an exit status, and what it found."""

    ok: bool
    exit_status: int | None = None
    detail: str = ""
    dry_run: bool = False  # said what it would do, did nothing: no completion
