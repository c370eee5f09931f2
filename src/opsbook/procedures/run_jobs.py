"""Runs a server's worker drives: each is recorded and queued as a job in one transaction.

A run started from the dashboard or the API is recorded (status running) and a job is
queued for a worker of `opsbook serve` to drive it. Both are written in one transaction, so
a process that dies between them leaves neither: never a run `running` with no job to drive
it. A run that goes on (a person decided its step, or it is resumed) is queued again the
same way, in the transaction that decided it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from opsbook.errors import NotFound, Refused
from opsbook.procedures.drive import Clock, Me
from opsbook.procedures.engine import Plan, RunStatus
from opsbook.procedures.guard import Override, RunGuard
from opsbook.procedures.plan import build_plan
from opsbook.procedures.stores import queries
from opsbook.worker.queue import add_job, is_queued

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from opsbook.procedures.stores.tables import RunRow
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

RUN_JOB = "procedure.run"


def run_payload(run_id: int, *, resume: bool) -> dict[str, Any]:
    """Return the payload of the job that drives a run (a new one, or one going on)."""
    return {"run_id": run_id, "resume": resume}


def start_procedure(
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
    recorded: Callable[[int], None] | None = None,
) -> int:
    """Plan a procedure (PlanError lists every problem), then record and queue its run."""
    plan = build_plan(runbook, target=procedure, params=params, environ=environ, host=host)
    return start_queued_run(db=db, plan=plan, me=me, now=now, guard=guard, recorded=recorded)


def start_queued_run(
    *,
    db: Database,
    plan: Plan,
    me: Me,
    now: Clock,
    guard: RunGuard,
    override: Override | None = None,
    recorded: Callable[[int], None] | None = None,
) -> int:
    """Record a new run and queue its job in one transaction: both are stored, or neither.

    `recorded` is called with the run's id before the job can be claimed (the server keeps
    the run's secret values in memory for the worker that drives it).
    """
    guard.check(plan, now(), override)  # GuardRefused is a PlanError
    with db.transaction() as session:
        run_id = queries.insert_run(session, plan, me, now())
        if recorded is not None:
            recorded(run_id)
        queue_in(session, run_id, resume=False, now=now())
    return run_id


def queue_in(session: Session, run_id: int, *, resume: bool, now: datetime) -> None:
    """Queue the job that drives a run, inside the caller's transaction."""
    add_job(session, kind=RUN_JOB, payload=run_payload(run_id, resume=resume), now=now)


def queue_resume(*, db: Database, run_id: int, now: Clock) -> None:
    """Queue an interrupted run to go on from the step where it stopped."""
    with db.transaction() as session:
        row = run_of(session, run_id)
        if row.status != RunStatus.INTERRUPTED:
            raise Refused(f"run {run_id} is {row.status}; only an interrupted run resumes")
        queue_in(session, run_id, resume=True, now=now())


def run_of(session: Session, run_id: int) -> RunRow:
    """Return a run's record; NotFound if there is none."""
    row = queries.get_run(session, run_id)
    if row is None:
        raise NotFound(f"no run {run_id}")
    return row


def is_waiting_for_a_worker(session: Session, run_id: int) -> bool:
    """Say whether a job for the run is queued and no worker has claimed it yet."""
    payloads = [run_payload(run_id, resume=False), run_payload(run_id, resume=True)]
    return is_queued(session, kind=RUN_JOB, payloads=payloads)
