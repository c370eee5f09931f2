"""Alert rows: create, move through the lifecycle, and write history. Flushes, never commits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opsbook.monitoring.lifecycle import AlertEvent, AlertState, apply
from opsbook.monitoring.silences import MatcherError, Silence, parse_matcher
from opsbook.monitoring.tables import AlertEventRow, AlertRow, SilenceRow
from opsbook.monitoring.views import AlertView, HistoryLineView, SilenceView
from opsbook.store.timestamps import utc

log = logging.getLogger(__name__)


def naive(moment: datetime) -> datetime:
    """Return a UTC moment without tzinfo, as stored."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def move(
    session: Session,
    row: AlertRow,
    event: AlertEvent,
    now: datetime,
    *,
    actor: str = "opsbook",
    detail: str = "",
) -> AlertState:
    """Apply a lifecycle event to the alert (TransitionRefused if not allowed) and log it."""
    state = apply(AlertState(row.state), event)
    row.state = state.value
    row.updated_at = naive(now)
    if state is AlertState.RESOLVED:
        row.ends_at = row.ends_at or naive(now)
    note(session, row.id, str(state), now, actor=actor, detail=detail)
    return state


def note(
    session: Session,
    alert_id: int,
    kind: str,
    now: datetime,
    *,
    actor: str = "opsbook",
    detail: str = "",
) -> None:
    """Add a line to an alert's history."""
    session.add(
        AlertEventRow(alert_id=alert_id, at=naive(now), kind=kind, actor=actor, detail=detail)
    )


def active_silences(session: Session, now: datetime) -> list[Silence]:
    """Return the silences in force at `now`."""
    # Driver-level SQL: this runs for every webhook batch, the ORM would cost more than it.
    connection = session.connection()
    moment: Any = naive(now)
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    if mark == "?":
        moment = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = (
        "SELECT id, matchers, starts_at, ends_at FROM silences "
        f"WHERE ends_at > {mark} AND starts_at <= {mark}"
    )
    rows = connection.exec_driver_sql(sql, (moment, moment)).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    found = session.scalars(select(SilenceRow).where(SilenceRow.id.in_(ids)))
    silences = []
    for row in found:
        try:
            silences.append(silence_of(row))
        except MatcherError as exc:
            # Stored before matchers were read as RE2: it mutes nothing rather than failing
            # every webhook and rule evaluation that looks for silences.
            log.warning("silence #%s is ignored: %s", row.id, exc)
    return silences


def silence_of(row: SilenceRow) -> Silence:
    """Return the pure silence a row stores."""
    starts, ends = utc(row.starts_at), utc(row.ends_at)
    assert starts is not None and ends is not None
    return Silence(
        tuple(parse_matcher(m) for m in row.matchers),
        starts,
        ends,
        row.id,
        row.created_by,
        row.comment,
    )


def alert_view(row: AlertRow) -> AlertView:
    """Return an alert as its read model (the `alerts list --json` and API contract)."""
    return AlertView(
        id=row.id,
        name=row.name,
        state=row.state,
        severity=row.severity,
        origin=row.origin,
        summary=row.summary,
        labels=row.labels,
        annotations=row.annotations,
        fingerprint=row.fingerprint,
        group_key=row.group_key,
        metric=row.metric,
        issue=row.issue,
        value=row.value,
        starts_at=utc(row.starts_at),
        ends_at=utc(row.ends_at),
        updated_at=utc(row.updated_at),
        last_seen_at=utc(row.last_seen_at),
        received=row.received,
        generator_url=row.generator_url,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=utc(row.acknowledged_at),
        silence_id=row.silence_id,
        in_maintenance=row.in_maintenance,
        notified_at=utc(row.notified_at),
        escalated_at=utc(row.escalated_at),
        run_id=row.run_id,
    )


def history_line_view(row: AlertEventRow) -> HistoryLineView:
    """Return a line of an alert's history as its read model."""
    return HistoryLineView(utc(row.at), row.kind, row.actor, row.detail)


def silence_view(row: SilenceRow, silenced: tuple[int, ...] = ()) -> SilenceView:
    """Return a silence as its read model, with the alerts it muted when made (if known)."""
    starts, ends = utc(row.starts_at), utc(row.ends_at)
    assert starts is not None and ends is not None
    return SilenceView(
        row.id, tuple(row.matchers), starts, ends, silenced, row.created_by, row.comment
    )


def events_of(session: Session, alert_id: int) -> Sequence[AlertEventRow]:
    """Return an alert's history, oldest first."""
    query = select(AlertEventRow).where(AlertEventRow.alert_id == alert_id)
    return session.scalars(query.order_by(AlertEventRow.id)).all()
