"""Incidents as JSON-ready data: the `--json` and API contract."""

from __future__ import annotations

from typing import Any

from opsbook.incidents.tables import ActionItemRow, EventRow, EvidenceRow, IncidentRow, PageRow
from opsbook.store.timestamps import iso


def incident_data(row: IncidentRow) -> dict[str, Any]:
    """Return an incident's fields (without its timeline)."""
    return {
        "id": row.id,
        "title": row.title,
        "severity": row.severity,
        "status": row.status,
        "security": bool(row.security),
        "cause": row.cause,
        "commander": row.commander,
        "participants": list(row.participants or []),
        "opened_at": iso(row.opened_at),
        "opened_by": row.opened_by,
        "respond_by": iso(row.respond_by),
        "acknowledged_at": iso(row.acknowledged_at),
        "acknowledged_by": row.acknowledged_by,
        "mitigated_at": iso(row.mitigated_at),
        "resolved_at": iso(row.resolved_at),
        "resolved_by": row.resolved_by,
        "closed_at": iso(row.closed_at),
        "escalation_level": row.escalation_done,
        "next_escalation_at": iso(row.next_escalation_at),
    }


def event_data(row: EventRow) -> dict[str, Any]:
    """Return a timeline event as data."""
    return {
        "id": row.id,
        "at": iso(row.at),
        "actor": row.actor,
        "kind": row.kind,
        "text": row.text,
        "data": dict(row.data or {}),
    }


def page_data(row: PageRow) -> dict[str, Any]:
    """Return a page (one attempt to reach one person) as data."""
    return {
        "id": row.id,
        "level": row.level,
        "role": row.role,
        "name": row.name,
        "address": row.address,
        "reason": row.reason,
        "status": row.status,
        "attempts": row.attempts,
        "created_at": iso(row.created_at),
        "sent_at": iso(row.sent_at),
        "channel": row.channel,
        "error": row.error,
    }


def action_data(row: ActionItemRow) -> dict[str, Any]:
    """Return an action item as data."""
    return {
        "id": row.id,
        "text": row.text,
        "owner": row.owner,
        "status": row.status,
        "created_at": iso(row.created_at),
        "done_at": iso(row.done_at),
    }


def evidence_data(row: EvidenceRow) -> dict[str, Any]:
    """Return a captured evidence file as data."""
    return {
        "id": row.id,
        "source": row.source,
        "sha256": row.sha256,
        "size": row.size,
        "stored_as": row.stored_as,
        "captured_at": iso(row.captured_at),
        "problem": row.problem,
    }
