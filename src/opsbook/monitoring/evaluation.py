"""Turn a rule's state change into alert rows and a notice for the action layer.

Runs inside the use case's transaction; flushes, never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from opsbook.moments import span
from opsbook.monitoring.lifecycle import AlertEvent, AlertState
from opsbook.monitoring.linking import issue_for_metric
from opsbook.monitoring.notices import Notice, NoticeKind
from opsbook.monitoring.queries import move, naive, note
from opsbook.monitoring.rules import Change, Level, Outcome, Track, shown_level
from opsbook.monitoring.silences import Silence, silenced_by
from opsbook.monitoring.tables import AlertRow, RuleTrackRow
from opsbook.monitoring.windows import MaintenanceWindow, in_maintenance
from opsbook.runbook.model import AlertRule, Metric, Runbook
from opsbook.store.timestamps import utc


def track_of(row: RuleTrackRow) -> Track:
    """Return the pure track a row stores."""
    return Track(utc(row.warning_since), utc(row.critical_since), Level(row.firing), row.last_value)


def store_track(row: RuleTrackRow, track: Track) -> None:
    """Write a track into its row."""
    row.warning_since = naive(track.warning_since) if track.warning_since else None
    row.critical_since = naive(track.critical_since) if track.critical_since else None
    row.firing = int(track.firing)
    row.last_value = track.last_value


def summary_of(rule: AlertRule, name: str, value: float | None, level: Level) -> str:
    """Say in words what the alert is: `Disk usage is 93 (critical: > 90)`."""
    threshold = rule.critical if level is Level.CRITICAL else rule.warning
    shown = "no value" if value is None else f"{value:g}"
    if threshold is None or level is Level.OK:
        return f"{name} is {shown}"
    return f"{name} is {shown} ({level.label}: {threshold.op} {threshold.value:g})"


class RuleAlerts:
    """Applies rule outcomes to alert rows for one evaluation pass."""

    def __init__(
        self,
        session: Session,
        runbook: Runbook,
        silences: list[Silence],
        windows: tuple[MaintenanceWindow, ...],
        now: datetime,
    ) -> None:
        self.session, self.runbook, self.now = session, runbook, now
        self.silences, self.windows = silences, windows

    def apply(
        self, rule: AlertRule, metric: Metric | None, track_row: RuleTrackRow, outcome: Outcome
    ) -> Notice | None:
        """Record the change of one rule; return the notice to act on, if any."""
        change = outcome.change
        name = metric.name if metric else rule.metric
        shown = shown_level(rule, outcome.track)
        if change is None:
            if track_row.alert_id is not None and outcome.track.last_value is not None:
                row = self.session.get(AlertRow, track_row.alert_id)
                if row is not None:
                    row.value = outcome.track.last_value
                    self._describe(row, rule, name, shown)
            return None
        value = outcome.track.last_value
        if change is Change.PENDING or (change is Change.FIRED and track_row.alert_id is None):
            row = self._open(rule, metric, name, outcome, shown)
            track_row.alert_id = row.id
        row = self.session.get(AlertRow, track_row.alert_id) if track_row.alert_id else None
        if row is None:
            return None
        row.value = value
        if change is Change.PENDING:
            return None
        if change is Change.CLEARED:
            move(
                self.session,
                row,
                AlertEvent.RESOLVE,
                self.now,
                detail=f"back under the line before the hold ended ({value:g})",
            )
            track_row.alert_id = None
            return None
        if change is Change.RESOLVED:
            said = "no value" if value is None else f"{value:g}"
            row.summary = f"{name} is back under the line ({said})"
        else:
            self._describe(row, rule, name, shown)
        return self._changed(rule, row, change, track_row)

    def _describe(self, row: AlertRow, rule: AlertRule, name: str, level: Level) -> None:
        """Keep an open alert's severity and summary true to its last value."""
        if row.state == AlertState.RESOLVED.value or level is Level.OK:
            return
        row.summary = summary_of(rule, name, row.value, level)
        if row.severity != level.label:
            row.severity = level.label
            row.labels = {**row.labels, "severity": level.label}

    def _open(
        self, rule: AlertRule, metric: Metric | None, name: str, outcome: Outcome, level: Level
    ) -> AlertRow:
        since = outcome.track.warning_since or self.now
        key = metric.id if metric else rule.metric
        issue = issue_for_metric(self.runbook, metric) if metric else None
        labels = {
            "alertname": name,
            "metric": key,
            "severity": level.label,
            "origin": "opsbook",
        }
        row = AlertRow(
            key=f"rule:{key}:{since.isoformat()}",
            origin="rule",
            name=name,
            state=AlertState.PENDING.value,
            severity=level.label,
            summary=summary_of(rule, name, outcome.track.last_value, level),
            labels=labels,
            annotations={"action": rule.action},
            fingerprint=key,
            metric=key,
            issue=issue.id if issue else None,
            value=outcome.track.last_value,
            starts_at=naive(since),
            updated_at=naive(self.now),
            generator_url="",
            received=1,
            in_maintenance=False,
        )
        self.session.add(row)
        self.session.flush()
        note(
            self.session,
            row.id,
            "pending",
            self.now,
            detail=f"over the line; fires after {span(rule.for_seconds)} held",
        )
        return row

    def _changed(
        self, rule: AlertRule, row: AlertRow, change: Change, track_row: RuleTrackRow
    ) -> Notice | None:
        if change is Change.RESOLVED:
            # Nobody heard it fire (silenced, or in a maintenance window): nobody hears it end.
            muted = self._muted_reason(row) or (
                "it fired in a maintenance window" if row.in_maintenance else None
            )
            move(self.session, row, AlertEvent.RESOLVE, self.now, detail=row.summary)
            track_row.alert_id = None
            return self._notice(NoticeKind.RESOLVED, rule, row, muted)
        if change is Change.FIRED:
            move(self.session, row, AlertEvent.FIRE, self.now, detail=row.summary)
            muted = self._mute(row)
            return self._notice(NoticeKind.FIRED, rule, row, muted)
        note(self.session, row.id, str(change), self.now, detail=row.summary)
        if change is Change.ESCALATED and row.state != AlertState.RESOLVED.value:
            return self._notice(NoticeKind.ESCALATED, rule, row, self._muted_reason(row))
        return None

    def _mute(self, row: AlertRow) -> str | None:
        silence = silenced_by(self.silences, row.labels, self.now)
        if silence is not None:
            row.silence_id = silence.id
            move(
                self.session,
                row,
                AlertEvent.SILENCE,
                self.now,
                detail=f"silence #{silence.id} matches",
            )
        window = in_maintenance(self.windows, self.now)
        if window is not None:
            row.in_maintenance = True
            note(
                self.session,
                row.id,
                "maintenance",
                self.now,
                detail=f"in maintenance window {window.text}: recorded, not notified",
            )
        return self._muted_reason(row)

    def _muted_reason(self, row: AlertRow) -> str | None:
        if row.state == AlertState.SILENCED.value:
            return f"silenced by silence #{row.silence_id}"
        window = in_maintenance(self.windows, self.now)
        return f"maintenance window {window.text}" if window else None

    def _notice(
        self, kind: NoticeKind, rule: AlertRule, row: AlertRow, muted: str | None
    ) -> Notice:
        return Notice(kind, row.id, row.name, row.severity, row.summary, rule, row.issue, muted)
