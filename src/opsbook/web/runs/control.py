"""Use cases of runs driven from the web: start, confirm, approve, abort, list.

A run started here is recorded at once (status running) and queued as a job; a worker of
`opsbook serve` drives it. A manual step stops the run as `waiting`; a person's answer is
recorded as a web decision on that step, which the engine reads first when the run goes
on, and the run is queued again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from opsbook.errors import Conflict
from opsbook.procedures.confirm import Decision
from opsbook.procedures.engine import PlanItem, RunStatus
from opsbook.procedures.plan import PlanError, build_plan
from opsbook.procedures.service import Me, start_run
from opsbook.procedures.stores import queries
from opsbook.procedures.stores.reader import read_latest, read_runs
from opsbook.procedures.stores.tables import ApprovalRow, ConfirmationRow, RunRow
from opsbook.procedures.views import RunView
from opsbook.store.timestamps import utc
from opsbook.worker.queue import enqueue
from opsbook.worker.tables import JobRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from opsbook.procedures.guard import RunGuard
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

RUN_JOB = "procedure.run"
Clock = Callable[[], datetime]


class RunRefused(Exception):
    """The run cannot do what was asked; `status` is the HTTP status that says so."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class WaitingStep:
    """The step a waiting run stops at, and what it needs."""

    key: str
    label: str
    text: str
    command: str | None
    approvals: int
    approved_by: tuple[str, ...]


def start(
    *,
    db: Database,
    runbook: Runbook,
    procedure: str,
    params: Mapping[str, str],
    host: str | None,
    me: Me,
    environ: Mapping[str, str],
    now: Clock,
    guard: RunGuard,
) -> int:
    """Check the plan (PlanError lists every problem) and record the run; `queue` runs it."""
    plan = build_plan(runbook, target=procedure, params=params, environ=environ, host=host)
    return start_run(db=db, plan=plan, me=me, now=now, guard=guard)


def queue(db: Database, *, run_id: int, resume: bool, now: Clock) -> None:
    """Queue a run for a worker: a new run, or one that goes on where it stopped."""
    enqueue(db, kind=RUN_JOB, payload={"run_id": run_id, "resume": resume}, now=now())


def status_of(db: Database, run_id: int) -> str:
    """Return a run's status; RunRefused(404) if there is no such run."""
    with db.transaction() as session:
        return _run(session, run_id).status


def _run(session: Session, run_id: int) -> RunRow:
    row = queries.get_run(session, run_id)
    if row is None:
        raise RunRefused(f"no run {run_id}", 404)
    return row


def waiting_step(
    runbook: Runbook, row: RunRow, approvals: list[str], environ: Mapping[str, str]
) -> WaitingStep | None:
    """Describe the step a waiting run stops at (None if it does not wait)."""
    if row.status != RunStatus.WAITING or not row.waiting_step:
        return None
    item = _plan_item(runbook, row, environ)
    if item is None:
        return WaitingStep(row.waiting_step, row.waiting_step, "", None, 0, tuple(approvals))
    return WaitingStep(
        item.key,
        item.label,
        item.step.text,
        item.command,
        item.step.attrs.approvals,
        tuple(approvals),
    )


def _plan_item(runbook: Runbook, row: RunRow, environ: Mapping[str, str]) -> PlanItem | None:
    params = {k: str(v) for k, v in row.params.items()}
    try:
        plan = build_plan(
            runbook, target=row.procedure, params=params, environ=environ, host=row.host_filter
        )
    except PlanError:
        return None
    return plan.item(row.waiting_step or "")


def approvals_of(session: Session, run_id: int, key: str) -> list[str]:
    """Return who approved a step of a run, in order."""
    return [row.approver for row in _approvals(session, run_id, key)]


def _approvals(session: Session, run_id: int, key: str) -> list[ApprovalRow]:
    query = select(ApprovalRow).where(ApprovalRow.run_id == run_id, ApprovalRow.step_key == key)
    return list(session.scalars(query.order_by(ApprovalRow.id)))


def _held(session: Session, run_id: int) -> RunRow:
    """Return the run, locked for one decision on the step it waits at (Conflict if none).

    Whoever decides second waits for the lock, then reads the first decision and is told.
    """
    row = _run(session, run_id)
    key = row.waiting_step
    if row.status == RunStatus.WAITING and key and queries.hold_waiting_run(session, run_id, key):
        return row
    session.refresh(row)
    message = f"run {run_id} is {row.status}, not waiting for a person"
    last = queries.last_decision(session, run_id)
    if last is not None:
        message += f"; {_decided(last.step_key, last)}"
    raise Conflict(message, "reload the run to see where it is")


def _decided(label: str, row: ConfirmationRow) -> str:
    """Say who decided a step and when: `Check was already confirmed by ann at 12:03:04 UTC`."""
    by = row.decided_by or "someone"
    who = f"({by})" if by.startswith("approved by ") else f"by {by}"
    return f"{label} was already {row.decision} {who} at {_when(row.decided_at)}"


def _when(moment: datetime | None) -> str:
    aware = utc(moment)
    return aware.strftime("%Y-%m-%d %H:%M:%S UTC") if aware else "an unknown time"


def _decide(
    session: Session, row: RunRow, label: str, decision: Decision, by: str, now: datetime
) -> None:
    # The engine stored a `waiting` confirmation when the run stopped; answer it, unless
    # someone answered it first (then this decision loses, and says to whom).
    key = row.waiting_step or ""
    values = {"decision": str(decision), "decided_by": by, "via": "web", "decided_at": now}
    latest = queries.open_confirmation(session, row.id, key)
    if latest is None:
        session.add(ConfirmationRow(run_id=row.id, step_key=key, requested_at=now, **values))
    elif latest.decision != Decision.WAITING or not queries.answer_waiting(
        session, latest.id, values
    ):
        session.refresh(latest)
        raise Conflict(_decided(label, latest), "reload the run to see where it is")
    row.message = f"{decision} by {by} via the web; going on"
    session.flush()


def answer(
    *,
    db: Database,
    runbook: Runbook,
    run_id: int,
    decision: Decision,
    by: str,
    environ: Mapping[str, str],
    now: Clock,
) -> None:
    """Confirm, skip or abort the step a run waits at, and queue the run to go on.

    Conflict if the run no longer waits there or someone decided the step first.
    """
    if decision is Decision.WAITING:
        raise RunRefused("answer confirmed, skipped or aborted", 422)
    with db.transaction() as session:
        row = _held(session, run_id)
        done = approvals_of(session, run_id, row.waiting_step or "")
        step = waiting_step(runbook, row, done, environ)
        assert step is not None  # _held returns a run that waits at a step
        if step.approvals and decision is not Decision.ABORTED:
            raise RunRefused(
                f"{step.label} needs {step.approvals} approvals from operators "
                "other than the one who started the run; approve it instead"
            )
        _decide(session, row, step.label, decision, by, now())
        enqueue_in(session, run_id, now())


def approve(
    *,
    db: Database,
    runbook: Runbook,
    run_id: int,
    by: str,
    environ: Mapping[str, str],
    now: Clock,
) -> list[str]:
    """Approve the step a run waits at; with enough approvals, queue the run to go on.

    Conflict if `by` approved it already, or the step was decided first.
    """
    with db.transaction() as session:
        row = _held(session, run_id)
        given = _approvals(session, run_id, row.waiting_step or "")
        done = [a.approver for a in given]
        step = waiting_step(runbook, row, done, environ)
        assert step is not None  # _held returns a run that waits at a step
        if not step.approvals:
            raise RunRefused(f"{step.label} needs a confirmation, not approvals")
        if by == row.started_by:
            raise RunRefused(
                f"{by} started run {run_id} and cannot approve it; another operator must", 403
            )
        mine = next((a for a in given if a.approver == by), None)
        if mine is not None:
            raise Conflict(f"{by} already approved {step.label} at {_when(mine.approved_at)}")
        session.add(ApprovalRow(run_id=run_id, step_key=step.key, approver=by, approved_at=now()))
        done = [*done, by]
        if len(done) >= step.approvals:
            decided_by = "approved by " + ", ".join(done)
            _decide(session, row, step.label, Decision.CONFIRMED, decided_by, now())
            enqueue_in(session, run_id, now())
        else:
            row.message = (
                f"{step.label} has {len(done)} of {step.approvals} approvals ({', '.join(done)})"
            )
        return done


def enqueue_in(session: Session, run_id: int, now: datetime) -> None:
    """Queue the run to go on, inside the caller's transaction."""
    moment = now.replace(tzinfo=None)
    session.add(
        JobRow(
            kind=RUN_JOB,
            payload=json.dumps({"run_id": run_id, "resume": True}),
            status="queued",
            run_after=moment,
            attempts=0,
            created_at=moment,
        )
    )
    session.flush()


def runs_page(
    db: Database,
    *,
    limit: int,
    before: int | None = None,
    procedure: str | None = None,
    status: str | None = None,
) -> list[RunView]:
    """Return a page of runs, newest first."""
    # A Core connection, not an ORM session: the list is the dashboard's hottest query.
    with db.engine.connect() as connection:
        rows = queries.rows_on(connection)
        return read_runs(rows, limit=limit, before=before, procedure=procedure, status=status)


def count_runs(db: Database, *, procedure: str | None = None, status: str | None = None) -> int:
    """Return how many runs match the filters."""
    query = select(func.count()).select_from(RunRow)
    if procedure:
        query = query.where(RunRow.procedure == procedure)
    if status:
        query = query.where(RunRow.status == status)
    with db.engine.connect() as connection:
        return int(connection.execute(query).scalar() or 0)


def last_runs(db: Database, procedures: list[str]) -> dict[str, RunView]:
    """Return the latest run of each named procedure."""
    with db.engine.connect() as connection:
        return read_latest(queries.rows_on(connection), procedures)


def approvals_for(db: Database, run_id: int, key: str) -> list[str]:
    """Return who approved a step of a run, in order."""
    with db.transaction() as session:
        return approvals_of(session, run_id, key)
