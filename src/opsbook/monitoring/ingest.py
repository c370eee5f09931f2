"""Store Alertmanager notifications: dedup by fingerprint, resolve, group, link.

Built for floods: the notifications of one group commit are written together, with one
SELECT for the keys already stored, then one executemany each for new alerts, repeats,
resolutions and history lines, all in the caller's transaction. An alert that is new in
this group and seen again later in it is folded into its pending row instead of updated.

A notification that brought new or resolved alerts also queues one job (`GROUP_JOB`) in the
same transaction: the worker takes the runbook's actions for that Alertmanager group off the
request path (`monitoring/groups.py`), once per change, never for a repeat.
"""

from __future__ import annotations

import json
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy.orm import Session

from opsbook.monitoring.alertmanager import AmAlert, AmPayload, severity_of
from opsbook.monitoring.lifecycle import ALERTS, AlertEvent, AlertState
from opsbook.monitoring.linking import Link, link_alert
from opsbook.monitoring.queries import active_silences, naive
from opsbook.monitoring.silences import Silence, silenced_by
from opsbook.monitoring.views import IngestResult
from opsbook.runbook.model import Runbook
from opsbook.worker.queue import queue_in

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
    "last_seen_at",
    "received",
    "generator_url",
    "silence_id",
    "in_maintenance",
)
_JSON = frozenset({"labels", "annotations"})
# The job that makes an Alertmanager group take the runbook's actions.
GROUP_JOB = "alertmanager group"
# Positions in a pending row that a repeat or a resolution of the same alert changes.
_STATE, _ANNOTATIONS, _ENDS, _UPDATED, _SEEN, _RECEIVED = (
    _COLUMNS.index(c)
    for c in ("state", "annotations", "ends_at", "updated_at", "last_seen_at", "received")
)
# The lifecycle's resolve, by stored state: the states it allows and the one each leads to.
_RESOLVES = {str(old): str(new) for old, new in ALERTS.moves_of(AlertEvent.RESOLVE).items()}


def _dump(values: dict[str, str]) -> str:
    """Return a validated str-to-str mapping as compact JSON, faster than json.dumps."""
    return (
        "{"
        + ",".join([encode_basestring(k) + ":" + encode_basestring(v) for k, v in values.items()])
        + "}"
    )


class _Writer:
    """Statements at the driver level: the ORM costs more than the database itself here."""

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        # Alerts of one flood mostly share their start time: format each moment once.
        self.formatted: dict[datetime, str] = {}
        mark = "%s" if self.postgres else "?"
        cast = "::json" if self.postgres else ""
        marks = ", ".join(mark + (cast if c in _JSON else "") for c in _COLUMNS)
        self.known_sql = (
            "SELECT key, id, state FROM alerts WHERE key = ANY(%s)"
            if self.postgres
            else "SELECT key, id, state FROM alerts WHERE key IN (SELECT value FROM json_each(?))"
        )
        self.insert_sql = (
            f"INSERT INTO alerts ({', '.join(_COLUMNS)}) VALUES ({marks}) "
            # A key another server stored meanwhile counts as a repeat, never a second row.
            "ON CONFLICT (key) DO UPDATE SET received = alerts.received + 1, "
            "last_seen_at = excluded.updated_at, annotations = excluded.annotations"
        )
        self.update_sql = (
            # A repeat touches no indexed column: SQLite rewrites the row, no index.
            f"UPDATE alerts SET received = received + 1, last_seen_at = {mark}, "
            f"annotations = {mark}{cast} WHERE id = {mark}"
        )
        resolvable = ", ".join(f"'{state}'" for state in _RESOLVES)  # enum values, no quotes
        self.resolve_sql = (
            # The lifecycle's states, checked again here: another server may have moved it.
            f"UPDATE alerts SET state = {mark}, ends_at = {mark}, updated_at = {mark} "
            f"WHERE id = {mark} AND state IN ({resolvable})"
        )
        # By key: an alert created in the same group has no id until its row is inserted.
        self.event_sql = (
            "INSERT INTO alert_events (alert_id, at, kind, actor, detail) "
            f"SELECT id, {mark}, {mark}, {mark}, {mark} FROM alerts WHERE key = {mark}"
        )

    def moment(self, value: datetime) -> Any:
        """Return a datetime as the driver should receive it (SQLAlchemy's SQLite format)."""
        if self.postgres:
            return value
        text = self.formatted.get(value)
        if text is None:
            text = self.formatted[value] = naive(value).strftime("%Y-%m-%d %H:%M:%S.%f")
        return text

    def known(self, keys: list[str]) -> dict[str, tuple[int, str]]:
        """Return the id and state of each of these keys already stored."""
        if not keys:
            return {}
        param = keys if self.postgres else json.dumps(keys)
        rows = self.connection.exec_driver_sql(self.known_sql, (param,))
        return {key: (ident, state) for key, ident, state in rows}

    def run(self, sql: str, rows: list[Any]) -> None:
        if rows:
            self.connection.exec_driver_sql(sql, rows)


def _latest(payload: AmPayload) -> dict[str, AmAlert]:
    """Return the payload's alerts by dedup key, the last one winning."""
    latest: dict[str, AmAlert] = {}
    starts: dict[datetime | None, str] = {}  # one notification's alerts mostly share startsAt
    for alert in payload.alerts:
        started = starts.get(alert.startsAt)
        if started is None:
            moment = alert.startsAt
            started = starts[moment] = moment.isoformat() if moment else ""
        latest[alert.key(started)] = alert
    return latest


def store_notifications(
    session: Session,
    payloads: list[AmPayload],
    runbook: Runbook,
    silences: list[Silence],
    now: datetime,
) -> list[IngestResult]:
    """Write the payloads' alerts, in order; return each one's new, updated and resolved."""
    writer = _Writer(session)
    by_payload = [_latest(p) for p in payloads]
    known = writer.known(list({key for latest in by_payload for key in latest}))
    at = writer.moment(now)
    links: dict[tuple[str, str], Link] = {}
    pending: dict[str, list[Any]] = {}  # rows new in this group, not inserted yet
    states: dict[str, str] = {}  # state of stored alerts as this group leaves them
    bumped: list[tuple[Any, ...]] = []
    resolved: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    results: list[IngestResult] = []
    jobs: list[dict[str, Any]] = []
    for payload, latest in zip(payloads, by_payload, strict=True):
        created = updated = closed = 0
        fired: list[str] = []
        ended: list[str] = []
        actor = f"alertmanager:{payload.receiver}"
        for key, alert in latest.items():
            row = pending.get(key)
            if row is None and key not in known:
                link_key = (
                    alert.labels.get("alertname", ""),
                    alert.annotations.get("runbook_url", ""),
                )
                link = links.get(link_key)
                if link is None:
                    link = links[link_key] = link_alert(runbook, alert.labels, alert.annotations)
                row = pending[key] = _new_row(key, alert, payload, link, silences, now, writer, at)
                created += 1
                if row[_STATE] != AlertState.RESOLVED.value:
                    fired.append(key)
                continue
            updated += 1
            closing = alert.status == "resolved"
            ends = writer.moment(alert.ended() or now) if closing else None
            if row is not None:
                row[_RECEIVED] += 1
                row[_SEEN], row[_ANNOTATIONS] = at, _dump(alert.annotations)
                after = _RESOLVES.get(row[_STATE]) if closing else None
                if after is not None:
                    row[_STATE], row[_ENDS], row[_UPDATED] = after, ends, at
                    events.append((at, after, actor, "Alertmanager sent status resolved", key))
                    closed += 1
                    ended.append(key)
                continue
            ident, state = known[key]
            bumped.append((at, _dump(alert.annotations), ident))
            after = _RESOLVES.get(states.get(key, state)) if closing else None
            if after is not None:
                states[key] = after
                resolved.append((after, ends, at, ident))
                events.append((at, after, actor, "Alertmanager sent status resolved", key))
                closed += 1
                ended.append(key)
        if fired or ended:
            group = {"group": payload.groupKey, "status": payload.status}
            jobs.append({**group, "fired": fired, "resolved": ended})
        received = len(payload.alerts) + payload.dropped
        results.append(
            IngestResult(received, created, updated, closed, payload.dropped, payload.adjusted)
        )
    writer.run(writer.insert_sql, [tuple(row) for row in pending.values()])
    writer.run(writer.update_sql, bumped)
    writer.run(writer.resolve_sql, resolved)
    writer.run(writer.event_sql, events)
    queue_in(session, kind=GROUP_JOB, payloads=jobs, now=now)
    return results


def _new_row(
    key: str,
    alert: AmAlert,
    payload: AmPayload,
    link: Link,
    silences: list[Silence],
    now: datetime,
    writer: _Writer,
    at: Any,
) -> list[Any]:
    """Return the values of a new alert row, in `_COLUMNS` order."""
    resolved = alert.status == "resolved"
    silence = silenced_by(silences, alert.labels, now) if silences and not resolved else None
    state = AlertState.RESOLVED if resolved else AlertState.FIRING
    if silence is not None:
        state = AlertState.SILENCED
    annotations = alert.annotations
    summary = annotations.get("summary") or annotations.get("description") or ""
    labels = alert.labels
    return [
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
        writer.moment(alert.startsAt or now),  # not set: first received
        writer.moment(alert.ended() or now) if resolved else None,
        at,
        None,
        1,
        alert.generatorURL,
        silence.id if silence else None,
        False,
    ]


def store_own_alerts(
    session: Session,
    *,
    alerts: list[AmAlert],
    name: str,
    receiver: str,
    runbook: Runbook,
    now: datetime,
) -> list[IngestResult]:
    """Store alerts opsbook raises itself (overdue maintenance, config drift) as one
    notification of the group `name`, as Alertmanager sends one: silences, dedup and the
    runbook's actions apply as to any alert."""
    firing = any(a.status == "firing" for a in alerts)
    payload = AmPayload(
        version="4",
        groupKey=f"{{}}:{{alertname={name!r}}}",
        status="firing" if firing else "resolved",
        receiver=receiver,
        groupLabels={"alertname": name},
        alerts=alerts,
    )
    return store_notifications(session, [payload], runbook, active_silences(session, now), now)
