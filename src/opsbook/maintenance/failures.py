"""A failed run raises an alert through the monitoring domain; the next success resolves it.

So what a run found reaches people the way any alert does (notify, run, incident,
escalation): `MaintenanceFailed`, its summary the run's first line (a certificate check's
worst certificate, named, with its days left), `critical` when that line says CRITICAL or
EXPIRED. One alert per stretch of failures: it starts at the first, repeats update it, and
it resolves with the first success after them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update

from opsbook.maintenance.overdue import RECEIVER
from opsbook.maintenance.rows import naive
from opsbook.maintenance.run_states import RunState
from opsbook.maintenance.tables import TaskStateRow
from opsbook.maintenance.tasks import TaskSpec
from opsbook.maintenance.views import RunView
from opsbook.runbook.model import Runbook
from opsbook.store.timestamps import utc

if TYPE_CHECKING:
    from opsbook.monitoring.alertmanager import AmAlert
    from opsbook.store.database import Database

ALERT_NAME = "MaintenanceFailed"


def settle_failure(
    *, db: Database, runbook: Runbook, spec: TaskSpec, run: RunView, now: datetime
) -> str | None:
    """Raise, repeat or resolve the task's failure alert after a run; return what it did."""
    from opsbook.monitoring.ingest import store_own_alerts

    failed = run.state == RunState.FAILED
    succeeded = run.state == RunState.SUCCEEDED and not run.detail.startswith("dry run")
    if not (failed or succeeded):
        return None
    with db.transaction() as session:
        row = session.get(TaskStateRow, spec.key)
        if row is None:
            return None
        since = utc(row.failing_since)
        if succeeded and since is None:
            return None
        if failed and since is None:
            moment = run.finished_at or now
            taken = session.execute(
                update(TaskStateRow)
                .where(TaskStateRow.key == spec.key, TaskStateRow.failing_since.is_(None))
                .values(failing_since=naive(moment))
                .execution_options(synchronize_session=False)
            )
            if not getattr(taken, "rowcount", 0):
                return None  # another worker raised it
            since, said = moment, "raised"
        elif failed:
            said = "repeated"
        else:
            row.failing_since = None
            said = "resolved"
        assert since is not None
        alert = _alert(spec, run, since, now, firing=failed)
        store_own_alerts(
            session, alerts=[alert], name=ALERT_NAME, receiver=RECEIVER, runbook=runbook, now=now
        )
    return said


def _alert(
    spec: TaskSpec, run: RunView, since: datetime, now: datetime, *, firing: bool
) -> AmAlert:
    from opsbook.monitoring.alertmanager import AmAlert

    first = (run.detail.splitlines() or [""])[0][:500]
    urgent = first.startswith(("CRITICAL", "EXPIRED"))
    summary = f'Maintenance task "{spec.name}" failed: {first or run.state}'
    return AmAlert(
        status="firing" if firing else "resolved",
        labels={
            "alertname": ALERT_NAME,
            "task": spec.key,
            "severity": "critical" if urgent else "warning",
            **({"owner": spec.owner} if spec.owner else {}),
        },
        annotations={
            "summary": summary if firing else f'Maintenance task "{spec.name}" succeeded again',
            "description": run.detail[:4000],
            "run": str(run.id),
        },
        startsAt=since,
        endsAt=None if firing else now,
        fingerprint=f"maintenance-failed:{spec.key}",
    )
