"""Store code for incidents: queries and row locks. It flushes; the use case commits.

Row locks: on PostgreSQL `SELECT ... FOR UPDATE` (and `SKIP LOCKED` where a worker only
wants rows nobody else holds). SQLite has one writer at a time; a no-op UPDATE first takes
that write lock (waiting up to the busy timeout) so that what we read next cannot change
under us and the write that follows cannot fail with "database is locked".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from opsbook.incidents.lifecycle import OPEN
from opsbook.incidents.tables import (
    ActionItemRow,
    EventRow,
    EvidenceRow,
    IncidentRow,
    PageRow,
)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _take_sqlite_write_lock(session: Session) -> None:
    session.execute(update(IncidentRow).where(IncidentRow.id == -1).values(status="detected"))


def lock_incident(session: Session, incident_id: int) -> IncidentRow | None:
    """Return the incident, locked for this transaction; None if there is none."""
    query = select(IncidentRow).where(IncidentRow.id == incident_id)
    if _postgres(session):
        query = query.with_for_update()
    else:
        _take_sqlite_write_lock(session)
    return session.scalars(query.execution_options(populate_existing=True)).first()


def lock_open_with_cause(session: Session, cause: str) -> IncidentRow | None:
    """Return the open incident raised by `cause`, locked; None if there is none."""
    query = (
        select(IncidentRow)
        .where(IncidentRow.cause == cause, IncidentRow.status.in_([str(s) for s in OPEN]))
        .order_by(IncidentRow.id.desc())
        .limit(1)
    )
    if _postgres(session):
        query = query.with_for_update()
    else:
        _take_sqlite_write_lock(session)
    return session.scalars(query).first()


def lock_due_escalations(session: Session, now: datetime, limit: int) -> list[IncidentRow]:
    """Return unacknowledged incidents whose next escalation is due, locked, skipping any
    another worker holds."""
    query = (
        select(IncidentRow)
        .where(IncidentRow.status == "detected", IncidentRow.next_escalation_at <= now)
        .order_by(IncidentRow.next_escalation_at)
        .limit(limit)
    )
    if _postgres(session):
        query = query.with_for_update(skip_locked=True)
    else:
        _take_sqlite_write_lock(session)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def claim_pages(session: Session, now: datetime, limit: int) -> list[PageRow]:
    """Return pages that may be sent now (queued, or stuck `sending` past their deadline
    because their sender died), locked, skipping those another worker holds."""
    query = (
        select(PageRow)
        .where(PageRow.status.in_(("queued", "sending")), PageRow.not_before <= now)
        .order_by(PageRow.id)
        .limit(limit)
    )
    if _postgres(session):
        query = query.with_for_update(skip_locked=True)
    else:
        _take_sqlite_write_lock(session)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def add_event(
    session: Session,
    incident_id: int,
    *,
    at: datetime,
    actor: str,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
) -> EventRow:
    """Append one event to an incident's timeline."""
    row = EventRow(
        incident_id=incident_id, at=at, actor=actor, kind=kind, text=text, data=data or {}
    )
    session.add(row)
    session.flush()
    return row


def add(session: Session, row: Any) -> None:
    """Add a row and flush it (its id is known afterwards)."""
    session.add(row)
    session.flush()


def incidents(
    session: Session, *, only_open: bool, limit: int, before: int | None = None
) -> tuple[list[IncidentRow], int]:
    """Return `limit` incidents newest first, older than id `before`, and how many match."""
    query = select(IncidentRow)
    if only_open:
        query = query.where(IncidentRow.status.in_([str(s) for s in OPEN]))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if before is not None:
        query = query.where(IncidentRow.id < before)
    return list(session.scalars(query.order_by(IncidentRow.id.desc()).limit(limit))), total


def open_security_incidents(session: Session) -> list[IncidentRow]:
    """Return the open security incidents."""
    query = select(IncidentRow).where(
        IncidentRow.security.is_(True), IncidentRow.status.in_([str(s) for s in OPEN])
    )
    return list(session.scalars(query.order_by(IncidentRow.id)))


def events_of(session: Session, incident_id: int) -> list[EventRow]:
    """Return an incident's timeline in order."""
    query = select(EventRow).where(EventRow.incident_id == incident_id)
    return list(session.scalars(query.order_by(EventRow.at, EventRow.id)))


def pages_of(session: Session, incident_id: int) -> list[PageRow]:
    """Return an incident's pages in order."""
    query = select(PageRow).where(PageRow.incident_id == incident_id)
    return list(session.scalars(query.order_by(PageRow.id)))


def actions_of(session: Session, incident_id: int) -> list[ActionItemRow]:
    """Return an incident's action items."""
    query = select(ActionItemRow).where(ActionItemRow.incident_id == incident_id)
    return list(session.scalars(query.order_by(ActionItemRow.id)))


def evidence_of(session: Session, incident_id: int) -> list[EvidenceRow]:
    """Return an incident's captured evidence."""
    query = select(EvidenceRow).where(EvidenceRow.incident_id == incident_id)
    return list(session.scalars(query.order_by(EvidenceRow.id)))
