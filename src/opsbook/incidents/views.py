"""What the incident use cases return: typed, frozen read models. Pure.

Times are aware UTC datetimes; the faces present them as ISO 8601 text (the API's schemas in
`web/incident_schemas.py`, the CLI's `--json` through `cli/output.py` `json_data`). Field
names are the JSON keys, in their order, so the field lists here are that contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypedDict


@dataclass(frozen=True)
class IncidentView:
    """One incident: its severity, status, people and timers (without its timeline)."""

    id: int
    title: str
    severity: str
    status: str
    security: bool
    cause: str | None
    commander: str | None
    participants: tuple[str, ...]
    opened_at: datetime
    opened_by: str
    respond_by: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    closed_at: datetime | None
    escalation_level: int
    next_escalation_at: datetime | None


@dataclass(frozen=True)
class EventView:
    """A line of an incident's timeline; `data` is what the event recorded (JSON)."""

    id: int
    at: datetime
    actor: str
    kind: str
    text: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class PageView:
    """One attempt to reach one person about an incident."""

    id: int
    level: int
    role: str
    name: str
    address: str
    reason: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    channel: str | None
    error: str | None


@dataclass(frozen=True)
class ActionItemView:
    """A follow-up action of the post-mortem, with its owner."""

    id: int
    text: str
    owner: str
    status: str  # open | done
    created_at: datetime
    done_at: datetime | None


@dataclass(frozen=True)
class EvidenceView:
    """A log file captured as evidence (or why it could not be)."""

    id: int
    source: str
    sha256: str | None
    size: int | None
    stored_as: str | None
    captured_at: datetime
    problem: str | None


@dataclass(frozen=True)
class IncidentDetailView(IncidentView):
    """One incident with its timeline, pages, action items and evidence, oldest first."""

    timeline: tuple[EventView, ...]
    pages: tuple[PageView, ...]
    action_items: tuple[ActionItemView, ...]
    evidence: tuple[EvidenceView, ...]

    @classmethod
    def of(
        cls,
        incident: IncidentView,
        timeline: tuple[EventView, ...],
        pages: tuple[PageView, ...],
        action_items: tuple[ActionItemView, ...],
        evidence: tuple[EvidenceView, ...],
    ) -> IncidentDetailView:
        """Return the incident with its timeline, pages, action items and evidence."""
        return cls(
            **{f.name: getattr(incident, f.name) for f in fields(IncidentView)},
            timeline=timeline,
            pages=pages,
            action_items=action_items,
            evidence=evidence,
        )


@dataclass(frozen=True)
class Opened:
    """An incident opened, or the open incident of the same cause an alert joined."""

    incident: IncidentView
    # True when an alert of the same cause joined an incident that was already open.
    attached: bool = False


@dataclass(frozen=True)
class PostmortemView:
    """A post-mortem written: where, and its Markdown."""

    incident: int
    path: str
    markdown: str


@dataclass(frozen=True)
class TaughtView:
    """The troubleshooting issue an incident added to the runbook, and its new version."""

    incident: int
    path: str
    issue: str
    version: str


class AttemptSummary(TypedDict):
    """One attempt of a run as an incident's timeline keeps it (stored as JSON)."""

    step: int
    text: str
    command: str | None
    host: str
    status: str
    exit_code: int | None
    stdout: str
    stderr: str
