"""Store one Alertmanager notification: dedup by fingerprint, resolve, group, link.

Built for floods: one SELECT for the keys already known, one multi-row INSERT for new alerts
(a key that appears meanwhile is skipped by the database, never duplicated), one bulk UPDATE
for the rest, all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from opsbook.monitoring.alertmanager import AmAlert, AmPayload, severity_of
from opsbook.monitoring.lifecycle import OPEN, AlertState
from opsbook.monitoring.linking import Link, link_alert
from opsbook.monitoring.records import naive
from opsbook.monitoring.silences import Silence, silenced_by
from opsbook.monitoring.tables import AlertEventRow, AlertRow
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


def _insert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(AlertRow).on_conflict_do_nothing(index_elements=["key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(AlertRow).on_conflict_do_nothing(index_elements=["key"])


def store_notification(
    session: Session, payload: AmPayload, runbook: Runbook, silences: list[Silence], now: datetime
) -> IngestResult:
    """Write the payload's alerts; return how many were new, updated and resolved."""
    latest: dict[str, AmAlert] = {}
    for alert in payload.alerts:
        latest[alert.key()] = alert
    known: dict[str, tuple[int, str, int]] = {}
    keys = list(latest)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = select(AlertRow.key, AlertRow.id, AlertRow.state, AlertRow.received)
        for key, ident, state, received in session.execute(query.where(AlertRow.key.in_(chunk))):
            known[key] = (ident, state, received)
    moment = naive(now)
    links: dict[tuple[str, str], Link] = {}
    fresh, changed, events = [], [], []
    for key, alert in latest.items():
        if key in known:
            ident, state, received = known[key]
            values: dict[str, Any] = {
                "id": ident,
                "received": received + 1,
                "updated_at": moment,
                "annotations": alert.annotations,
            }
            if alert.status == "resolved" and AlertState(state) in OPEN:
                values |= {
                    "state": AlertState.RESOLVED.value,
                    "ends_at": naive(alert.ended() or now),
                }
                events.append(
                    {
                        "alert_id": ident,
                        "at": moment,
                        "kind": "resolved",
                        "actor": f"alertmanager:{payload.receiver}",
                        "detail": "Alertmanager sent status resolved",
                    }
                )
            changed.append(values)
            continue
        link_key = (alert.labels.get("alertname", ""), alert.annotations.get("runbook_url", ""))
        if link_key not in links:
            links[link_key] = link_alert(runbook, alert.labels, alert.annotations)
        fresh.append(_new_row(key, alert, payload, links[link_key], silences, now))
    if fresh:
        session.execute(_insert(session), fresh)
    if changed:
        session.execute(update(AlertRow), changed)
    if events:
        session.execute(insert(AlertEventRow), events)
    return IngestResult(len(payload.alerts), len(fresh), len(changed), len(events))


def _new_row(
    key: str, alert: AmAlert, payload: AmPayload, link: Link, silences: list[Silence], now: datetime
) -> dict[str, Any]:
    resolved = alert.status == "resolved"
    silence = None if resolved else silenced_by(silences, alert.labels, now)
    state = AlertState.RESOLVED if resolved else AlertState.FIRING
    if silence is not None:
        state = AlertState.SILENCED
    annotations = alert.annotations
    summary = annotations.get("summary") or annotations.get("description") or ""
    ended = alert.ended()
    return {
        "key": key,
        "origin": "alertmanager",
        "name": alert.labels.get("alertname", "")[:300] or "(no alertname)",
        "state": state.value,
        "severity": severity_of(alert.labels),
        "summary": summary,
        "labels": alert.labels,
        "annotations": annotations,
        "fingerprint": alert.identity(),
        "group_key": payload.groupKey,
        "metric": link.metric,
        "issue": link.issue,
        "value": None,
        "starts_at": naive(alert.startsAt),
        "ends_at": naive(ended or now) if resolved else None,
        "updated_at": naive(now),
        "received": 1,
        "generator_url": alert.generatorURL,
        "silence_id": silence.id if silence else None,
        "in_maintenance": False,
    }
