"""Paging: the due escalations the worker re-evaluates from the database, and delivery of
queued pages through a `Pager` (email, webhook...).

Pages are an outbox. Escalation queues them in the same transaction that advances the
incident's stored escalation level, under a row lock that another worker skips, so two
workers never queue the same level twice. Delivery claims queued pages the same way and
marks them `sending` before it sends, so two workers never send the same page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from opsbook.incidents import queries
from opsbook.incidents.service import escalate
from opsbook.incidents.tables import IncidentRow, PageRow
from opsbook.store.timestamps import utc

if TYPE_CHECKING:
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

MAX_ATTEMPTS = 3
RETRY_AFTER = 30.0  # seconds, doubled per attempt
SENDING_TIMEOUT = 300.0  # seconds a claimed page may stay `sending` before it is retried


@dataclass(frozen=True)
class PageMessage:
    """One page to one person: who, why, and the text to send."""

    incident_id: int
    name: str
    address: str
    role: str
    subject: str
    body: str


class PageFailed(Exception):
    """The channel could not deliver the page; the message says why."""


class Pager(Protocol):
    """Sends a page; returns a description of the channel used, raises PageFailed."""

    def send(self, message: PageMessage) -> str: ...


def escalate_due(*, db: Database, runbook: Runbook, now: datetime, limit: int = 100) -> int:
    """Queue the pages of every escalation now due (after a restart too); return how many."""
    with db.transaction() as session:
        rows = queries.lock_due_escalations(session, now, limit)
        return sum(escalate(session, row, runbook, now) for row in rows)


def _message(page: PageRow, incident: IncidentRow, base_url: str) -> PageMessage:
    respond_by = utc(incident.respond_by)
    assert respond_by is not None
    where = f"{base_url.rstrip('/')}/incidents/{incident.id}" if base_url else ""
    kind = "SECURITY incident" if incident.security else "Incident"
    update = page.level < 0
    subject = (
        f"[{incident.severity}] {kind} {incident.id} update: {incident.title}"
        if update
        else f"[{incident.severity}] {kind} {incident.id}: {incident.title}"
    )
    lines = [
        f"{kind} {incident.id}: {incident.title}",
        f"Severity: {incident.severity}    Status: {incident.status}",
        f"Respond by: {respond_by:%Y-%m-%d %H:%M} UTC",
        f"Why you: {page.role}; {page.reason}",
        "",
        f"Acknowledge: opsbook incidents ack {incident.id}" + (f"  or  {where}" if where else ""),
    ]
    if incident.security:
        lines.append("DO NOT shut down systems — preserve evidence.")
    return PageMessage(
        incident.id, page.name, page.address, page.role, subject, "\n".join(lines) + "\n"
    )


def deliver_pages(
    *, db: Database, pager: Pager, now: datetime, base_url: str = "", limit: int = 50
) -> int:
    """Send queued pages through `pager`, recording each attempt; return how many were sent."""
    with db.transaction() as session:
        claimed = queries.claim_pages(session, now, limit)
        messages = []
        for page in claimed:
            page.status, page.attempts = "sending", page.attempts + 1
            # A sender killed mid-send leaves the page `sending`; after this it is sent again
            # (a page twice beats a page never).
            page.not_before = now + timedelta(seconds=SENDING_TIMEOUT)
            incident = session.get(IncidentRow, page.incident_id)
            assert incident is not None
            messages.append((page.id, _message(page, incident, base_url)))
        session.flush()
    sent = 0
    for page_id, message in messages:
        channel, error = "", None
        if not message.address:
            error = f"{message.name} ({message.role}) has no address in Emergency Contacts"
        else:
            try:
                channel = pager.send(message)
            except PageFailed as exc:
                error = str(exc)
        sent += _record(db, page_id, channel, error, now)
    return sent


def _record(db: Database, page_id: int, channel: str, error: str | None, now: datetime) -> int:
    with db.transaction() as session:
        page = session.get(PageRow, page_id)
        assert page is not None
        who = f"{page.name} <{page.address}>" if page.address else page.name
        if error is None:
            page.status, page.sent_at, page.channel, page.error = "sent", now, channel, None
            text, kind = f"Page to {who} sent via {channel}", "page-sent"
        elif page.attempts < MAX_ATTEMPTS and page.address:
            page.status, page.error = "queued", error
            page.not_before = now + timedelta(seconds=RETRY_AFTER * 2 ** (page.attempts - 1))
            text, kind = f"Page to {who} failed (will retry): {error}", "page-failed"
        else:
            page.status, page.error = "failed", error
            text, kind = f"Page to {who} failed: {error}", "page-failed"
        queries.add_event(
            session,
            page.incident_id,
            at=now,
            actor="opsbook",
            kind=kind,
            text=text,
            data={"page_id": page.id, "attempt": page.attempts},
        )
        return 1 if error is None else 0
