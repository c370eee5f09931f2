"""The RPO watch and each backup set's status: the newest backup a drill proved, its age
against the runbook's RPO, the coverage of the last drills.

`watch_rpo` raises the RPO alert when the age passes the RPO (or nothing is proven at all)
and resolves it once a newer backup passes a drill; `opsbook backup status`, the dashboard
and every backup and drill call it, and the metric `opsbook_backup_proven_age_seconds`
shows the same age.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from opsbook.backups.alerting import AlertSink
from opsbook.backups.coverage import coverage
from opsbook.backups.records import (
    backup_view,
    drill_view,
    ledger_of,
    manifest_of,
    newest_drill_states,
    newest_proven,
    watch_row,
)
from opsbook.backups.rpo import RpoReading, read_rpo
from opsbook.backups.settings import BackupSpec
from opsbook.backups.states import BackupState
from opsbook.backups.tables import BackupRow, DrillRow
from opsbook.backups.views import StatusView
from opsbook.moments import span
from opsbook.store.timestamps import iso, utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from opsbook.store.database import Database

RPO_ALERT = "BackupRpoExceeded"


def status(
    *, db: Database, specs: Iterable[BackupSpec], rpo_seconds: float | None, now: datetime
) -> list[StatusView]:
    """Return each backup set's status at `now`; raise nothing."""
    with db.transaction() as session:
        return [_status(session, spec, rpo_seconds, now)[0] for spec in specs]


def watch_rpo(
    *,
    db: Database,
    specs: Iterable[BackupSpec],
    rpo_seconds: float | None,
    now: datetime,
    alerts: AlertSink,
) -> list[StatusView]:
    """Return each set's status; raise the RPO alert where it is over, resolve it where not."""
    views = []
    moves: list[tuple[str, str, datetime, RpoReading]] = []
    with db.transaction() as session:
        for spec in specs:
            view, reading = _status(session, spec, rpo_seconds, now)
            views.append(view)
            watch = watch_row(session, spec.name)
            since = utc(watch.rpo_alert_since)
            if reading.over:
                since = since or now
                watch.rpo_alert_since = since
                moves.append(("fire", spec.name, since, reading))
            elif since is not None:
                watch.rpo_alert_since = None
                moves.append(("resolve", spec.name, since, reading))
    for move, name, since, reading in moves:
        key, labels = f"backup-rpo:{name}", {"backup": name, "origin": "opsbook-backups"}
        if move == "resolve":
            alerts.resolve(key=key, name=RPO_ALERT, labels=labels, since=since, now=now)
            continue
        age = (
            "no backup has passed a restore drill"
            if reading.age_seconds is None
            else (
                f"the newest backup that passed a restore drill is {span(reading.age_seconds)} old"
            )
        )
        summary = f"backup {name}: {age}; the RPO is {span(reading.rpo_seconds or 0)}"
        alerts.fire(key=key, name=RPO_ALERT, summary=summary, labels=labels, since=since, now=now)
    return views


def _status(
    session: Session, spec: BackupSpec, rpo_seconds: float | None, now: datetime
) -> tuple[StatusView, RpoReading]:
    last = session.scalars(
        select(BackupRow)
        .where(BackupRow.name == spec.name)
        .order_by(BackupRow.started_at.desc(), BackupRow.id.desc())
        .limit(1)
    ).first()
    drill = session.scalars(
        select(DrillRow).where(DrillRow.name == spec.name).order_by(DrillRow.id.desc()).limit(1)
    ).first()
    good = session.scalars(
        select(BackupRow)
        .where(BackupRow.name == spec.name, BackupRow.state == BackupState.OK)
        .order_by(BackupRow.started_at.desc(), BackupRow.id.desc())
        .limit(1)
    ).first()
    proven_at = newest_proven(session, spec.name)
    reading = read_rpo(proven_at, rpo_seconds, now)
    files = proven = 0
    if good is not None:
        paths = [e.path for e in manifest_of(session, good.id)]
        cover = coverage(
            paths, ledger_of(session, spec.name), drill.seq if drill else 0, spec.drill.cover_within
        )
        files, proven = cover.files, cover.proven
    drilled = newest_drill_states(session, [last.id]) if last else {}
    view = StatusView(
        name=spec.name,
        driver=spec.driver,
        last_backup=backup_view(last, drilled.get(last.id)) if last else None,
        last_drill=drill_view(drill) if drill else None,
        newest_proven_at=iso(proven_at),
        proven_age_seconds=reading.age_seconds,
        rpo_seconds=rpo_seconds,
        rpo_over=reading.over,
        coverage_files=files,
        coverage_proven=proven,
        coverage_window=spec.drill.cover_within,
    )
    return view, reading
