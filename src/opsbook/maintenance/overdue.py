"""Overdue tasks raise alerts through the monitoring domain, and a success resolves them.

The alert is written the way an Alertmanager notification is (`monitoring.ingest`), in
this use case's transaction: deduplicated by its fingerprint, grouped, linked, silenced by
a matching silence, and queued for the runbook's actions (`alert_routes:` notify, run or
incident; escalation) exactly as any alert. One alert per task and due time: its start is
the due time, so a worker raising it again finds it stored. Of several workers the one
whose compare-and-set on the task's `overdue_for` wins writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update

from opsbook.maintenance.rows import naive, states
from opsbook.maintenance.status import Standing, position
from opsbook.maintenance.tables import TaskStateRow
from opsbook.maintenance.tasks import TaskSpec
from opsbook.maintenance.views import OverdueView
from opsbook.runbook.model import Runbook
from opsbook.store.timestamps import utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from opsbook.monitoring.alertmanager import AmAlert
    from opsbook.store.database import Database

ALERT_NAME = "MaintenanceOverdue"
RECEIVER = "opsbook-maintenance"


def check_overdue(
    *, db: Database, runbook: Runbook, specs: Sequence[TaskSpec], now: datetime
) -> OverdueView:
    """Raise an alert for each task newly overdue; resolve those of tasks done since."""
    # lazy: the monitoring domain is loaded only where alerts are written
    from opsbook.maintenance.service import sync_tasks
    from opsbook.monitoring.ingest import store_own_alerts

    sync_tasks(db=db, specs=specs, now=now)
    raised: list[str] = []
    resolved: list[str] = []
    with db.transaction() as session:
        rows = states(session)
        alerts: list[AmAlert] = []
        for spec in specs:
            row = rows[spec.key]
            anchor = utc(row.anchor_at)
            assert anchor is not None
            where = position(
                spec,
                anchor=anchor,
                last_success=utc(row.last_success_at),
                started=utc(row.started_at),
                now=now,
            )
            open_for = utc(row.overdue_for)
            late_for = where.next_due if where.standing is Standing.OVERDUE else None
            if open_for == late_for:
                continue
            if not _claim(session, spec.key, row.overdue_for, late_for):
                continue  # another worker saw it first
            if open_for is not None:
                alerts.append(_alert(spec, open_for, now, firing=False))
                resolved.append(spec.key)
            if late_for is not None:
                alerts.append(_alert(spec, late_for, now, firing=True))
                raised.append(spec.key)
        if alerts:
            store_own_alerts(
                session, alerts=alerts, name=ALERT_NAME, receiver=RECEIVER, runbook=runbook, now=now
            )
    return OverdueView(tuple(raised), tuple(resolved))


def _claim(session: Session, key: str, seen: datetime | None, new: datetime | None) -> bool:
    was = TaskStateRow.overdue_for
    result = session.execute(
        update(TaskStateRow)
        .where(TaskStateRow.key == key, was.is_(None) if seen is None else was == seen)
        .values(overdue_for=naive(new) if new else None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _alert(spec: TaskSpec, due: datetime, now: datetime, *, firing: bool) -> AmAlert:
    from opsbook.monitoring.alertmanager import AmAlert

    late = now - due
    grace = timedelta(seconds=spec.grace_seconds)
    summary = (
        f'Maintenance task "{spec.name}" is overdue: due {due:%Y-%m-%d %H:%M} UTC, '
        f"{_hours(late)} ago (grace {_hours(grace)})"
    )
    return AmAlert(
        status="firing" if firing else "resolved",
        labels={
            "alertname": ALERT_NAME,
            "task": spec.key,
            "severity": "warning",
            **({"owner": spec.owner} if spec.owner else {}),
        },
        annotations={
            "summary": summary if firing else f'Maintenance task "{spec.name}" was done',
            "frequency": spec.frequency.text,
        },
        startsAt=due,
        endsAt=None if firing else now,
        fingerprint=f"maintenance:{spec.key}",
    )


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"
