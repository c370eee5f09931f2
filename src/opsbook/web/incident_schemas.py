"""API schemas of incidents: what the routes take and what they answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from opsbook.incidents.service import MAX_NOTE, MAX_REMARK, MAX_TITLE, MAX_UPDATE, NOTE_KINDS
from opsbook.web.schemas import IsoTime

MAX_SEVERITY = 20
MAX_KIND = 20


class IncidentOut(BaseModel):
    id: int
    title: str
    severity: str
    status: str
    security: bool
    cause: str | None
    commander: str | None
    participants: list[str]
    opened_at: IsoTime
    opened_by: str
    respond_by: IsoTime
    acknowledged_at: IsoTime | None
    acknowledged_by: str | None
    mitigated_at: IsoTime | None
    resolved_at: IsoTime | None
    resolved_by: str | None
    closed_at: IsoTime | None
    escalation_level: int
    next_escalation_at: IsoTime | None


class EventOut(BaseModel):
    id: int
    at: IsoTime
    actor: str
    kind: str
    text: str
    data: dict[str, Any]


class PageOut(BaseModel):
    id: int
    level: int
    role: str
    name: str
    address: str
    reason: str
    status: str
    attempts: int
    created_at: IsoTime
    sent_at: IsoTime | None
    channel: str | None
    error: str | None


class ActionItemOut(BaseModel):
    id: int
    text: str
    owner: str
    status: str
    created_at: IsoTime
    done_at: IsoTime | None


class EvidenceOut(BaseModel):
    id: int
    source: str
    sha256: str | None
    size: int | None
    stored_as: str | None
    captured_at: IsoTime
    problem: str | None


class IncidentDetailOut(IncidentOut):
    timeline: list[EventOut]
    pages: list[PageOut]
    action_items: list[ActionItemOut]
    evidence: list[EvidenceOut]


class OpenIn(BaseModel):
    severity: str = Field(min_length=1, max_length=MAX_SEVERITY, description="SEV-1 .. SEV-4.")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    security: bool = False


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_NOTE)
    kind: str = Field("note", max_length=MAX_KIND, description=", ".join(NOTE_KINDS))


class TransitionIn(BaseModel):
    text: str = Field("", max_length=MAX_REMARK)


class UpdateIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_UPDATE)
