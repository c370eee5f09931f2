"""Use cases of incidents: open, acknowledge, mitigate, resolve, close, notes, severity,
status updates, action items, linked runs, list and show. Each owns its transaction.

Every change of an incident locks its row first (see queries.py), so an acknowledgement and a
resolution arriving at the same moment are applied one after the other: whichever comes
second sees the first's result. Acknowledge-then-resolve ends resolved; resolve-then-
acknowledge ends resolved too, the acknowledgement refused. Nothing ever reopens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from opsbook.errors import BadInput, NotFound, Refused
from opsbook.incidents import queries
from opsbook.incidents.escalation import Recipient, due, next_due, person, policy
from opsbook.incidents.lifecycle import Event, Status, TransitionRefused, apply
from opsbook.incidents.rows import (
    action_view,
    event_view,
    evidence_view,
    incident_view,
    page_view,
)
from opsbook.incidents.severity import severity
from opsbook.incidents.tables import ActionItemRow, EventRow, IncidentRow, PageRow
from opsbook.incidents.triage import Match, best_matches
from opsbook.incidents.views import (
    ActionItemView,
    EventView,
    IncidentDetailView,
    IncidentView,
    Opened,
)
from opsbook.inputs import check_text
from opsbook.paging import Page, decode_cursor, encode_cursor
from opsbook.store.timestamps import utc

if TYPE_CHECKING:
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database

NOTE_KINDS = ("note", "root-cause", "trigger", "impact", "lesson", "resolution")
# Bounds of the texts people write into an incident (characters); longer is refused.
MAX_TITLE = 500
MAX_NOTE = 10_000
MAX_UPDATE = 5_000
MAX_REMARK = 2_000  # said with an acknowledgement, mitigation, resolution or closing
MAX_ACTION = 2_000
MAX_OWNER = 200


def locked(session: Session, incident_id: int) -> IncidentRow:
    """Return the incident locked for this transaction, or raise NotFound."""
    row = queries.lock_incident(session, incident_id)
    if row is None:
        raise NotFound(f"no incident {incident_id}", "list incidents with `opsbook incidents list`")
    return row


def _join(row: IncidentRow, actor: str) -> None:
    if actor and actor not in (row.participants or []):
        row.participants = [*(row.participants or []), actor]


def _queue_page(
    session: Session, row: IncidentRow, who: Recipient, level: int, reason: str, now: datetime
) -> None:
    # Added, not flushed: the caller's flush (or commit) writes them all in one go.
    session.add(
        PageRow(
            incident_id=row.id,
            level=level,
            role=who.role,
            name=who.name,
            address=who.address,
            reason=reason,
            status="queued",
            attempts=0,
            not_before=now,
            created_at=now,
        )
    )


def escalate(session: Session, row: IncidentRow, runbook: Runbook, now: datetime) -> int:
    """Queue the pages of every escalation level now due; store when the next falls due."""
    levels = policy(runbook, window_seconds=row.window_seconds, security=row.security, at=now)
    opened = utc(row.opened_at)
    assert opened is not None
    queued = 0
    if Status(row.status) is Status.DETECTED:
        for level in due(levels, opened_at=opened, done=row.escalation_done, now=now):
            for who in level.recipients:
                reason = f"{level.reason}; {who.why}" if who.why else level.reason
                _queue_page(session, row, who, level.number, reason, now)
                session.add(
                    EventRow(
                        incident_id=row.id,
                        at=now,
                        actor="opsbook",
                        kind="page",
                        text=f"Paging {who.label} ({who.role}): {reason}",
                        data={
                            "level": level.number,
                            "role": who.role,
                            "name": who.name,
                            "address": who.address,
                            **({"why": who.why} if who.why else {}),
                        },
                    )
                )
                queued += 1
            if not level.recipients:
                session.add(
                    EventRow(
                        incident_id=row.id,
                        at=now,
                        actor="opsbook",
                        kind="page",
                        text=f"Nobody to page at level {level.number}: nobody is on call now "
                        f"({level.reason})",
                        data={"level": level.number},
                    )
                )
            row.escalation_done = level.number + 1
        row.next_escalation_at = next_due(levels, opened_at=opened, done=row.escalation_done)
    else:
        row.next_escalation_at = None
    return queued  # not flushed here: a tick over many incidents writes them all at once


def open_incident(
    *,
    db: Database,
    runbook: Runbook,
    title: str,
    severity_level: str,
    actor: str,
    now: datetime,
    security: bool = False,
    cause: str | None = None,
    alert: str | None = None,
    commander: str | None = None,
) -> Opened:
    """Open an incident (or attach the alert to the open incident of the same cause)."""
    title = " ".join(check_text(title, field="the title", max_length=MAX_TITLE).split())
    if not title:
        raise BadInput("the title is empty", 'say what is wrong: --title "checkout returns 500"')
    level = severity(runbook, severity_level)
    with db.transaction() as session:
        if cause:
            existing = queries.lock_open_with_cause(session, cause)
            if existing is not None:
                queries.add_event(
                    session,
                    existing.id,
                    at=now,
                    actor=actor,
                    kind="alert",
                    text=alert or title,
                    data={"cause": cause},
                )
                return Opened(incident_view(existing), attached=True)
        row = IncidentRow(
            title=title,
            severity=level.level,
            status=str(Status.DETECTED),
            security=security,
            cause=cause,
            commander=commander,
            participants=[actor],
            opened_at=now,
            opened_by=actor,
            window_seconds=level.response_seconds,
            respond_by=level.respond_by(now),
            escalation_done=0,
            next_escalation_at=now,
        )
        queries.add(session, row)
        kind = "security incident" if security else "incident"
        queries.add_event(
            session,
            row.id,
            at=now,
            actor=actor,
            kind="opened",
            text=f"Opened {level.level} {kind}: {title}",
            data={
                "severity": level.level,
                "security": security,
                "respond_by": level.respond_by(now).isoformat(),
            },
        )
        if alert:
            queries.add_event(
                session,
                row.id,
                at=now,
                actor=actor,
                kind="alert",
                text=alert,
                data={"cause": cause},
            )
        matches = best_matches(runbook, title=title, alerts=[alert] if alert else [])
        if matches:
            queries.add_event(
                session,
                row.id,
                at=now,
                actor="opsbook",
                kind="triage",
                text="Matching troubleshooting issues: "
                + "; ".join(f"{m.title} ({m.issue_id})" for m in matches),
                data={"matches": [m.issue_id for m in matches]},
            )
        escalate(session, row, runbook, now)
        return Opened(incident_view(row))


_STAMPS = {
    Event.ACKNOWLEDGE: "acknowledged",
    Event.MITIGATE: "mitigated",
    Event.RESOLVE: "resolved",
    Event.CLOSE: "closed",
}


def transition(
    *, db: Database, incident_id: int, event: Event, actor: str, now: datetime, text: str = ""
) -> IncidentView:
    """Apply a lifecycle event to an incident under its row lock; Refused says why not."""
    text = check_text(text, field="the text", max_length=MAX_REMARK).strip()
    with db.transaction() as session:
        row = locked(session, incident_id)
        try:
            status = apply(Status(row.status), event)
        except TransitionRefused as exc:
            raise Refused(f"incident {incident_id}: {exc}") from None
        row.status = str(status)
        if event is Event.ACKNOWLEDGE or (event is Event.MITIGATE and not row.acknowledged_at):
            row.acknowledged_at, row.acknowledged_by = now, actor
            row.commander = row.commander or actor
        if event is Event.MITIGATE:
            row.mitigated_at = now
        if event is Event.RESOLVE:
            row.resolved_at, row.resolved_by = now, actor
        if event is Event.CLOSE:
            row.closed_at = now
        row.next_escalation_at = None  # anyone acting on it stops the escalation
        _join(row, actor)
        stamp = _STAMPS[event]
        queries.add_event(
            session,
            row.id,
            at=now,
            actor=actor,
            kind=stamp,
            text=f"{stamp.capitalize()} by {actor}" + (f": {text}" if text else ""),
            data={"status": str(status)},
        )
        return incident_view(row)


def acknowledge(*, db: Database, incident_id: int, actor: str, now: datetime) -> IncidentView:
    """Acknowledge an incident: someone has it; escalation stops."""
    return transition(db=db, incident_id=incident_id, event=Event.ACKNOWLEDGE, actor=actor, now=now)


def resolve(
    *, db: Database, incident_id: int, actor: str, now: datetime, text: str = ""
) -> IncidentView:
    """Resolve an incident (from any open state)."""
    return transition(
        db=db, incident_id=incident_id, event=Event.RESOLVE, actor=actor, now=now, text=text
    )


def add_note(
    *, db: Database, incident_id: int, text: str, actor: str, now: datetime, kind: str = "note"
) -> EventView:
    """Add a note (or a root cause, trigger, impact, lesson, resolution) to the timeline."""
    text = check_text(text, field="the note", max_length=MAX_NOTE).strip()
    if not text:
        raise BadInput("the note is empty")
    if kind not in NOTE_KINDS:
        raise BadInput(f'note kind "{kind}" is not one of: {", ".join(NOTE_KINDS)}')
    with db.transaction() as session:
        row = locked(session, incident_id)
        _join(row, actor)
        return event_view(
            queries.add_event(session, row.id, at=now, actor=actor, kind=kind, text=text)
        )


def change_severity(
    *,
    db: Database,
    runbook: Runbook,
    incident_id: int,
    severity_level: str,
    actor: str,
    now: datetime,
) -> IncidentView:
    """Change an open incident's severity; respond-by and escalation follow the new level."""
    level = severity(runbook, severity_level)
    with db.transaction() as session:
        row = locked(session, incident_id)
        if Status(row.status) not in (Status.DETECTED, Status.ACKNOWLEDGED, Status.MITIGATED):
            raise Refused(f"incident {incident_id} is {row.status}; its severity is final")
        before = row.severity
        opened = utc(row.opened_at)
        assert opened is not None
        row.severity, row.window_seconds = level.level, level.response_seconds
        row.respond_by = level.respond_by(opened)
        _join(row, actor)
        queries.add_event(
            session,
            row.id,
            at=now,
            actor=actor,
            kind="severity",
            text=f"Severity {before} → {level.level}",
            data={"from": before, "to": level.level},
        )
        escalate(session, row, runbook, now)
        return incident_view(row)


def post_status_update(
    *, db: Database, runbook: Runbook, incident_id: int, text: str, actor: str, now: datetime
) -> EventView:
    """Record a status update in the timeline and send it to every emergency contact."""
    text = check_text(text, field="the status update", max_length=MAX_UPDATE).strip()
    if not text:
        raise BadInput("the status update is empty")
    with db.transaction() as session:
        row = locked(session, incident_id)
        _join(row, actor)
        event = queries.add_event(
            session, row.id, at=now, actor=actor, kind="status-update", text=text
        )
        for contact in runbook.contacts:
            name, address = person(contact.contact)
            if address:
                who = Recipient(contact.role, contact.name or name, address)
                _queue_page(session, row, who, -1, f"status update: {text}", now)
        return event_view(event)


def link_run(
    *,
    db: Database,
    incident_id: int,
    run_id: int,
    text: str,
    actor: str,
    now: datetime,
    data: Mapping[str, object] | None = None,
) -> EventView:
    """Record a procedure run (and what it printed) in the incident's timeline."""
    with db.transaction() as session:
        row = locked(session, incident_id)
        _join(row, actor)
        event = queries.add_event(
            session,
            row.id,
            at=now,
            actor=actor,
            kind="run",
            text=text,
            data={"run_id": run_id, **(data or {})},
        )
        return event_view(event)


def add_action_item(
    *, db: Database, incident_id: int, text: str, owner: str, actor: str, now: datetime
) -> ActionItemView:
    """Track a follow-up action of the post-mortem, with its owner."""
    text = check_text(text, field="the action item", max_length=MAX_ACTION).strip()
    owner = check_text(owner, field="the owner", max_length=MAX_OWNER).strip()
    if not text or not owner:
        raise BadInput("an action item needs a text and an owner", '--owner "Ana Ruiz"')
    with db.transaction() as session:
        row = locked(session, incident_id)
        item = ActionItemRow(
            incident_id=row.id, text=text, owner=owner, status="open", created_at=now
        )
        queries.add(session, item)
        queries.add_event(
            session,
            row.id,
            at=now,
            actor=actor,
            kind="action",
            text=f"Action item {item.id} for {item.owner}: {item.text}",
        )
        return action_view(item)


def complete_action_item(
    *, db: Database, incident_id: int, item_id: int, actor: str, now: datetime
) -> ActionItemView:
    """Mark an action item done."""
    with db.transaction() as session:
        locked(session, incident_id)
        item = session.get(ActionItemRow, item_id)
        if item is None or item.incident_id != incident_id:
            raise NotFound(f"incident {incident_id} has no action item {item_id}")
        if item.status != "done":
            item.status, item.done_at = "done", now
            queries.add_event(
                session,
                incident_id,
                at=now,
                actor=actor,
                kind="action",
                text=f"Action item {item.id} done: {item.text}",
            )
        return action_view(item)


def suggestions(*, db: Database, runbook: Runbook, incident_id: int) -> list[Match]:
    """Return the troubleshooting issues that best match an incident and its alerts."""
    with db.transaction() as session:
        row = session.get(IncidentRow, incident_id)
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        alerts = [e.text for e in queries.events_of(session, incident_id) if e.kind == "alert"]
        return best_matches(runbook, title=row.title, alerts=alerts)


def list_incidents(
    *, db: Database, only_open: bool = False, limit: int = 50, cursor: str | None = None
) -> Page[IncidentView]:
    """Return a page of incidents, newest first, with how many match in all."""
    before = decode_cursor(cursor)[1] if cursor else None
    with db.transaction() as session:
        rows, total = queries.incidents(
            session, only_open=only_open, limit=limit + 1, before=before
        )
        items = tuple(incident_view(r) for r in rows[:limit])
    following = encode_cursor(None, rows[limit - 1].id) if len(rows) > limit else None
    return Page(items, total, following)


def show_incident(*, db: Database, incident_id: int) -> IncidentDetailView:
    """Return one incident with its timeline, pages, action items and evidence."""
    with db.transaction() as session:
        row = session.get(IncidentRow, incident_id)
        if row is None:
            raise NotFound(f"no incident {incident_id}", "list them: opsbook incidents list")
        return IncidentDetailView.of(
            incident_view(row),
            timeline=tuple(event_view(e) for e in queries.events_of(session, incident_id)),
            pages=tuple(page_view(p) for p in queries.pages_of(session, incident_id)),
            action_items=tuple(action_view(a) for a in queries.actions_of(session, incident_id)),
            evidence=tuple(evidence_view(e) for e in queries.evidence_of(session, incident_id)),
        )
