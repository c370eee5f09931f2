"""The stored state of tasks and their runs, read and written inside a use case's transaction.

`finish_run` is the one exception that opens its own transaction: every way a run ends
(performed, done by a person, pinged) records it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opsbook.errors import NotFound
from opsbook.maintenance.frequency import next_due
from opsbook.maintenance.rows import naive, run_view, states
from opsbook.maintenance.run_states import RUNS, RunEvent, RunState
from opsbook.maintenance.tables import TaskRunRow, TaskStateRow
from opsbook.maintenance.tasks import TaskSpec
from opsbook.maintenance.views import Outcome, RunView
from opsbook.store.timestamps import utc
from opsbook.transitions import apply

if TYPE_CHECKING:
    from opsbook.store.database import Database


def finish_run(
    db: Database, run_id: int, spec: TaskSpec, outcome: Outcome, now: datetime
) -> RunView:
    event = RunEvent.SUCCEED if outcome.ok else RunEvent.FAIL
    with db.transaction() as session:
        row = run_row(session, run_id)
        row.state = apply(RUNS, RunState(row.state), event).value
        row.finished_at = naive(now)
        row.started_at = row.started_at or naive(now)
        row.exit_status = outcome.exit_status
        row.detail = "; ".join(p for p in (row.detail, outcome.detail) if p)[:10_000]
        state = sync_states(session, [spec], now)[spec.key]
        state.last_outcome = row.state
        state.started_at = None
        if outcome.ok and not outcome.dry_run:
            state.last_success_at = naive(now)
        state.updated_at = naive(now)
        session.flush()
        return run_view(row)


def run_row(session: Session, run_id: int) -> TaskRunRow:
    row = session.get(TaskRunRow, run_id)
    if row is None:
        raise NotFound(f"no maintenance run {run_id}")
    return row


def add_run(
    session: Session,
    key: str,
    state: RunState,
    source: str,
    now: datetime,
    due: datetime | None,
    detail: str,
    actor: str = "opsbook",
) -> int:
    row = TaskRunRow(
        task_key=key,
        due_at=naive(due) if due else None,
        state=state.value,
        source=source,
        actor=actor[:200],
        created_at=naive(now),
        detail=detail,
    )
    session.add(row)
    session.flush()
    return row.id


def _signature(spec: TaskSpec) -> str:
    return f"{spec.frequency.text} [{spec.frequency.zone}] {spec.kind}"[:300]


def sync_states(
    session: Session, specs: Sequence[TaskSpec], now: datetime
) -> dict[str, TaskStateRow]:
    """Return the tasks' states, adding those first seen and following changed schedules."""
    rows = states(session)
    for spec in specs:
        row = rows.get(spec.key)
        if row is None:
            anchor = spec.last_completed or now
            # Runs from the next due time on: the ones before opsbook knew the task were not
            # missed by it (a late task shows as overdue until it is done).
            first = next_due(spec.frequency, now) if spec.runs_itself else None
            row = TaskStateRow(
                key=spec.key,
                name=spec.name[:300],
                frequency=_signature(spec),
                next_run_at=naive(first) if first else None,
                anchor_at=naive(anchor),
                last_success_at=naive(spec.last_completed) if spec.last_completed else None,
                updated_at=naive(now),
            )
            rows[spec.key] = _insert_state(session, row)
        elif row.frequency != _signature(spec):
            # A new schedule counts from now: due times of the old one are not "missed".
            after = max(now, utc(row.last_success_at) or now)
            following = next_due(spec.frequency, after) if spec.runs_itself else None
            row.frequency = _signature(spec)
            row.next_run_at = naive(following) if following else None
            row.updated_at = naive(now)
    session.flush()
    return rows


def _insert_state(session: Session, row: TaskStateRow) -> TaskStateRow:
    """Add a task's first state; if another worker added it first, take theirs."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return session.get_one(TaskStateRow, row.key, populate_existing=True)
    return row
