"""The step a waiting run stops at, as the person who decides it sees it.

A manual step stops a run nobody watches at a terminal as `waiting`; its page and the API
show what the step asks, the command a confirmation runs, and the approvals it has and
needs. The step is read from the runbook again, as the run's plan would have it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from opsbook.procedures.engine import PlanItem, RunStatus
from opsbook.procedures.plan import PlanError, build_plan
from opsbook.procedures.service import show_run
from opsbook.procedures.stores import queries
from opsbook.procedures.views import WaitingView, WatchedRunView

if TYPE_CHECKING:
    from opsbook.procedures.drive import Clock
    from opsbook.procedures.stores.tables import RunRow
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database


def waiting_step(
    runbook: Runbook, row: RunRow, approved_by: Sequence[str], environ: Mapping[str, str]
) -> WaitingView | None:
    """Describe the step a waiting run stops at (None if it does not wait)."""
    if row.status != RunStatus.WAITING or not row.waiting_step:
        return None
    item = _plan_item(runbook, row, environ)
    if item is None:
        key = row.waiting_step
        return WaitingView(key, key, "", None, 0, tuple(approved_by))
    return WaitingView(
        item.key,
        item.label,
        item.step.text,
        item.command,
        item.step.attrs.approvals,
        tuple(approved_by),
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


def watch_run(
    *,
    db: Database,
    runbook: Runbook,
    run_id: int,
    machine: str,
    environ: Mapping[str, str],
    now: Clock,
) -> WatchedRunView | None:
    """Return a run with its attempts, confirmations and the step it waits at (None if none)."""
    run = show_run(db=db, run_id=run_id, machine=machine, now=now)
    if run is None:
        return None
    waiting = None
    with db.transaction() as session:
        row = queries.get_run(session, run_id)
        if row is not None and row.waiting_step:
            done = [a.approver for a in queries.approvals_of(session, run_id, row.waiting_step)]
            waiting = waiting_step(runbook, row, done, environ)
    return WatchedRunView.of_detail(run, waiting)
