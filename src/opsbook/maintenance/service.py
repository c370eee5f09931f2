"""The maintenance use cases: list, schedule what is due, run, mark done, ping, history.

Each opens the one transaction it needs and takes the time it is given. The scheduler
advances a task's cursor by compare-and-set in the transaction that records the run and
queues its job (the worker queue's outbox), so of several `opsbook serve` workers on one
database exactly one queues each due run, and a restart finds the cursor already past it.
Overdue alerts are raised and resolved in `maintenance.overdue`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select, update

from opsbook.errors import BadInput, Conflict
from opsbook.inputs import check_text
from opsbook.maintenance.frequency import due_times, next_due
from opsbook.maintenance.reaping import this_worker
from opsbook.maintenance.records import add_run, finish_run, run_row, sync_states
from opsbook.maintenance.rows import aware, naive, run_view, task_view
from opsbook.maintenance.run_states import RUNS, RunEvent, RunState
from opsbook.maintenance.tables import TaskRunRow, TaskStateRow
from opsbook.maintenance.tasks import TaskSpec
from opsbook.maintenance.views import Outcome, RunView, ScheduledView, TaskView
from opsbook.transitions import apply
from opsbook.worker.queue import add_job

if TYPE_CHECKING:
    from opsbook.store.database import Database

# How a dry run's record starts (disk clean-up deletes only after one of its rule).
DRY_RUN = "dry run"
# The job a worker claims to run a task (payload: the run's id).
RUN_JOB = "maintenance run"
# Due times a long stop missed, each recorded; beyond these, one record counts the rest.
MAX_MISSED = 200
_MAX_WALK = 100_000
MAX_TEXT = 2000
PING_KINDS = ("start", "success", "fail")
_CAS = {"synchronize_session": False}


class Performer(Protocol):
    """Does a task's work: a built-in or a command (maintenance/perform.py)."""

    def perform(
        self,
        spec: TaskSpec,
        now: datetime,
        *,
        dry_run: bool = False,
        dry_runs: tuple[str, ...] = (),
    ) -> Outcome:
        """Do the work and say how it ended; `dry_runs`: this task's dry runs on record."""
        ...


def sync_tasks(*, db: Database, specs: Sequence[TaskSpec], now: datetime) -> None:
    """Store a state for each task of the runbook, and follow a changed frequency."""
    with db.transaction() as session:
        sync_states(session, specs, now)


def list_tasks(*, db: Database, specs: Sequence[TaskSpec], now: datetime) -> list[TaskView]:
    """Return every task as it stands now, in the table's order."""
    with db.transaction() as session:
        rows = sync_states(session, specs, now)
        return [task_view(spec, rows[spec.key], now) for spec in specs]


def schedule_due(*, db: Database, specs: Sequence[TaskSpec], now: datetime) -> ScheduledView:
    """Queue one run of each task opsbook runs whose due time came; record the missed ones."""
    queued: list[int] = []
    missed: list[int] = []
    with db.transaction() as session:
        rows = sync_states(session, specs, now)
        for spec in specs:
            row = rows[spec.key]
            if not spec.runs_itself or row.next_run_at is None or aware(row.next_run_at) > now:
                continue
            walked = 0
            times: deque[datetime] = deque(maxlen=MAX_MISSED + 1)
            for moment in islice(due_times(spec.frequency, aware(row.next_run_at), now), _MAX_WALK):
                times.append(moment)
                walked += 1
            following = next_due(spec.frequency, times[-1] if times else now)
            if following is not None and following <= now:  # walked no further: skip ahead
                following = next_due(spec.frequency, now)
            won = session.execute(
                update(TaskStateRow)
                .where(TaskStateRow.key == spec.key, TaskStateRow.next_run_at == row.next_run_at)
                .values(next_run_at=naive(following) if following else None, updated_at=naive(now))
                .execution_options(**_CAS)
            )
            if not getattr(won, "rowcount", 0) or not times:
                continue  # another worker took these due times
            *late, latest = times
            uncounted = walked - len(times)
            for index, moment in enumerate(late):
                detail = "missed: no opsbook was running at its due time"
                if index == 0 and uncounted:
                    detail += f" (and {uncounted} earlier due times since {row.next_run_at})"
                missed.append(
                    add_run(session, spec.key, RunState.MISSED, "schedule", now, moment, detail)
                )
            lateness = f"due {latest.isoformat()}" if latest < now else ""
            run_id = add_run(session, spec.key, RunState.QUEUED, "schedule", now, latest, lateness)
            add_job(session, kind=RUN_JOB, payload={"run": run_id, "task": spec.key}, now=now)
            queued.append(run_id)
    return ScheduledView(tuple(queued), tuple(missed))


def request_run(
    *, db: Database, spec: TaskSpec, actor: str, source: str, now: datetime, queue: bool
) -> int:
    """Record a run a person asked for; with `queue`, a worker runs it; return its id."""
    with db.transaction() as session:
        sync_states(session, [spec], now)
        run_id = add_run(session, spec.key, RunState.QUEUED, source, now, None, "", actor)
        if queue:
            add_job(session, kind=RUN_JOB, payload={"run": run_id, "task": spec.key}, now=now)
        return run_id


def perform_run(
    *,
    db: Database,
    run_id: int,
    spec: TaskSpec,
    performer: Performer,
    clock: Callable[[], datetime],
    dry_run: bool = False,
    worker: str | None = None,
) -> RunView:
    """Start a queued run, do its work (or, as a dry run, say what it would do), record it."""
    with db.transaction() as session:
        row = run_row(session, run_id)
        apply(RUNS, RunState(row.state), RunEvent.START)
        started = clock()
        taken = session.execute(
            update(TaskRunRow)
            .where(TaskRunRow.id == run_id, TaskRunRow.state == RunState.QUEUED.value)
            .values(
                state=RunState.RUNNING.value,
                started_at=naive(started),
                worker=worker or this_worker(),
            )
            .execution_options(**_CAS)
        )
        if not getattr(taken, "rowcount", 0):
            raise Conflict(f"maintenance run {run_id} was started by another worker")
        sync_states(session, [spec], started)[spec.key].started_at = naive(started)
        dry_runs = tuple(
            session.scalars(
                select(TaskRunRow.detail).where(
                    TaskRunRow.task_key == spec.key,
                    TaskRunRow.state == RunState.SUCCEEDED.value,
                    TaskRunRow.detail.startswith(DRY_RUN),
                )
            )
        )
    try:
        outcome = performer.perform(spec, started, dry_run=dry_run, dry_runs=dry_runs)
    except Exception as exc:  # the work failed; the record must still say so
        outcome = Outcome(False, None, f"{type(exc).__name__}: {exc}")
    if dry_run and not outcome.dry_run:
        outcome = Outcome(outcome.ok, outcome.exit_status, outcome.detail, dry_run=True)
    return finish_run(db, run_id, spec, outcome, clock())


def mark_done(
    *, db: Database, spec: TaskSpec, actor: str, now: datetime, note: str = ""
) -> RunView:
    """Record that a person did the task now."""
    check_text(note, field="note", max_length=MAX_TEXT)
    with db.transaction() as session:
        sync_states(session, [spec], now)
        run_id = add_run(session, spec.key, RunState.QUEUED, "person", now, None, "", actor)
    return finish_run(db, run_id, spec, Outcome(True, None, note or "done"), now)


def ping(
    *,
    db: Database,
    spec: TaskSpec,
    kind: str,
    now: datetime,
    exit_status: int | None = None,
    actor: str = "ping",
    detail: str = "",
) -> RunView:
    """Record a heartbeat from work done elsewhere: start, success or fail (an exit status)."""
    if kind not in PING_KINDS:
        raise BadInput(f'ping kind "{kind}" is not one of {", ".join(PING_KINDS)}')
    check_text(detail, field="detail", max_length=MAX_TEXT)
    with db.transaction() as session:
        state = sync_states(session, [spec], now)[spec.key]
        state.last_ping_at = naive(now)
        if kind == "start":
            state.started_at = naive(now)
            run_id = add_run(session, spec.key, RunState.RUNNING, "ping", now, None, detail, actor)
            session.get_one(TaskRunRow, run_id).started_at = naive(now)
            return run_view(session.get_one(TaskRunRow, run_id))
        open_run = session.scalar(
            select(TaskRunRow)
            .where(
                TaskRunRow.task_key == spec.key,
                TaskRunRow.source == "ping",
                TaskRunRow.state == RunState.RUNNING.value,
            )
            .order_by(TaskRunRow.id.desc())
            .limit(1)
        )
        if open_run is None:
            run_id = add_run(session, spec.key, RunState.QUEUED, "ping", now, None, detail, actor)
        else:
            run_id = open_run.id
    ok = kind == "success" and exit_status in (None, 0)
    shown = detail or (f"exit status {exit_status}" if exit_status is not None else kind)
    return finish_run(db, run_id, spec, Outcome(ok, exit_status, shown), now)


def history(*, db: Database, task: str | None = None, limit: int = 50) -> list[RunView]:
    """Return the newest runs first, of one task or of all."""
    if not 1 <= limit <= 1000:
        raise BadInput("--limit must be between 1 and 1000")
    query = select(TaskRunRow).order_by(TaskRunRow.id.desc()).limit(limit)
    if task is not None:
        query = query.where(TaskRunRow.task_key == task)
    with db.transaction() as session:
        return [run_view(row) for row in session.scalars(query)]
