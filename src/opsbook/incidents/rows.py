"""Stored incident rows as the read models of `views.py`."""

from __future__ import annotations

from datetime import datetime

from opsbook.incidents.tables import ActionItemRow, EventRow, EvidenceRow, IncidentRow, PageRow
from opsbook.incidents.views import (
    ActionItemView,
    EventView,
    EvidenceView,
    IncidentView,
    PageView,
)
from opsbook.store.timestamps import utc


def _utc(moment: datetime) -> datetime:
    aware = utc(moment)
    assert aware is not None
    return aware


def incident_view(row: IncidentRow) -> IncidentView:
    """Return an incident's fields (without its timeline)."""
    return IncidentView(
        id=row.id,
        title=row.title,
        severity=row.severity,
        status=row.status,
        security=bool(row.security),
        cause=row.cause,
        commander=row.commander,
        participants=tuple(row.participants or ()),
        opened_at=_utc(row.opened_at),
        opened_by=row.opened_by,
        respond_by=_utc(row.respond_by),
        acknowledged_at=utc(row.acknowledged_at),
        acknowledged_by=row.acknowledged_by,
        mitigated_at=utc(row.mitigated_at),
        resolved_at=utc(row.resolved_at),
        resolved_by=row.resolved_by,
        closed_at=utc(row.closed_at),
        escalation_level=row.escalation_done,
        next_escalation_at=utc(row.next_escalation_at),
    )


def event_view(row: EventRow) -> EventView:
    """Return a timeline event."""
    return EventView(
        id=row.id,
        at=_utc(row.at),
        actor=row.actor,
        kind=row.kind,
        text=row.text,
        data=dict(row.data or {}),
    )


def page_view(row: PageRow) -> PageView:
    """Return a page (one attempt to reach one person)."""
    return PageView(
        id=row.id,
        level=row.level,
        role=row.role,
        name=row.name,
        address=row.address,
        reason=row.reason,
        status=row.status,
        attempts=row.attempts,
        created_at=_utc(row.created_at),
        sent_at=utc(row.sent_at),
        channel=row.channel,
        error=row.error,
    )


def action_view(row: ActionItemRow) -> ActionItemView:
    """Return an action item."""
    return ActionItemView(
        id=row.id,
        text=row.text,
        owner=row.owner,
        status=row.status,
        created_at=_utc(row.created_at),
        done_at=utc(row.done_at),
    )


def evidence_view(row: EvidenceRow) -> EvidenceView:
    """Return a captured evidence file."""
    return EvidenceView(
        id=row.id,
        source=row.source,
        sha256=row.sha256,
        size=row.size,
        stored_as=row.stored_as,
        captured_at=_utc(row.captured_at),
        problem=row.problem,
    )
