"""Use cases of the procedure domain: run, resume, list and show runs.

Every write is its own short transaction, committed before the work it describes goes on:
an attempt is on disk as it starts and as it ends, so a run killed with -9 loses nothing and
shows as interrupted at the exact step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsbook.procedures.confirm import Confirmer
from opsbook.procedures.drive import Clock, drive
from opsbook.procedures.drive import Me as Me  # the web imports Me and RunEnd from here
from opsbook.procedures.drive import RunEnd as RunEnd
from opsbook.procedures.engine import (
    FINISHED,
    Event,
    Outcome,
    Plan,
    RunStatus,
    TransitionRefused,
    apply,
)
from opsbook.procedures.executors.protocol import Executor
from opsbook.procedures.guard import Override, RunGuard
from opsbook.procedures.plan import build_plan
from opsbook.procedures.runner import HostRunner, Reporter
from opsbook.procedures.secrets import MASK, Masker
from opsbook.procedures.stores import queries
from opsbook.procedures.stores.journal import Journal
from opsbook.procedures.stores.reader import read_progress, read_run, read_runs
from opsbook.procedures.stores.record_rules import interrupted_message
from opsbook.procedures.stores.tables import RunRow
from opsbook.procedures.views import RunDetailView, RunView
from opsbook.runbook.loader import load_runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database


class ResumeRefused(Exception):
    """A run cannot be resumed; the message says why and what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


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


@dataclass(frozen=True)
class Resumable:
    plan: Plan
    outcomes: dict[str, Outcome]
    passed_hosts: dict[str, set[str]]
    previous: RunStatus
    # The last attempt number recorded for each step, so a rerun goes on counting.
    attempts_before: dict[str, int]


def prepare_resume(
    *,
    db: Database,
    run_id: int,
    me: Me,
    environ: Mapping[str, str],
    now: Clock,
    guard: RunGuard,
) -> Resumable:
    """Check a run can go on, rebuild its plan, and claim it for this process."""
    reap_dead_runs(db=db, machine=me.machine, now=now)
    with db.transaction() as session:
        row = queries.get_run(session, run_id)
        if row is None:
            raise ResumeRefused(f"no run {run_id}", "list runs with `opsbook runs list`")
        previous = RunStatus(row.status)
        if previous is RunStatus.RUNNING:
            raise ResumeRefused(f"run {run_id} is still running (pid {row.pid} on {row.machine})")
        try:
            apply(previous, Event.RESUME)
        except TransitionRefused as exc:
            raise ResumeRefused(f"run {run_id} cannot be resumed: {exc}") from None
        path, stored, host = Path(row.runbook_path), dict(row.params), row.host_filter
        digest, target = row.plan_digest, row.procedure
        progress = read_progress(queries.rows_on(session), run_id)
    params: dict[str, str] = {}
    for name, value in stored.items():
        if value == MASK:
            if name not in environ:
                raise ResumeRefused(
                    f"parameter {name} is a secret and was not stored",
                    f"set {name} in the environment to resume run {run_id}",
                )
            params[name] = environ[name]
        else:
            params[name] = str(value)
    plan = build_plan(load_runbook(path), target=target, params=params, environ=environ, host=host)
    if plan.digest != digest:
        raise ResumeRefused(
            f"{path} changed since run {run_id} started: its steps differ",
            "start a new run instead",
        )
    guard.check(plan, now(), None)  # what may not start may not go on either
    claim = {
        "status": str(apply(previous, Event.RESUME)),
        "pid": me.pid,
        "machine": me.machine,
        "process_started": me.process_started,
        "waiting_step": None,
    }
    with db.transaction() as session:
        if not queries.claim_run(session, run_id, str(previous), claim):
            raise ResumeRefused(f"run {run_id} was resumed by someone else just now")
    return Resumable(
        plan, progress.outcomes, progress.passed_hosts, previous, progress.attempts_before
    )


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
