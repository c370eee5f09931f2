"""The backup use cases: run a backup, list backups, apply retention.

Restore drills are in `drills`, the RPO watch in `watch`, DR drills in `dr`. Each use case
takes keyword-only arguments, opens its own transactions, returns frozen views and raises
the shared errors. A backup is recorded `running` (and committed) before its driver writes a
byte, and `ok` only after the driver returns a whole, fsynced backup: a process killed in
between leaves `running`, which the next backup of the set marks `interrupted`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from opsbook.backups.drivers.base import BackupDriver, DriverFailed, ForgetsByPolicy
from opsbook.backups.drivers.by_name import driver_for
from opsbook.backups.records import (
    backup_view,
    here,
    mark_abandoned_backups,
    newest_drill_states,
    stored,
    write_manifest,
)
from opsbook.backups.retention import Candidate, leftovers, to_remove
from opsbook.backups.settings import BackupSpec
from opsbook.backups.states import BACKUPS, BackupEvent, BackupState
from opsbook.backups.tables import BackupRow
from opsbook.backups.views import BackupView, PrunedView
from opsbook.errors import NotFound, Refused
from opsbook.store.timestamps import utc
from opsbook.transitions import apply

if TYPE_CHECKING:
    from opsbook.store.database import Database

Clock = Callable[[], datetime]
MAX_LIST = 1000


def run_backup(
    *, db: Database, spec: BackupSpec, clock: Clock, driver: BackupDriver | None = None
) -> BackupView:
    """Make one backup of the set `spec` names, record it, then apply its retention."""
    driver = driver or driver_for(spec)
    started = clock()
    pid, host = here()
    with db.transaction() as session:
        live = mark_abandoned_backups(session, spec.name, started)
        if live:
            raise Refused(
                f"backup {spec.name} is already running (#{live[0].id}, pid {live[0].pid})",
                "wait for it to finish",
            )
        row = BackupRow(
            name=spec.name,
            driver=spec.driver,
            state=BackupState.RUNNING,
            started_at=started,
            detail="",
            pid=pid,
            host=host,
        )
        session.add(row)
        session.flush()
        ident = row.id
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    try:
        written = driver.back_up(spec, ident=ident, stamp=stamp)
    except DriverFailed as exc:
        return _finish(db, ident, clock(), failure=str(exc))
    except Exception as exc:  # recorded failed, never left running, then raised
        _finish(db, ident, clock(), failure=f"{type(exc).__name__}: {exc}")
        raise
    with db.transaction() as session:
        write_manifest(session, ident, written.manifest)
        row = session.get_one(BackupRow, ident)
        row.location, row.sha256, row.size = written.location, written.sha256, written.size
        row.files = len(written.manifest)
        row.detail = written.detail
    view = _finish(db, ident, clock())
    if spec.keep.keeps_all:
        return view
    prune(db=db, spec=spec, now=clock(), driver=driver)
    return view


def _finish(db: Database, ident: int, now: datetime, failure: str | None = None) -> BackupView:
    """Mark a running backup ok (its data whole and recorded) or failed."""
    with db.transaction() as session:
        row = session.get_one(BackupRow, ident)
        event = BackupEvent.FAIL if failure is not None else BackupEvent.FINISH
        row.state = apply(BACKUPS, BackupState(row.state), event)
        row.finished_at = now
        row.duration_seconds = max(0.0, (now - (utc(row.started_at) or now)).total_seconds())
        if failure is not None:
            row.detail = failure
        return backup_view(row)


def list_backups(*, db: Database, name: str | None = None, limit: int = 50) -> list[BackupView]:
    """Return backups (of one set, if named), newest first, each with its newest drill's state."""
    with db.transaction() as session:
        query = select(BackupRow).order_by(BackupRow.started_at.desc(), BackupRow.id.desc())
        if name is not None:
            query = query.where(BackupRow.name == name)
        rows = list(session.scalars(query.limit(max(1, min(limit, MAX_LIST)))))
        drilled = newest_drill_states(session, [r.id for r in rows])
        return [backup_view(r, drilled.get(r.id)) for r in rows]


def show_backup(*, db: Database, backup_id: int) -> BackupView:
    """Return one backup."""
    with db.transaction() as session:
        row = session.get(BackupRow, backup_id)
        if row is None:
            raise NotFound(f"no backup #{backup_id}", "see `opsbook backup list`")
        return backup_view(row, newest_drill_states(session, [row.id]).get(row.id))


def prune(
    *, db: Database, spec: BackupSpec, now: datetime, driver: BackupDriver | None = None
) -> PrunedView:
    """Remove the backups the set's retention policy no longer keeps; their records stay.

    A driver whose tool keeps by policy itself (restic's `forget --keep-*`) decides which
    good backups go; opsbook marks pruned the ones whose data the tool says it removed."""
    driver = driver or driver_for(spec)
    by_tool = isinstance(driver, ForgetsByPolicy)
    with db.transaction() as session:
        rows = list(
            session.scalars(
                select(BackupRow).where(
                    BackupRow.name == spec.name,
                    BackupRow.state.in_(
                        [BackupState.OK, BackupState.FAILED, BackupState.INTERRUPTED]
                    ),
                )
            )
        )
        candidates = [
            Candidate(r.id, utc(r.started_at) or now, r.state == BackupState.OK) for r in rows
        ]
        gone = set(leftovers(candidates) if by_tool else to_remove(candidates, spec.keep, now))
        doomed = [stored(r) for r in rows if r.id in gone]
        located = {r.id: r.location for r in rows if r.state == BackupState.OK and r.location}
    if isinstance(driver, ForgetsByPolicy):
        removed = driver.forget(spec)
        gone |= {i for i, at in located.items() if any(full.startswith(at) for full in removed)}
    else:
        driver.remove(spec, [d for d in doomed if d.location])
    with db.transaction() as session:
        for ident in sorted(gone):
            row = session.get_one(BackupRow, ident)
            row.state = apply(BACKUPS, BackupState(row.state), BackupEvent.PRUNE)
            row.pruned_at = now
    kept = sum(1 for c in candidates if c.good and c.id not in gone)
    return PrunedView(spec.name, tuple(sorted(gone)), kept)
