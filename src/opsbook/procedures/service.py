"""Use cases of the procedure domain: start, drive, list and show runs.

Every write is its own short transaction, committed before the work it describes goes on:
an attempt is on disk as it starts and as it ends, so a run killed with -9 loses nothing and
shows as interrupted at the exact step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opsbook.procedures.confirm import Confirmer
from opsbook.procedures.drive import Clock, drive
from opsbook.procedures.drive import Me as Me  # imported from here by incidents, the web
from opsbook.procedures.drive import RunEnd as RunEnd
from opsbook.procedures.engine import FINISHED, Event, Outcome, Plan, RunStatus, apply
from opsbook.procedures.executors.protocol import Executor
from opsbook.procedures.guard import Override, RunGuard
from opsbook.procedures.runner import HostRunner, Reporter
from opsbook.procedures.secrets import Masker
from opsbook.procedures.stores import queries
from opsbook.procedures.stores.journal import Journal
from opsbook.procedures.stores.reader import read_latest, read_run, read_runs
from opsbook.procedures.stores.record_rules import interrupted_message
from opsbook.procedures.stores.tables import RunRow
from opsbook.procedures.views import RunDetailView, RunView

if TYPE_CHECKING:
    from opsbook.store.database import Database


def start_run(
    *,
    db: Database,
    plan: Plan,
    me: Me,
    now: Clock,
    guard: RunGuard,
    override: Override | None = None,
) -> int:
    """Record a new run (status running) and return its id, if the guard lets it start."""
    guard.check(plan, now(), override)  # GuardRefused is a PlanError
    with db.transaction() as session:
        return queries.insert_run(session, plan, me, now())


async def execute_run(
    *,
    db: Database,
    plan: Plan,
    run_id: int,
    confirmer: Confirmer,
    reporter: Reporter,
    local: Executor,
    remote: HostRunner,
    now: Clock,
    outcomes: Mapping[str, Outcome] | None = None,
    passed_hosts: Mapping[str, set[str]] | None = None,
    attempts_before: Mapping[str, int] | None = None,
) -> RunEnd:
    """Drive a recorded run to its end (or to a step that waits for a person)."""
    return await drive(
        store=DatabaseRunStore(db, now),
        plan=plan,
        run_id=run_id,
        confirmer=confirmer,
        reporter=reporter,
        local=local,
        remote=remote,
        outcomes=outcomes,
        passed_hosts=passed_hosts,
        attempts_before=attempts_before,
    )


class DatabaseRunStore:
    """The RunStore on the SQLAlchemy database (SQLite or PostgreSQL)."""

    def __init__(self, db: Database, now: Clock) -> None:
        self.db = db
        self.now = now

    def start_run(self, plan: Plan, me: Me) -> int:
        """Record a new run (status running); `start_run`, the use case, checks first."""
        with self.db.transaction() as session:
            return queries.insert_run(session, plan, me, self.now())

    def journal(self, run_id: int, masker: Masker) -> Journal:
        return Journal(self.db, run_id, masker, self.now)

    def transition(
        self, run_id: int, event: Event, message: str, waiting: str | None = None
    ) -> RunStatus:
        return _transition(self.db, run_id, event, message, self.now, waiting)

    def interrupted(self, run_id: int, why: str) -> None:
        _mark_interrupted(self.db, run_id, why, self.now)


def _transition(
    db: Database, run_id: int, event: Event, message: str, now: Clock, waiting: str | None = None
) -> RunStatus:
    with db.transaction() as session:
        row = session.get(RunRow, run_id)
        assert row is not None
        status = apply(RunStatus(row.status), event)
        row.status, row.message, row.waiting_step = str(status), message, waiting
        if status in FINISHED:
            row.finished_at = now()
        return status


def _mark_interrupted(db: Database, run_id: int, why: str, now: Clock) -> None:
    with db.transaction() as session:
        row = session.get(RunRow, run_id)
        if row is not None:
            _interrupt(session, row, why, now)


def _interrupt(session: Any, row: RunRow, why: str, now: Clock) -> None:
    row.status = str(apply(RunStatus(row.status), Event.INTERRUPT))
    attempts = [a for a in queries.attempts_of(session, row.id) if a.status == "running"]
    for attempt in attempts:
        attempt.status = "interrupted"
    at = (attempts[0].phase, attempts[0].number, attempts[0].text) if attempts else None
    row.message = interrupted_message(why, at)
    session.flush()


def owner_alive(row: RunRow, machine: str) -> bool:
    """Say whether the process that drives a running run still exists."""
    if row.machine != machine or row.pid is None:
        return True
    # lazy: keeps psutil off the start-up of a plain `opsbook run`
    import psutil

    try:
        started = psutil.Process(row.pid).create_time()
    except psutil.Error:
        return False
    return row.process_started is None or abs(started - row.process_started) < 1.0


def reap_dead_runs(*, db: Database, machine: str, now: Clock) -> int:
    """Mark running runs whose process died (kill -9, power loss) as interrupted."""
    reaped = 0
    with db.transaction() as session:
        for row in queries.live_runs(session):
            if not owner_alive(row, machine):
                _interrupt(session, row, "its process died", now)
                reaped += 1
    return reaped


def list_runs(
    *,
    db: Database,
    machine: str,
    now: Clock,
    limit: int = 50,
    procedure: str | None = None,
    status: str | None = None,
) -> list[RunView]:
    """Return the latest runs, newest first, with dead ones shown as interrupted."""
    reap_dead_runs(db=db, machine=machine, now=now)
    with db.transaction() as session:
        rows = queries.rows_on(session)
        return read_runs(rows, limit=limit, procedure=procedure, status=status)


def show_run(*, db: Database, run_id: int, machine: str, now: Clock) -> RunDetailView | None:
    """Return one run with its steps, attempts and confirmations; None if there is none."""
    reap_dead_runs(db=db, machine=machine, now=now)
    with db.transaction() as session:
        return read_run(queries.rows_on(session), run_id)


def runs_page(
    *,
    db: Database,
    limit: int,
    before: int | None = None,
    procedure: str | None = None,
    status: str | None = None,
) -> list[RunView]:
    """Return a page of runs, newest first, older than run `before` if given."""
    # A Core connection, not an ORM session: the list is the dashboard's hottest query.
    with db.engine.connect() as connection:
        rows = queries.rows_on(connection)
        return read_runs(rows, limit=limit, before=before, procedure=procedure, status=status)


def count_runs(*, db: Database, procedure: str | None = None, status: str | None = None) -> int:
    """Return how many runs match the filters."""
    with db.engine.connect() as connection:
        return queries.count_runs(connection, procedure=procedure, status=status)


def last_runs(*, db: Database, procedures: list[str]) -> dict[str, RunView]:
    """Return the latest run of each named procedure."""
    with db.engine.connect() as connection:
        return read_latest(queries.rows_on(connection), procedures)
