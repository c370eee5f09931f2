"""The configuration use cases: record a baseline, check for drift, accept a drift.

Files are read before the transaction opens (a read over SSH can take seconds); each use
case then owns one transaction. An unexplained drift raises a ConfigDrift alert in the
drift check's transaction (`drift_alerts`); a file put back or a change accepted resolves it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import update

from opsbook.deploy.attribution import StepTouch, cause_of, changed_since
from opsbook.deploy.baselines import (
    add_version,
    baseline_view,
    current_baselines,
    state_of,
    versions_of,
)
from opsbook.deploy.config_targets import ConfigTarget
from opsbook.deploy.deployed import deployed
from opsbook.deploy.drift_alerts import ALERT_NAME, RECEIVER, digest, drift_alert
from opsbook.deploy.drift_rules import changes, unified_diff
from opsbook.deploy.file_state import FileReader, FileState
from opsbook.deploy.masking import Masker, copy_allowed
from opsbook.deploy.run_touches import deploy_runs, touches_since
from opsbook.deploy.tables import ConfigBaselineRow
from opsbook.deploy.views import (
    BaselineView,
    CauseView,
    ChangeView,
    DeployedView,
    DriftReport,
    DriftView,
)
from opsbook.errors import NotFound
from opsbook.inputs import check_text
from opsbook.store.timestamps import utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from opsbook.monitoring.alertmanager import AmAlert
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

MAX_ACTOR = 200


def record_baseline(
    *,
    db: Database,
    targets: list[ConfigTarget],
    reader: FileReader,
    masker: Masker,
    actor: str,
    now: datetime,
) -> list[BaselineView]:
    """Make each file as it is now its baseline (a new version only where it differs)."""
    check_text(actor, field="actor", max_length=MAX_ACTOR)
    states = reader.read(targets)
    out: list[BaselineView] = []
    with db.transaction() as session:
        current = current_baselines(session, [t.key for t in targets])
        for target in targets:
            state, row = states[target.key], current.get(target.key)
            if row is not None and not changes(state_of(row), state):
                out.append(baseline_view(row))
                continue
            text = _copy(target, state, masker)
            row = add_version(
                session,
                target,
                state,
                text,
                actor=actor,
                reason=f"recorded by {actor}",
                now=now,
                previous=row,
            )
            out.append(baseline_view(row))
    return out


def check_drift(
    *,
    db: Database,
    runbook: Runbook,
    targets: list[ConfigTarget],
    reader: FileReader,
    masker: Masker,
    now: datetime,
    alert: bool = True,
) -> DriftReport:
    """Compare each file with its baseline; label changes opsbook runs made; alert on others."""
    states = reader.read(targets)
    raised: list[str] = []
    resolved: list[str] = []
    with db.transaction() as session:
        current = current_baselines(session, [t.key for t in targets])
        since = min((utc(r.recorded_at) or now for r in current.values()), default=now)
        touches = touches_since(session, since) if current else []
        views: list[DriftView] = []
        alerts: list[AmAlert] = []
        for target in targets:
            state, row = states[target.key], current.get(target.key)
            view = _drift_view(target, state, row, touches, masker, now)
            views.append(view)
            if row is None or not alert:
                continue
            wanted = digest(state) if view.status == "drifted" and not view.explained else None
            if wanted == row.alerted_for:
                continue
            if row.alerted_for is not None and row.alert_started_at is not None:
                started = utc(row.alert_started_at)
                assert started is not None
                alerts.append(drift_alert(view, started, now, firing=False))
                resolved.append(target.key)
            if wanted is not None:
                alerts.append(drift_alert(view, view.changed_at or now, now, firing=True))
                raised.append(target.key)
            _mark_alert(session, row, wanted, view.changed_at or now if wanted else None)
        if alerts:
            _store_alerts(session, runbook, alerts, now)
    drifted = [v for v in views if v.status == "drifted"]
    return DriftReport(
        files=tuple(views),
        drifted=len(drifted),
        unexplained=sum(1 for v in drifted if not v.explained),
        alerts_raised=tuple(raised),
        alerts_resolved=tuple(resolved),
    )


def accept_drift(
    *,
    db: Database,
    runbook: Runbook,
    targets: list[ConfigTarget],
    reader: FileReader,
    masker: Masker,
    actor: str,
    now: datetime,
) -> list[BaselineView]:
    """Move the baseline of each drifted file forward to what it is now, keeping the old one."""
    check_text(actor, field="actor", max_length=MAX_ACTOR)
    states = reader.read(targets)
    accepted: list[BaselineView] = []
    with db.transaction() as session:
        current = current_baselines(session, [t.key for t in targets])
        since = min((utc(r.recorded_at) or now for r in current.values()), default=now)
        touches = touches_since(session, since) if current else []
        alerts: list[AmAlert] = []
        for target in targets:
            state, row = states[target.key], current.get(target.key)
            view = _drift_view(target, state, row, touches, masker, now)
            if view.status != "drifted" or row is None:
                continue
            cause = view.cause
            reason = (
                f"accepted by {actor}: changed by run {cause.run_id} ({cause.procedure}), "
                f"step {cause.step}"
                if cause
                else f"accepted by {actor}: changed outside opsbook"
            )
            if row.alerted_for is not None and row.alert_started_at is not None:
                started = utc(row.alert_started_at)
                assert started is not None
                alerts.append(drift_alert(view, started, now, firing=False))
            text = _copy(target, state, masker)
            new = add_version(
                session, target, state, text, actor=actor, reason=reason, now=now, previous=row
            )
            accepted.append(baseline_view(new))
        if alerts:
            _store_alerts(session, runbook, alerts, now)
    return accepted


def list_versions(*, db: Database, target: ConfigTarget) -> list[BaselineView]:
    """Return every accepted version of one file, newest first."""
    with db.transaction() as session:
        rows = versions_of(session, target.key)
        if not rows:
            raise NotFound(f"no baseline of {target.file}: run `opsbook config baseline` first")
        return [baseline_view(r) for r in rows]


def deployed_versions(*, db: Database) -> list[DeployedView]:
    """Return each deployment target's current and previous version, from the runs."""
    with db.transaction() as session:
        return deployed(deploy_runs(session))


def _drift_view(
    target: ConfigTarget,
    state: FileState,
    row: ConfigBaselineRow | None,
    touches: list[StepTouch],
    masker: Masker,
    now: datetime,
) -> DriftView:
    if row is None:
        return DriftView(
            target.key, target.file, target.host, target.path, "no baseline",
            None, (), "", state.changed_at, None,
        )  # fmt: skip
    found = changes(state_of(row), state)
    if not found:
        return DriftView(
            target.key, target.file, target.host, target.path, "unchanged",
            row.version, (), "", state.changed_at, None,
        )  # fmt: skip
    text = _copy(target, state, masker)
    diff = (
        unified_diff(row.text, text, target.path) if any(c.kind == "content" for c in found) else ""
    )
    recorded = utc(row.recorded_at)
    cause = None
    changed_at = state.changed_at
    if changed_at is not None and recorded is not None and changed_since(changed_at, recorded):
        cause = cause_of(
            host=target.host,
            path=target.path,
            changed_at=changed_at,
            touches=touches,
            now=now,
        )
    return DriftView(
        key=target.key,
        file=target.file,
        host=target.host,
        path=target.path,
        status="drifted",
        baseline_version=row.version,
        changes=tuple(ChangeView(c.kind, c.before, c.after) for c in found),
        diff=diff,
        changed_at=state.changed_at,
        cause=CauseView(cause.run_id, cause.procedure, cause.step, cause.text, cause.names_file)
        if cause
        else None,
    )


def _copy(target: ConfigTarget, state: FileState, masker: Masker) -> str | None:
    if state.text is None or not copy_allowed(target.path):
        return None
    return masker.mask(state.text)


def _mark_alert(
    session: Session, row: ConfigBaselineRow, wanted: str | None, started: datetime | None
) -> None:
    session.execute(
        update(ConfigBaselineRow)
        .where(ConfigBaselineRow.id == row.id)
        .values(
            alerted_for=wanted,
            alert_started_at=started.astimezone(UTC).replace(tzinfo=None) if started else None,
        )
        .execution_options(synchronize_session=False)
    )


def _store_alerts(session: Session, runbook: Runbook, alerts: list[AmAlert], now: datetime) -> None:
    # lazy: the monitoring domain is loaded only where alerts are written
    from opsbook.monitoring.ingest import store_own_alerts

    store_own_alerts(
        session, alerts=alerts, name=ALERT_NAME, receiver=RECEIVER, runbook=runbook, now=now
    )
