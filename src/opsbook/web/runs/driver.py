"""The worker side of web runs: the job handler that drives a run with the engine."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from opsbook.errors import DomainError
from opsbook.procedures.confirm import NobodyConfirmer
from opsbook.procedures.drive import this_process
from opsbook.procedures.engine import Event, Outcome, PlanItem, RunStatus, apply
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.executors.session_shell import local_executor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.replan import drive_new_run, prepare_resume
from opsbook.procedures.run_jobs import RUN_JOB
from opsbook.procedures.service import RunEnd, execute_run
from opsbook.procedures.stores.tables import RunRow
from opsbook.runbook.loader import load_runbook
from opsbook.worker.queue import Job

if TYPE_CHECKING:
    from opsbook.web.metrics import WebMetrics
    from opsbook.web.state import AppState


class MetricsReporter:
    """The engine's Reporter for server runs: nobody watches a terminal; time each step."""

    def __init__(self, metrics: WebMetrics, procedure: str) -> None:
        self.metrics = metrics
        self.procedure = procedure

    def step_started(self, item: PlanItem) -> None:
        """Nothing to show: the page reads the run's record."""

    def retrying(self, item: PlanItem, attempt: int, failed: Mapping[str, CommandResult]) -> None:
        """Nothing to show: each attempt is in the run's record."""

    def host_finished(self, item: PlanItem, host: str, result: CommandResult, ok: bool) -> None:
        """Nothing to show: each host's attempt is in the run's record as it ends."""

    def step_finished(
        self, item: PlanItem, outcome: Outcome, results: Mapping[str, CommandResult], note: str
    ) -> None:
        for result in results.values():
            self.metrics.step_seconds.labels(self.procedure).observe(result.duration)

    @contextlib.contextmanager
    def asking(self) -> Iterator[None]:
        yield


async def drive(state: AppState, job: Job) -> None:
    """Run (or go on with) the run a job names, until it ends or waits for a person."""
    run_id = int(job.payload["run_id"])
    outcomes: dict[str, Outcome] = {}
    passed_hosts: dict[str, set[str]] = {}
    attempts_before: dict[str, int] = {}
    if job.payload.get("resume"):
        resumable = await asyncio.to_thread(
            prepare_resume,
            db=state.db,
            run_id=run_id,
            me=this_process("server"),
            environ=state.environ,
            now=state.clock,
            guard=state.run_guard,
        )
        plan, outcomes, passed_hosts = (resumable.plan, resumable.outcomes, resumable.passed_hosts)
        attempts_before = resumable.attempts_before
    else:
        try:
            plan = await asyncio.to_thread(
                drive_new_run,
                db=state.db,
                run_id=run_id,
                me=this_process("server"),
                secrets=state.run_secrets.pop(run_id, {}),
                environ=state.environ,
            )
        except DomainError as exc:
            # Recorded on the run, so it does not stay `running` with nothing driving it.
            await asyncio.to_thread(_fail_before_start, state, run_id, str(exc))
            return
    runbook = await asyncio.to_thread(load_runbook, Path(plan.runbook_path))
    task = asyncio.current_task()
    assert task is not None
    state.run_tasks[run_id] = task
    try:
        end = await execute_run(
            db=state.db,
            plan=plan,
            run_id=run_id,
            confirmer=NobodyConfirmer(),
            reporter=MetricsReporter(state.metrics, plan.target),
            local=local_executor(runbook.settings, state.environ),
            remote=SshHosts(runbook, plan=plan),
            now=state.clock,
            outcomes=outcomes,
            passed_hosts=passed_hosts,
            attempts_before=attempts_before,
        )
    except asyncio.CancelledError:
        by = state.aborted.pop(run_id, None)
        if by is None:
            raise
        await asyncio.to_thread(_say_aborted, state, run_id, by)
        state.metrics.runs_failed.labels(plan.target).inc()
        return
    finally:
        state.run_tasks.pop(run_id, None)
        state.cache.clear()
    _count_end(state, plan.target, end)


def _count_end(state: AppState, procedure: str, end: RunEnd) -> None:
    if end.status in (RunStatus.FAILED, RunStatus.ROLLED_BACK):
        state.metrics.runs_failed.labels(procedure).inc()


def _fail_before_start(state: AppState, run_id: int, why: str) -> None:
    """Record that a run could not start in this worker, so it does not stay `running`."""
    with state.db.transaction() as session:
        row = session.get(RunRow, run_id)
        if row is not None and row.status == RunStatus.RUNNING:
            row.status = str(apply(RunStatus.RUNNING, Event.FAIL))
            row.message = f"nothing was run: {why}"
            row.finished_at = state.clock()
    state.metrics.runs_failed.labels("unknown" if row is None else row.procedure).inc()


def _say_aborted(state: AppState, run_id: int, by: str) -> None:
    """Say who aborted the run, when the cancel's message did not reach its record."""
    said = f"aborted by {by} in the browser"
    with state.db.transaction() as session:
        row = session.get(RunRow, run_id)
        if row is not None and said not in row.message:
            row.message = f"{said}; {row.message}"


def request_abort(state: AppState, run_id: int, by: str) -> bool:
    """Stop a run this process is driving now (safe from any thread); say if one was."""
    task = state.run_tasks.get(run_id)
    if task is None or state.worker is None or state.worker.loop is None:
        return False
    state.aborted[run_id] = by
    # The message reaches the run's record with its interruption, in one write.
    state.worker.loop.call_soon_threadsafe(task.cancel, f"aborted by {by} in the browser")
    return True


class TaskStopper:
    """The RunStopper of this server: cancels the task that drives a run here."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def stop(self, run_id: int, by: str) -> bool:
        """Stop the run if this process drives it now; say whether it did."""
        return request_abort(self.state, run_id, by)


def register(state: AppState) -> None:
    """Give the server's worker loop the handler for run jobs."""
    if state.worker is None:
        return

    async def handler(job: Job) -> None:
        await drive(state, job)

    state.worker.add_handler(RUN_JOB, handler)
