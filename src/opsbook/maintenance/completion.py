"""After a task's run ends: its alerts settled (overdue, failed), the runbook's table kept true.

One function for every face (CLI, dashboard, worker, ping), so each does the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from opsbook.errors import Refused
from opsbook.maintenance import service
from opsbook.maintenance.failures import settle_failure
from opsbook.maintenance.overdue import check_overdue
from opsbook.maintenance.run_states import RunState
from opsbook.maintenance.runbook_cells import record_in_runbook
from opsbook.maintenance.tasks import TaskSpec, task_specs
from opsbook.maintenance.views import RunView
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database


@dataclass(frozen=True)
class Completion:
    """A finished run, the runbook version its table edit made, or why none was made."""

    run: RunView
    runbook_version: str = ""
    not_recorded: str = ""


def complete(
    *,
    db: Database,
    runbook: Runbook,
    spec: TaskSpec,
    run: RunView,
    actor: str,
    now: datetime,
    update_runbook: bool = True,
) -> Completion:
    """Settle the task's overdue alert and, after a success, write its cells in the runbook."""
    check_overdue(db=db, runbook=runbook, specs=task_specs(runbook), now=now)
    settle_failure(db=db, runbook=runbook, spec=spec, run=run, now=now)
    dry = run.detail.startswith(service.DRY_RUN)
    if run.state != RunState.SUCCEEDED or dry or not update_runbook:
        return Completion(run)
    (view,) = [v for v in service.list_tasks(db=db, specs=[spec], now=now) if v.key == spec.key]
    try:
        version = record_in_runbook(
            path=Path(runbook.path),
            spec=spec,
            completed=run.finished_at or now,
            next_due=view.next_due,
            actor=actor,
            now=now,
        )
    except Refused as exc:
        return Completion(run, "", exc.message)
    return Completion(run, version)
