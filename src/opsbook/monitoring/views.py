"""What monitoring's use cases return: typed, frozen read models. Pure.

Times are aware UTC datetimes; the faces present them (the API's schemas in
`web/alert_schemas.py`, the CLI's `--json`), both as ISO 8601 text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AlertView:
    """One alert as stored: where it came from, its state and what was done about it."""

    id: int
    name: str
    state: str
    severity: str
    origin: str  # rule | alertmanager
    summary: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    fingerprint: str
    group_key: str | None
    metric: str | None
    issue: str | None
    value: float | None
    starts_at: datetime | None
    ends_at: datetime | None
    updated_at: datetime | None
    last_seen_at: datetime | None
    received: int
    generator_url: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    silence_id: int | None
    in_maintenance: bool
    notified_at: datetime | None
    escalated_at: datetime | None
    run_id: int | None


@dataclass(frozen=True)
class HistoryLineView:
    """A line of an alert's history: a change of state, a note, an action taken."""

    at: datetime | None
    kind: str
    actor: str
    detail: str


@dataclass(frozen=True)
class NotificationView:
    """One attempt to notify someone of an alert."""

    channel: str
    target: str
    attempt: int
    ok: bool
    error: str | None
    at: datetime | None


@dataclass(frozen=True)
class AlertHistoryView(AlertView):
    """One alert with its history and its notification attempts, oldest first."""

    history: tuple[HistoryLineView, ...]
    notifications: tuple[NotificationView, ...]


@dataclass(frozen=True)
class SilenceView:
    """A silence: its matchers, when it holds, and the open alerts it muted when made."""

    id: int
    matchers: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    silenced_alerts: tuple[int, ...]
    created_by: str
    comment: str


@dataclass(frozen=True)
class MetricStatusView:
    """A Key Metric's latest reading (or error), whether it is stale, and its thresholds."""

    metric: str
    name: str
    source: str
    value: float | None
    error: str | None
    at: datetime | None
    stale: bool
    warning: str | None  # the rule's line as written, "> 80"
    critical: str | None
    level: str = "ok"  # the line the last value crosses: ok, warning or critical


@dataclass(frozen=True)
class SeriesView:
    """A metric's samples over a span, oldest first, with the rule's lines to draw."""

    metric: str
    series: str
    times: tuple[float, ...]  # Unix seconds
    values: tuple[float | None, ...]
    warning: float | None
    critical: float | None
    start: float = 0.0  # the time axis to draw, Unix seconds: at least the last hour
    end: float = 0.0
    hold: float | None = None  # the rule's `for`: seconds over a line before it fires
    pending: tuple[float, ...] = ()  # when an alert of this metric went over a line
    fired: tuple[float, ...] = ()  # when it fired, the hold after


@dataclass(frozen=True)
class IngestResult:
    """What one webhook notification did: new, repeated, resolved, dropped and changed alerts."""

    received: int
    created: int
    updated: int
    resolved: int
    dropped: int = 0  # alerts beyond the per-request maximum, not stored
    adjusted: tuple[str, ...] = ()  # values changed to be storable (cut, replaced, unset)
