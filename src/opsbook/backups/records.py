"""Reading and writing backup rows inside a use case's transaction; store code never commits."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from opsbook.backups.drivers.base import Stored
from opsbook.backups.manifest import ManifestEntry
from opsbook.backups.states import (
    BACKUPS,
    DRILLS,
    BackupEvent,
    BackupState,
    DrillEvent,
    DrillState,
)
from opsbook.backups.tables import BackupFileRow, BackupRow, CoverageRow, DrillRow, WatchRow
from opsbook.backups.views import BackupView, DrillView
from opsbook.store.timestamps import iso, utc
from opsbook.transitions import apply

_MANIFEST_BATCH = 5000


def here() -> tuple[int, str]:
    """Return this process's id and host, kept with a running backup or drill."""
    return os.getpid(), socket.gethostname()


def _gone(pid: int, host: str) -> bool:
    """Say whether the process that started a row is gone (only known on its own host)."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def mark_abandoned_backups(session: Session, name: str, now: datetime) -> list[BackupRow]:
    """Mark running backups of `name` whose process is gone interrupted; return the live ones."""
    live = []
    rows = session.scalars(
        select(BackupRow).where(BackupRow.name == name, BackupRow.state == BackupState.RUNNING)
    )
    for row in rows:
        if _gone(row.pid, row.host):
            row.state = apply(BACKUPS, BackupState(row.state), BackupEvent.FIND_ABANDONED)
            row.finished_at = now
            row.detail = "its process ended before the backup was complete"
        else:
            live.append(row)
    return live


def mark_abandoned_drills(session: Session, name: str, now: datetime) -> None:
    """Mark running drills of `name` whose process is gone interrupted."""
    rows = session.scalars(
        select(DrillRow).where(DrillRow.name == name, DrillRow.state == DrillState.RUNNING)
    )
    for row in rows:
        if _gone(row.pid, row.host):
            row.state = apply(DRILLS, DrillState(row.state), DrillEvent.FIND_ABANDONED)
            row.finished_at = now
            row.problems = ["its process ended before the drill was complete"]


def write_manifest(session: Session, backup_id: int, entries: Sequence[ManifestEntry]) -> None:
    """Store a backup's manifest, in batches."""
    for start in range(0, len(entries), _MANIFEST_BATCH):
        rows = [
            {
                "backup_id": backup_id,
                "path": e.path,
                "size": e.size,
                "mode": e.mode,
                "sha256": e.sha256,
            }
            for e in entries[start : start + _MANIFEST_BATCH]
        ]
        session.execute(insert(BackupFileRow), rows)


def manifest_of(session: Session, backup_id: int) -> list[ManifestEntry]:
    """Return a backup's manifest, by path."""
    rows = session.execute(
        select(BackupFileRow.path, BackupFileRow.size, BackupFileRow.mode, BackupFileRow.sha256)
        .where(BackupFileRow.backup_id == backup_id)
        .order_by(BackupFileRow.path)
    )
    return [ManifestEntry(path, size, mode, sha) for path, size, mode, sha in rows]


def ledger_of(session: Session, name: str) -> dict[str, int]:
    """Return the coverage ledger of a backup set: path -> the last drill that proved it."""
    rows = session.execute(
        select(CoverageRow.path, CoverageRow.seq).where(CoverageRow.name == name)
    )
    return {path: seq for path, seq in rows}


def prove(session: Session, name: str, paths: Sequence[str], seq: int, now: datetime) -> None:
    """Write into the ledger that drill `seq` restored these paths and found them equal."""
    known = {
        row.path: row
        for row in session.scalars(select(CoverageRow).where(CoverageRow.name == name))
    }
    for path in paths:
        row = known.get(path)
        if row is None:
            session.add(CoverageRow(name=name, path=path, seq=seq, checked_at=now))
        else:
            row.seq, row.checked_at = seq, now


def next_seq(session: Session, name: str) -> int:
    """Return the number the next drill of a backup set takes."""
    last = session.scalar(select(func.max(DrillRow.seq)).where(DrillRow.name == name))
    return (last or 0) + 1


def watch_row(session: Session, name: str) -> WatchRow:
    """Return the watch row of a backup set, made if missing."""
    row = session.get(WatchRow, name)
    if row is None:
        row = WatchRow(name=name)
        session.add(row)
        session.flush()
    return row


def stored(row: BackupRow) -> Stored:
    """Return what a driver needs to know of a recorded backup."""
    return Stored(row.id, row.location or "", row.sha256 or "", row.size or 0)


def backup_view(row: BackupRow, drilled: str | None = None) -> BackupView:
    """Return the view of a backup row."""
    return BackupView(
        id=row.id,
        name=row.name,
        driver=row.driver,
        state=str(row.state),
        started_at=iso(row.started_at) or "",
        finished_at=iso(row.finished_at),
        duration_seconds=row.duration_seconds,
        size=row.size,
        files=row.files,
        sha256=row.sha256,
        location=row.location,
        detail=row.detail,
        drilled=drilled,
    )


def drill_view(row: DrillRow, **extra: int | bool) -> DrillView:
    """Return the view of a drill row."""
    return DrillView(
        id=row.id,
        name=row.name,
        seq=row.seq,
        backup_id=row.backup_id,
        state=str(row.state),
        started_at=iso(row.started_at) or "",
        finished_at=iso(row.finished_at),
        duration_seconds=row.duration_seconds,
        checked=row.checked,
        matched=row.matched,
        mismatched=tuple(row.mismatched),
        missing=tuple(row.missing),
        problems=tuple(row.problems),
        mismatch_count=row.mismatch_count,
        missing_count=row.missing_count,
        **extra,  # type: ignore[arg-type]
    )


def newest_drill_states(session: Session, backup_ids: Sequence[int]) -> dict[int, str]:
    """Return the state of the newest drill of each of these backups that has one."""
    if not backup_ids:
        return {}
    rows = session.execute(
        select(DrillRow.backup_id, DrillRow.state)
        .where(DrillRow.backup_id.in_(backup_ids), DrillRow.state != DrillState.RUNNING)
        .order_by(DrillRow.id)
    )
    return {backup: state for backup, state in rows}


def newest_proven(session: Session, name: str) -> datetime | None:
    """Return when the newest backup of a set whose newest drill passed was started."""
    rows = session.execute(
        select(BackupRow.id, BackupRow.started_at)
        .where(BackupRow.name == name, BackupRow.state == BackupState.OK)
        .order_by(BackupRow.started_at.desc(), BackupRow.id.desc())
    ).all()
    states = newest_drill_states(session, [ident for ident, _ in rows])
    for ident, started in rows:
        if states.get(ident) == DrillState.PASSED:
            return utc(started)
    return None
