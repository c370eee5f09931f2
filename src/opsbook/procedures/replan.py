"""A recorded run planned again from its record: to drive it in a worker, or to resume it.

A run's record keeps what its plan was made of (runbook, procedure, parameters, host filter)
and the plan's digest, with secret parameters masked. Planning it again takes the secret
values from wherever this process has them, and refuses when the runbook's steps changed
since: one function, `rebuild_plan`, for both the worker that drives a new run and a resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from opsbook.errors import BadInput, Conflict, NotFound, Refused
from opsbook.procedures.drive import Clock, Me
from opsbook.procedures.engine import Event, Outcome, Plan, RunStatus, TransitionRefused, apply
from opsbook.procedures.guard import RunGuard
from opsbook.procedures.plan import build_plan
from opsbook.procedures.secrets import MASK
from opsbook.procedures.service import reap_dead_runs
from opsbook.procedures.stores import queries
from opsbook.procedures.stores.reader import read_progress
from opsbook.procedures.views import JsonValue
from opsbook.runbook.loader import load_runbook

if TYPE_CHECKING:
    from opsbook.procedures.stores.tables import RunRow
    from opsbook.store.database import Database


class ResumeRefused(Refused):
    """A run cannot go on now (its state, or its runbook changed); the message says why."""


@dataclass(frozen=True)
class StoredPlan:
    """What a run's record keeps of its plan: enough to make it again, and check it."""

    run_id: int
    runbook_path: str
    procedure: str
    host: str | None
    digest: str
    params: Mapping[str, JsonValue]

    @classmethod
    def of(cls, row: RunRow) -> StoredPlan:
        """Return what the run's record keeps of its plan."""
        return cls(
            row.id, row.runbook_path, row.procedure, row.host_filter, row.plan_digest, row.params
        )


def rebuild_plan(
    stored: StoredPlan, *, secrets: Mapping[str, str], environ: Mapping[str, str]
) -> Plan:
    """Plan a recorded run again, its masked secret parameters unmasked from `secrets`.

    BadInput if a secret's value is not in `secrets`; ResumeRefused if the runbook's steps
    changed since the run started.
    """
    missing = [
        name for name, value in stored.params.items() if value == MASK and name not in secrets
    ]
    if missing:
        # Secret values are never stored: only this process's environment (or the memory of
        # the server that took the request) has them.
        names = ", ".join(missing)
        raise BadInput(
            f"run {stored.run_id}: the secret parameter {names} was not stored and is not "
            "known to this process",
            f"set {names} in the environment to go on with run {stored.run_id}, or start "
            "the run again",
        )
    params = {
        name: secrets[name] if value == MASK else str(value)
        for name, value in stored.params.items()
    }
    path = Path(stored.runbook_path)
    plan = build_plan(
        load_runbook(path),
        target=stored.procedure,
        params=params,
        environ=environ,
        host=stored.host,
    )
    if plan.digest != stored.digest:
        raise ResumeRefused(
            f"{path} changed since run {stored.run_id} started: its steps differ",
            "start a new run instead",
        )
    return plan


def drive_new_run(
    *, db: Database, run_id: int, me: Me, secrets: Mapping[str, str], environ: Mapping[str, str]
) -> Plan:
    """Make this process the driver of a new run, and plan it again from its record."""
    with db.transaction() as session:
        row = queries.get_run(session, run_id)
        if row is None:
            raise NotFound(f"no run {run_id}")
        row.machine, row.pid, row.process_started = me.machine, me.pid, me.process_started
        stored = StoredPlan.of(row)
    return rebuild_plan(stored, secrets={**environ, **secrets}, environ=environ)


@dataclass(frozen=True)
class Resumable:
    """A run claimed to go on: its plan again, and what its record says was done."""

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
            raise NotFound(f"no run {run_id}", "list runs with `opsbook runs list`")
        previous = RunStatus(row.status)
        if previous is RunStatus.RUNNING:
            raise ResumeRefused(f"run {run_id} is still running (pid {row.pid} on {row.machine})")
        try:
            apply(previous, Event.RESUME)
        except TransitionRefused as exc:
            raise ResumeRefused(f"run {run_id} cannot be resumed: {exc}") from None
        stored = StoredPlan.of(row)
        progress = read_progress(queries.rows_on(session), run_id)
    plan = rebuild_plan(stored, secrets=environ, environ=environ)
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
            raise Conflict(f"run {run_id} was resumed by someone else just now")
    return Resumable(
        plan, progress.outcomes, progress.passed_hosts, previous, progress.attempts_before
    )
