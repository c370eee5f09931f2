"""Restore drills: restore part of a backup into a scratch directory and prove its bytes.

Which files: the coverage ledger's rule (`coverage.pick`), so every file is proven within
`cover_within` drills. Proven against what: the manifest taken when the backup was made,
never the live files. A drill that finds a file different or missing, or a backup that no
longer reads, fails and raises an alert; the next drill that passes resolves it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsbook.backups.alerting import AlertSink
from opsbook.backups.comparison import MAX_LISTED, Verdict, judge
from opsbook.backups.coverage import coverage, pick
from opsbook.backups.drivers.base import BackupDriver, DriverFailed
from opsbook.backups.drivers.by_name import driver_for
from opsbook.backups.records import (
    drill_view,
    here,
    ledger_of,
    manifest_of,
    mark_abandoned_drills,
    next_seq,
    prove,
    stored,
    watch_row,
)
from opsbook.backups.settings import BackupSpec
from opsbook.backups.states import DRILLS, BackupState, DrillEvent, DrillState
from opsbook.backups.tables import BackupRow, DrillRow
from opsbook.backups.verification import verify_files
from opsbook.backups.views import DrillView
from opsbook.errors import NotFound, Refused
from opsbook.store.timestamps import utc
from opsbook.transitions import apply

if TYPE_CHECKING:
    from opsbook.store.database import Database

DRILL_ALERT = "BackupRestoreDrillFailed"


def run_drill(
    *,
    db: Database,
    spec: BackupSpec,
    clock: Callable[[], datetime],
    alerts: AlertSink,
    backup_id: int | None = None,
    scratch_root: Path | None = None,
    driver: BackupDriver | None = None,
) -> DrillView:
    """Restore the ledger's next files of a backup (default: the newest good one) and prove them."""
    driver = driver or driver_for(spec)
    started = clock()
    pid, host = here()
    with db.transaction() as session:
        mark_abandoned_drills(session, spec.name, started)
        backup = _backup_to_drill(session, spec.name, backup_id)
        manifest = manifest_of(session, backup.id)
        ledger = ledger_of(session, spec.name)
        seq = next_seq(session, spec.name)
        paths = pick([e.path for e in manifest], ledger, spec.drill)
        row = DrillRow(
            name=spec.name,
            seq=seq,
            backup_id=backup.id,
            state=DrillState.RUNNING,
            started_at=started,
            pid=pid,
            host=host,
        )
        session.add(row)
        session.flush()
        ident, target = row.id, stored(backup)
    chosen = set(paths)
    wanted = [e for e in manifest if e.path in chosen]
    scratch = Path(tempfile.mkdtemp(prefix=f"opsbook-drill-{spec.name}-", dir=scratch_root))
    try:
        try:
            restored = driver.restore(spec, target, paths, scratch, seq - 1)
        except DriverFailed as exc:
            verdict = judge(wanted, {}, [str(exc)])
        except OSError as exc:  # the scratch directory, the tool: a drill that cannot restore
            verdict = judge(wanted, {}, [f"the restore failed: {exc}"])
        else:
            verdict = verify_files(wanted, restored.files, restored.problems)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    bad = set(verdict.mismatched) | set(verdict.missing)
    proven = [e.path for e in wanted if e.path not in bad]
    return _record(db, spec, ident, verdict, proven, clock(), alerts)


def _backup_to_drill(session: Session, name: str, backup_id: int | None) -> BackupRow:
    if backup_id is not None:
        row = session.get(BackupRow, backup_id)
        if row is None or row.name != name:
            raise NotFound(f"no backup #{backup_id} of {name}", "see `opsbook backup list`")
        if row.state != BackupState.OK:
            raise Refused(f"backup #{backup_id} is {row.state}: only a good backup can be drilled")
        return row
    row = session.scalars(
        select(BackupRow)
        .where(BackupRow.name == name, BackupRow.state == BackupState.OK)
        .order_by(BackupRow.started_at.desc(), BackupRow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(
            f"backup set {name} has no good backup to drill", f"run `opsbook backup run {name}`"
        )
    return row


def _record(
    db: Database,
    spec: BackupSpec,
    ident: int,
    verdict: Verdict,
    proven: list[str],
    now: datetime,
    alerts: AlertSink,
) -> DrillView:
    """Store the drill's verdict and the files it proved; raise or resolve the drill alert."""
    with db.transaction() as session:
        row = session.get_one(DrillRow, ident)
        event = DrillEvent.PASS if verdict.passed else DrillEvent.FAIL
        row.state = apply(DRILLS, DrillState(row.state), event)
        row.finished_at = now
        row.duration_seconds = max(0.0, (now - (utc(row.started_at) or now)).total_seconds())
        row.checked, row.matched = verdict.checked, verdict.matched
        row.mismatched = list(verdict.mismatched[:MAX_LISTED])
        row.missing = list(verdict.missing[:MAX_LISTED])
        row.problems = list(verdict.problems[:MAX_LISTED])
        row.mismatch_count, row.missing_count = len(verdict.mismatched), len(verdict.missing)
        prove(session, spec.name, proven, row.seq, now)
        watch = watch_row(session, spec.name)
        open_since = utc(watch.drill_alert_since)
        watch.drill_alert_since = None if verdict.passed else (open_since or now)
        paths = [e.path for e in manifest_of(session, row.backup_id)]
        cover = coverage(paths, ledger_of(session, spec.name), row.seq, spec.drill.cover_within)
        view = drill_view(
            row,
            coverage_files=cover.files,
            coverage_proven=cover.proven,
            coverage_window=cover.window,
            alerted=not verdict.passed,
        )
    labels = {"backup": spec.name, "origin": "opsbook-backups"}
    key = f"backup-drill:{spec.name}"
    if not verdict.passed:
        summary = f"restore drill #{ident} of backup {spec.name} failed: {verdict.summary()}"
        since = open_since or now
        alerts.fire(key=key, name=DRILL_ALERT, summary=summary, labels=labels, since=since, now=now)
    elif open_since is not None:
        alerts.resolve(key=key, name=DRILL_ALERT, labels=labels, since=open_since, now=now)
    return view


def list_drills(*, db: Database, name: str | None = None, limit: int = 50) -> list[DrillView]:
    """Return restore drills (of one set, if named), newest first."""
    with db.transaction() as session:
        query = select(DrillRow).order_by(DrillRow.id.desc()).limit(max(1, min(limit, 1000)))
        if name is not None:
            query = query.where(DrillRow.name == name)
        return [drill_view(r) for r in session.scalars(query)]
