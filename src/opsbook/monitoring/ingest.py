"""Store one Alertmanager notification: dedup by fingerprint, resolve, group, link.

Built for floods: one SELECT for the keys already known, one multi-row INSERT for new alerts
(a key that appears meanwhile is skipped by the database, never duplicated), one bulk UPDATE
for the rest, all in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from opsbook.monitoring.alertmanager import AmAlert, AmPayload, severity_of
from opsbook.monitoring.lifecycle import OPEN, AlertState
from opsbook.monitoring.linking import Link, link_alert
from opsbook.monitoring.records import naive
from opsbook.monitoring.silences import Silence, silenced_by
from opsbook.runbook.model import Runbook

_CHUNK = 500


@dataclass(frozen=True)
class IngestResult:
    received: int
    created: int
    updated: int
    resolved: int
    new_ids: tuple[int, ...] = ()

    def data(self) -> dict[str, Any]:
        """Return the result as JSON data."""
        return {
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "resolved": self.resolved,
        }


_COLUMNS = (
    "key",
    "origin",
    "name",
    "state",
    "severity",
    "summary",
    "labels",
    "annotations",
    "fingerprint",
    "group_key",
    "metric",
    "issue",
    "value",
    "starts_at",
    "ends_at",
    "updated_at",
    "received",
    "generator_url",
    "silence_id",
    "in_maintenance",
)
_JSON = frozenset({"labels", "annotations"})
_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _Writer:
    """Executemany at the driver level: the ORM costs more than SQLite itself here."""

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        # Alerts of one notification mostly share their start time: format each once.
        self.formatted: dict[datetime, str] = {}
        mark = "%s" if self.postgres else "?"
        cast = "::json" if self.postgres else ""
        marks = ", ".join(mark + (cast if c in _JSON else "") for c in _COLUMNS)
        self.insert_sql = (
            f"INSERT INTO alerts ({', '.join(_COLUMNS)}) VALUES ({marks}) "
            "ON CONFLICT (key) DO NOTHING"
        )
        self.update_sql = (
            # A repeat touches no indexed column: SQLite rewrites the row, no index.
            f"UPDATE alerts SET received = received + 1, last_seen_at = {mark}, "
            f"annotations = {mark}{cast} WHERE id = {mark}"
        )
        self.resolve_sql = (
            f"UPDATE alerts SET state = {mark}, ends_at = {mark}, updated_at = {mark} "
            f"WHERE id = {mark}"
        )
        self.event_sql = (
            "INSERT INTO alert_events (alert_id, at, kind, actor, detail) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})"
        )

    def moment(self, value: datetime) -> Any:
        """Return a datetime as the driver should receive it (SQLAlchemy's SQLite format)."""
        if self.postgres:
            return value
        text = self.formatted.get(value)
        if text is None:
            text = self.formatted[value] = naive(value).strftime("%Y-%m-%d %H:%M:%S.%f")
        return text

    def known(self, keys: list[str]) -> dict[str, tuple[int, str, int]]:
        """Return id, state and received count of the keys already stored."""
        found: dict[str, tuple[int, str, int]] = {}
        mark = "%s" if self.postgres else "?"
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            sql = (
                "SELECT key, id, state, received FROM alerts WHERE key IN "
                f"({', '.join([mark] * len(chunk))})"
            )
            for key, ident, state, received in self.connection.exec_driver_sql(sql, tuple(chunk)):
                found[key] = (ident, state, received)
        return found

    def run(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.connection.exec_driver_sql(sql, rows)


def store_notification(
    session: Session, payload: AmPayload, runbook: Runbook, silences: list[Silence], now: datetime
) -> IngestResult:
    """Write the payload's alerts; return how many were new, updated and resolved."""
    latest: dict[str, AmAlert] = {}
    starts: dict[datetime, str] = {}  # one notification's alerts mostly share startsAt
    for alert in payload.alerts:
        latest[
            alert.key(
                starts.get(alert.startsAt)
                or starts.setdefault(alert.startsAt, alert.startsAt.isoformat())
            )
        ] = alert
    writer = _Writer(session)
    known = writer.known(list(latest))
    at = writer.moment(now)
    links: dict[tuple[str, str], Link] = {}
    fresh: list[tuple[Any, ...]] = []
    bumped: list[tuple[Any, ...]] = []
    resolved: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    for key, alert in latest.items():
        if key in known:
            ident, state, _ = known[key]
            bumped.append((at, _dump(alert.annotations), ident))
            if alert.status == "resolved" and AlertState(state) in OPEN:
                resolved.append(
                    (AlertState.RESOLVED.value, writer.moment(alert.ended() or now), at, ident)
                )
                events.append(
                    (
                        ident,
                        at,
                        "resolved",
                        f"alertmanager:{payload.receiver}",
                        "Alertmanager sent status resolved",
                    )
                )
            continue
        link_key = (alert.labels.get("alertname", ""), alert.annotations.get("runbook_url", ""))
        if link_key not in links:
            links[link_key] = link_alert(runbook, alert.labels, alert.annotations)
        fresh.append(_new_row(key, alert, payload, links[link_key], silences, now, writer, at))
    writer.run(writer.insert_sql, fresh)
    writer.run(writer.update_sql, bumped)
    writer.run(writer.resolve_sql, resolved)
    writer.run(writer.event_sql, events)
    return IngestResult(len(payload.alerts), len(fresh), len(bumped), len(resolved))


def _new_row(
    key: str,
    alert: AmAlert,
    payload: AmPayload,
    link: Link,
    silences: list[Silence],
    now: datetime,
    writer: _Writer,
    at: Any,
) -> tuple[Any, ...]:
    """Return the values of a new alert row, in `_COLUMNS` order."""
    resolved = alert.status == "resolved"
    silence = silenced_by(silences, alert.labels, now) if silences and not resolved else None
    state = AlertState.RESOLVED if resolved else AlertState.FIRING
    if silence is not None:
        state = AlertState.SILENCED
    annotations = alert.annotations
    summary = annotations.get("summary") or annotations.get("description") or ""
    labels = alert.labels
    return (
        key,
        "alertmanager",
        labels.get("alertname", "")[:300] or "(no alertname)",
        state.value,
        severity_of(labels),
        summary,
        _dump(labels),
        _dump(annotations),
        alert.identity(),
        payload.groupKey,
        link.metric,
        link.issue,
        None,
        writer.moment(alert.startsAt),
        writer.moment(alert.ended() or now) if resolved else None,
        at,
        1,
        alert.generatorURL,
        silence.id if silence else None,
        False,
    )
