"""The web's face of the run use cases: who is asking, this process, HTTP errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fastapi import HTTPException

from opsbook.procedures.confirm import Decision
from opsbook.procedures.drive import this_process
from opsbook.procedures.engine import RunStatus
from opsbook.runbook.secret_names import is_secret_name
from opsbook.web.runs import control
from opsbook.web.runs.driver import request_abort

if TYPE_CHECKING:
    from opsbook.access.model import Principal
    from opsbook.web.state import AppState


def _refused(exc: control.RunRefused) -> HTTPException:
    return HTTPException(exc.status, exc.message)


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
    run_id = control.start(
        db=state.db,
        runbook=state.source.runbook,
        procedure=procedure,
        params=params,
        host=host,
        me=this_process(principal.name),
        environ=state.environ,
        now=state.clock,
        guard=state.run_guard,
    )
    secrets = {k: v for k, v in params.items() if is_secret_name(k)}
    if secrets:
        state.run_secrets[run_id] = secrets
    control.queue(state.db, run_id=run_id, resume=False, now=state.clock)
    state.metrics.runs_started.labels(procedure).inc()
    _wake(state)
    return run_id


def answer(state: AppState, run_id: int, decision: Decision, principal: Principal) -> None:
    """Record a person's answer to the step a run waits at, and let the run go on."""
    try:
        control.answer(
            db=state.db,
            runbook=state.source.runbook,
            run_id=run_id,
            decision=decision,
            by=principal.name,
            environ=state.environ,
            now=state.clock,
        )
    except control.RunRefused as exc:
        raise _refused(exc) from None
    _wake(state)


def approve(state: AppState, run_id: int, principal: Principal) -> None:
    """Record an approval; the run goes on once the step has enough."""
    try:
        control.approve(
            db=state.db,
            runbook=state.source.runbook,
            run_id=run_id,
            by=principal.name,
            environ=state.environ,
            now=state.clock,
        )
    except control.RunRefused as exc:
        raise _refused(exc) from None
    _wake(state)


def abort(state: AppState, run_id: int, principal: Principal) -> None:
    """Abort a waiting run at its step, or stop a running one this process drives."""
    try:
        status = control.status_of(state.db, run_id)
    except control.RunRefused as exc:
        raise _refused(exc) from None
    if status == RunStatus.RUNNING:
        if request_abort(state, run_id, principal.name):
            return
        raise HTTPException(409, f"run {run_id} is driven by another process; abort it there")
    # A waiting run is aborted at its step. One that has ended since (someone decided first)
    # is refused by the same path, which says who decided what and when.
    answer(state, run_id, Decision.ABORTED, principal)


def resume(state: AppState, run_id: int) -> None:
    """Queue an interrupted run to go on from the step where it stopped."""
    try:
        status = control.status_of(state.db, run_id)
    except control.RunRefused as exc:
        raise _refused(exc) from None
    if status != RunStatus.INTERRUPTED:
        raise HTTPException(409, f"run {run_id} is {status}; only an interrupted run resumes")
    control.queue(state.db, run_id=run_id, resume=True, now=state.clock)
    _wake(state)
