"""The store code of procedure runs: reads and writes of the rows in `tables.py`.

Store code flushes, never commits; the use case in `service.py` owns the transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Table,
    TextClause,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from opsbook.procedures.drive import Me
from opsbook.procedures.engine import Plan, RunStatus
from opsbook.procedures.plan import masker_for
from opsbook.procedures.stores.reader import Rows
from opsbook.procedures.stores.tables import ApprovalRow, AttemptRow, ConfirmationRow, RunRow
from opsbook.store.base import Base


def rows_on(on: Session | Connection) -> Rows:
    """Return the one reader's way (`reader.Rows`) to run SQL in this session's transaction."""
    connection = on.connection() if isinstance(on, Session) else on

    def rows(sql: str, params: Mapping[str, object]) -> Sequence[Row[Any]]:
        return connection.execute(_statement(sql), params).all()

    return rows


@functools.lru_cache(maxsize=64)
def _statement(sql: str) -> TextClause:
    return text(sql)


def insert_run(session: Session, plan: Plan, me: Me, started_at: datetime) -> int:
    """Record a new run (status running) and return its id; secret parameters are masked."""
    row = RunRow(
        procedure=plan.target,
        title=plan.title,
        kind=plan.kind,
        runbook_path=plan.runbook_path,
        status=str(RunStatus.RUNNING),
        message="",
        started_at=started_at,
        started_by=me.user,
        params=masker_for(plan).mask_values(plan.params, plan.secret_names),
        host_filter=plan.host_filter,
        plan_digest=plan.digest,
        machine=me.machine,
        pid=me.pid,
        process_started=me.process_started,
    )
    add(session, row)
    return row.id


def count_runs(connection: Connection, *, procedure: str | None, status: str | None) -> int:
    """Return how many runs match the filters."""
    query = select(func.count()).select_from(RunRow)
    if procedure:
        query = query.where(RunRow.procedure == procedure)
    if status:
        query = query.where(RunRow.status == status)
    return int(connection.execute(query).scalar() or 0)


def get_run(session: Session, run_id: int) -> RunRow | None:
    return session.get(RunRow, run_id)


def attempts_of(session: Session, run_id: int) -> list[AttemptRow]:
    query = select(AttemptRow).where(AttemptRow.run_id == run_id).order_by(AttemptRow.id)
    return list(session.scalars(query))


def open_confirmation(session: Session, run_id: int, key: str) -> ConfirmationRow | None:
    """Return the latest confirmation asked for a step, answered or not."""
    query = (
        select(ConfirmationRow)
        .where(ConfirmationRow.run_id == run_id, ConfirmationRow.step_key == key)
        .order_by(ConfirmationRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def approvals_of(session: Session, run_id: int, key: str) -> list[ApprovalRow]:
    """Return the approvals of a step of a run, in the order they were given."""
    query = select(ApprovalRow).where(ApprovalRow.run_id == run_id, ApprovalRow.step_key == key)
    return list(session.scalars(query.order_by(ApprovalRow.id)))


def live_runs(session: Session) -> list[RunRow]:
    return list(session.scalars(select(RunRow).where(RunRow.status == "running")))


def add(session: Session, row: Base) -> None:
    session.add(row)
    session.flush()


# The hot path of a run (two writes per attempt): prepared Core statements on the
# session's connection, built once, so no statement is rebuilt or re-keyed per step.
_ATTEMPTS: Table = Base.metadata.tables["step_attempts"]
_INSERT_ATTEMPT = insert(_ATTEMPTS).returning(_ATTEMPTS.c.id)
_FINISH_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "status",
                "finished_at",
                "exit_code",
                "duration",
                "stdout",
                "stderr",
                "error",
            )
        }
    )
)
_MARK_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(status=bindparam("status"), finished_at=bindparam("finished_at"))
)
_INSERT_STEP = insert(Base.metadata.tables["run_steps"])


def insert_attempt(session: Session, values: dict[str, Any]) -> int:
    """Insert an attempt row and return its id."""
    return int(session.connection().execute(_INSERT_ATTEMPT, values).scalar_one())


def update_attempt(session: Session, attempt_id: int, values: dict[str, Any]) -> None:
    """Record an attempt's end: status and time, and the command's result if it ran."""
    statement = _FINISH_ATTEMPT if "exit_code" in values else _MARK_ATTEMPT
    session.connection().execute(statement, {"attempt_id": attempt_id, **values})


def insert_step(session: Session, run_id: int, key: str, outcome: str, at: datetime) -> None:
    session.connection().execute(
        _INSERT_STEP, {"run_id": run_id, "step_key": key, "outcome": outcome, "finished_at": at}
    )


def claim_run(session: Session, run_id: int, status: str, values: dict[str, Any]) -> bool:
    """Update a run only if it still has the status read before; say whether it did."""
    result = session.execute(
        update(RunRow).where(RunRow.id == run_id, RunRow.status == status).values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def hold_waiting_run(session: Session, run_id: int, key: str) -> bool:
    """Lock a run that still waits at step `key`, until the transaction ends; say if it does.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, so the
    people deciding one step are served one after the other, each reading what the one
    before wrote.
    """
    table = Base.metadata.tables["runs"]
    held = (
        update(table)
        .where(table.c.id == run_id, table.c.status == "waiting", table.c.waiting_step == key)
        .values(waiting_step=table.c.waiting_step)
    )
    return bool(getattr(session.connection().execute(held), "rowcount", 0))


def answer_waiting(session: Session, confirmation_id: int, values: dict[str, Any]) -> bool:
    """Record a decision on a confirmation nobody answered yet; say whether this one did."""
    table = Base.metadata.tables["run_confirmations"]
    answered = (
        update(table)
        .where(table.c.id == confirmation_id, table.c.decision == "waiting")
        .values(**values)
    )
    return bool(getattr(session.connection().execute(answered), "rowcount", 0))


def last_decision(session: Session, run_id: int) -> ConfirmationRow | None:
    """Return the latest answered confirmation of a run, of any step."""
    query = (
        select(ConfirmationRow)
        .where(ConfirmationRow.run_id == run_id, ConfirmationRow.decision != "waiting")
        .order_by(ConfirmationRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
