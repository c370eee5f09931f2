"""The server's wiring of the run use cases: who asks, this process, its worker and memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from opsbook.procedures import decisions
from opsbook.procedures.confirm import Decision
from opsbook.procedures.drive import this_process
from opsbook.procedures.run_jobs import queue_resume, start_procedure
from opsbook.runbook.secret_names import is_secret_name
from opsbook.web.runs.driver import TaskStopper

if TYPE_CHECKING:
    from opsbook.access.model import Principal
    from opsbook.web.state import AppState


def _wake(state: AppState) -> None:
    state.cache.clear()
    if state.worker is not None:
        state.worker.wake()


def start(
    state: AppState,
    procedure: str,
    params: Mapping[str, str],
    host: str | None,
    principal: Principal,
) -> int:
    """Record a run started by `principal` and queue it (PlanError if it cannot start)."""
    secrets = {k: v for k, v in params.items() if is_secret_name(k)}

    def keep_secrets(run_id: int) -> None:
        # Only this server's memory holds them, for its worker, before it can claim the job.
        if secrets:
            state.run_secrets[run_id] = secrets

    run_id = start_procedure(
        db=state.db,
        runbook=state.source.runbook,
        procedure=procedure,
        params=params,
        host=host,
        me=this_process(principal.name),
        environ=state.environ,
        now=state.clock,
        guard=state.run_guard,
        recorded=keep_secrets,
    )
    state.metrics.runs_started.labels(procedure).inc()
    _wake(state)
    return run_id


def answer(
    state: AppState,
    run_id: int,
    decision: Decision,
    principal: Principal,
    step: str | None = None,
) -> None:
    """Record a person's answer to the step a run waits at, and let the run go on."""
    decisions.answer(
        db=state.db,
        runbook=state.source.runbook,
        run_id=run_id,
        decision=decision,
        by=principal.name,
        environ=state.environ,
        now=state.clock,
        step=step,
    )
    _wake(state)


def approve(state: AppState, run_id: int, principal: Principal, step: str | None = None) -> None:
    """Record an approval; the run goes on once the step has enough."""
    decisions.approve(
        db=state.db,
        runbook=state.source.runbook,
        run_id=run_id,
        by=principal.name,
        environ=state.environ,
        now=state.clock,
        step=step,
    )
    _wake(state)


def abort(state: AppState, run_id: int, principal: Principal, step: str | None = None) -> None:
    """Abort a waiting run at its step (`step`, if given), or stop one this process drives."""
    decisions.abort(
        db=state.db,
        runbook=state.source.runbook,
        run_id=run_id,
        by=principal.name,
        environ=state.environ,
        now=state.clock,
        stopper=TaskStopper(state),
        step=step,
    )
    _wake(state)


def resume(state: AppState, run_id: int) -> None:
    """Queue an interrupted run to go on from the step where it stopped."""
    queue_resume(db=state.db, run_id=run_id, now=state.clock)
    _wake(state)
