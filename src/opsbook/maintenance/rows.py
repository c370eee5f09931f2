"""Reading and writing the maintenance rows inside a use case's transaction; flushes only."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsbook.maintenance.status import position
from opsbook.maintenance.tables import TaskRunRow, TaskStateRow
from opsbook.maintenance.tasks import TaskSpec
from opsbook.maintenance.views import RunView, TaskView
from opsbook.store.timestamps import utc


def naive(moment: datetime) -> datetime:
    """Return the moment as naive UTC, the way the store writes times."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def aware(moment: datetime) -> datetime:
    """Return a stored time as aware UTC."""
    value = utc(moment)
    assert value is not None
    return value


def states(session: Session) -> dict[str, TaskStateRow]:
    """Return every task's stored state by key."""
    return {row.key: row for row in session.scalars(select(TaskStateRow))}


def task_view(spec: TaskSpec, row: TaskStateRow, now: datetime) -> TaskView:
    """Return a task as it stands at `now`."""
    where = position(
        spec,
        anchor=aware(row.anchor_at),
        last_success=utc(row.last_success_at),
        started=utc(row.started_at),
        now=now,
    )
    return TaskView(
        key=spec.key,
        name=spec.name,
        frequency=spec.frequency.text,
        zone=spec.frequency.zone,
        kind=str(spec.kind),
        owner=spec.owner,
        standing=str(where.standing),
        next_due=where.next_due,
        overdue_at=where.overdue_at,
        grace_seconds=spec.grace_seconds,
        last_success=utc(row.last_success_at),
        last_outcome=row.last_outcome,
        next_run=utc(row.next_run_at),
    )


def run_view(row: TaskRunRow) -> RunView:
    """Return a run as its view."""
    return RunView(
        id=row.id,
        task=row.task_key,
        state=row.state,
        source=row.source,
        actor=row.actor,
        due_at=utc(row.due_at),
        created_at=aware(row.created_at),
        started_at=utc(row.started_at),
        finished_at=utc(row.finished_at),
        exit_status=row.exit_status,
        detail=row.detail,
    )
