"""Queue, claim and finish jobs. A job is claimed by exactly one worker.

PostgreSQL: the claim selects with `FOR UPDATE SKIP LOCKED`, so concurrent workers skip
rows another is taking instead of waiting or double-claiming. SQLite: the claim is one
`UPDATE ... RETURNING` statement, which SQLite runs under its single database write lock,
so two writers cannot claim the same row either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from opsbook.worker.tables import JobRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from opsbook.store.database import Database


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """A claimed job: what to do and with what."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def enqueue(
    db: Database,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    run_after: datetime | None = None,
) -> int:
    """Queue a job; return its id."""
    with db.transaction() as session:
        return add_job(session, kind=kind, payload=payload, now=now, run_after=run_after)


def add_job(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    run_after: datetime | None = None,
) -> int:
    """Queue a job inside the caller's transaction (it commits with the caller's writes)."""
    row = JobRow(
        kind=kind,
        payload=json.dumps(payload),
        status=JobStatus.QUEUED.value,
        run_after=_naive(run_after or now),
        attempts=0,
        created_at=_naive(now),
    )
    session.add(row)
    session.flush()
    return row.id


def is_queued(session: Session, *, kind: str, payloads: list[dict[str, Any]]) -> bool:
    """Say whether a job of `kind` with one of these payloads waits for a worker to claim it."""
    query = select(func.count()).where(
        JobRow.kind == kind,
        JobRow.status == JobStatus.QUEUED.value,
        JobRow.payload.in_([json.dumps(p) for p in payloads]),
    )
    return bool(session.scalar(query))


def enqueue_many(db: Database, *, kind: str, payloads: list[dict[str, Any]], now: datetime) -> int:
    """Queue many jobs of one kind in one transaction; return how many."""
    moment = _naive(now)
    with db.transaction() as session:
        session.add_all(
            JobRow(
                kind=kind,
                payload=json.dumps(p),
                status=JobStatus.QUEUED.value,
                run_after=moment,
                created_at=moment,
            )
            for p in payloads
        )
        session.flush()
    return len(payloads)


def queue_in(session: Session, *, kind: str, payloads: list[dict[str, Any]], now: datetime) -> None:
    """Queue jobs in the caller's transaction (an outbox: they exist if its writes do)."""
    if not payloads:
        return
    connection = session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    moment: Any = _naive(now)
    if connection.dialect.name != "postgresql":
        moment = moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format
    connection.exec_driver_sql(
        "INSERT INTO jobs (kind, payload, status, run_after, attempts, created_at) "
        f"VALUES ({mark}, {mark}, {mark}, {mark}, 0, {mark})",
        [(kind, json.dumps(p), JobStatus.QUEUED.value, moment, moment) for p in payloads],
    )


def claim(db: Database, *, worker: str, now: datetime, limit: int = 1) -> list[Job]:
    """Claim up to `limit` due jobs for `worker`; no other worker can claim them."""
    moment = _naive(now)
    due = (
        select(JobRow.id)
        .where(JobRow.status == JobStatus.QUEUED.value, JobRow.run_after <= moment)
        .order_by(JobRow.id)
        .limit(limit)
    )
    take = (
        update(JobRow)
        .where(JobRow.status == JobStatus.QUEUED.value)
        .values(
            status=JobStatus.RUNNING.value,
            claimed_by=worker,
            claimed_at=moment,
            attempts=JobRow.attempts + 1,
        )
        .returning(JobRow.id, JobRow.kind, JobRow.payload, JobRow.attempts)
    )
    options = {"synchronize_session": False}
    with db.transaction() as session:
        if db.engine.dialect.name == "postgresql":
            # Lock the chosen rows first (skipping rows other workers hold), then flip them.
            # An `IN (subquery ... SKIP LOCKED)` inside the UPDATE may be re-scanned by the
            # planner and take more than `limit` rows, so it is two statements.
            ids = list(session.scalars(due.with_for_update(skip_locked=True)))
            if not ids:
                return []
            rows = session.execute(take.where(JobRow.id.in_(ids)), execution_options=options)
        else:
            rows = session.execute(
                take.where(JobRow.id.in_(due.scalar_subquery())), execution_options=options
            )
        jobs = [Job(r.id, r.kind, json.loads(r.payload), r.attempts) for r in rows]
    return sorted(jobs, key=lambda j: j.id)


def finish(db: Database, *, job_id: int, now: datetime, error: str | None = None) -> bool:
    """Mark a running job done (or failed with `error`); say whether it was running."""
    status = JobStatus.FAILED if error is not None else JobStatus.DONE
    statement = (
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == JobStatus.RUNNING.value)
        .values(status=status.value, finished_at=_naive(now), error=error)
    )
    with db.transaction() as session:
        result = session.execute(statement, execution_options={"synchronize_session": False})
        return bool(getattr(result, "rowcount", 0))


def counts(db: Database) -> dict[str, int]:
    """Return how many jobs are in each status."""
    with db.transaction() as session:
        rows = session.execute(select(JobRow.status, func.count()).group_by(JobRow.status))
        return {status: int(n) for status, n in rows}
