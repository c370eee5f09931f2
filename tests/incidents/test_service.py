"""Incident use cases on a real database: lifecycle, timeline, escalation timers, dedup."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from opsbook.incidents import service
from opsbook.incidents.lifecycle import Event
from opsbook.incidents.paging import escalate_due
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database, open_database
from tests.incidents.clock import FakeClock


def _open(db: Database, book: Runbook, clock: FakeClock, **kw: object) -> int:
    opened = service.open_incident(
        db=db,
        runbook=book,
        title=str(kw.pop("title", "Items lost")),
        severity_level=str(kw.pop("severity", "SEV-2")),
        actor="ana",
        now=clock(),
        **kw,
    )  # type: ignore[arg-type]
    return opened.incident.id


def _kinds(db: Database, incident_id: int) -> list[str]:
    return [e.kind for e in service.show_incident(db=db, incident_id=incident_id).timeline]


def test_opening_sets_respond_by_from_severity_and_pages_the_primary(
    db: Database, book: Runbook
) -> None:
    clock = FakeClock()
    incident_id = _open(db, book, clock)
    data = service.show_incident(db=db, incident_id=incident_id)
    assert data.status == "detected" and data.severity == "SEV-2"
    assert data.respond_by == datetime.fromisoformat("2026-11-27T04:00:00+00:00")
    assert [(p.name, p.status) for p in data.pages] == [("Ana Ruiz", "queued")]
    assert data.next_escalation_at == data.respond_by
    assert _kinds(db, incident_id) == ["opened", "triage", "page"]


def test_every_transition_is_stamped_with_time_and_actor(db: Database, book: Runbook) -> None:
    clock = FakeClock()
    incident_id = _open(db, book, clock)
    clock.advance(minutes=5)
    service.acknowledge(db=db, incident_id=incident_id, actor="sam", now=clock())
    clock.advance(minutes=5)
    service.transition(
        db=db, incident_id=incident_id, event=Event.MITIGATE, actor="sam", now=clock()
    )
    clock.advance(minutes=5)
    service.resolve(db=db, incident_id=incident_id, actor="lena", now=clock(), text="restarted")
    clock.advance(minutes=5)
    closed = service.transition(
        db=db, incident_id=incident_id, event=Event.CLOSE, actor="lena", now=clock()
    )
    assert closed.status == "closed"
    assert closed.acknowledged_by == "sam" and closed.commander == "sam"
    assert closed.acknowledged_at == datetime.fromisoformat("2026-11-27T03:05:00+00:00")
    assert closed.resolved_at == datetime.fromisoformat("2026-11-27T03:15:00+00:00")
    assert closed.participants == ("ana", "sam", "lena")
    timeline = service.show_incident(db=db, incident_id=incident_id).timeline
    assert [(e.kind, e.actor) for e in timeline[3:]] == [
        ("acknowledged", "sam"),
        ("mitigated", "sam"),
        ("resolved", "lena"),
        ("closed", "lena"),
    ]
    assert timeline[5].text == "Resolved by lena: restarted"


def test_acknowledging_after_resolve_is_refused_and_changes_nothing(
    db: Database, book: Runbook
) -> None:
    clock = FakeClock()
    incident_id = _open(db, book, clock)
    service.resolve(db=db, incident_id=incident_id, actor="lena", now=clock())
    with pytest.raises(service.Refused, match="does not reopen"):
        service.acknowledge(db=db, incident_id=incident_id, actor="sam", now=clock())
    data = service.show_incident(db=db, incident_id=incident_id)
    assert data.status == "resolved" and data.acknowledged_at is None


def test_unknown_incident_and_bad_input_are_reported(db: Database, book: Runbook) -> None:
    clock = FakeClock()
    with pytest.raises(service.NotFound, match="no incident 99"):
        service.acknowledge(db=db, incident_id=99, actor="sam", now=clock())
    with pytest.raises(service.BadInput, match="SEV-7"):
        _open(db, book, clock, severity="SEV-7")
    with pytest.raises(service.BadInput, match="title is empty"):
        _open(db, book, clock, title="   ")
    assert service.list_incidents(db=db).items == ()


def test_unacknowledged_incident_escalates_to_backup_then_operations_lead(
    db: Database, book: Runbook
) -> None:
    clock = FakeClock()
    incident_id = _open(db, book, clock)
    clock.advance(minutes=59)
    assert escalate_due(db=db, runbook=book, now=clock()) == 0
    clock.advance(minutes=1)
    assert escalate_due(db=db, runbook=book, now=clock()) == 1
    assert escalate_due(db=db, runbook=book, now=clock()) == 0  # never twice
    clock.advance(hours=1)
    assert escalate_due(db=db, runbook=book, now=clock()) == 1
    pages = service.show_incident(db=db, incident_id=incident_id).pages
    assert [(p.level, p.name) for p in pages] == [
        (0, "Ana Ruiz"),
        (1, "Sam Okafor"),
        (2, "Lena Vogel"),
    ]
    assert service.show_incident(db=db, incident_id=incident_id).next_escalation_at is None


def test_acknowledgement_stops_the_escalation(db: Database, book: Runbook) -> None:
    clock = FakeClock()
    incident_id = _open(db, book, clock)
    clock.advance(minutes=30)
    service.acknowledge(db=db, incident_id=incident_id, actor="ana", now=clock())
    clock.advance(hours=5)
    assert escalate_due(db=db, runbook=book, now=clock()) == 0
    assert len(service.show_incident(db=db, incident_id=incident_id).pages) == 1


def test_timers_survive_a_restart(tmp_path: Path, book: Runbook) -> None:
    url = f"sqlite:///{tmp_path / 'restart' / 'opsbook.db'}"
    clock = FakeClock()
    first = open_database(url)
    incident_id = _open(first, book, clock, severity="SEV-1")
    first.dispose()  # the server stops; nothing is kept in memory
    clock.advance(minutes=40)  # it comes back long after respond-by (15 min)
    second = open_database(url)
    assert escalate_due(db=second, runbook=book, now=clock()) == 2  # backup and ops lead
    names = [p.name for p in service.show_incident(db=second, incident_id=incident_id).pages]
    assert names == ["Ana Ruiz", "Sam Okafor", "Lena Vogel"]
    second.dispose()


def _alert(db: Database, book: Runbook, clock: FakeClock, text: str | None) -> service.Opened:
    return service.open_incident(
        db=db,
        runbook=book,
        title="Items stored critical",
        severity_level="SEV-2",
        actor="monitoring",
        now=clock(),
        cause="rule:items-stored",
        alert=text,
    )


def test_alerts_of_the_same_cause_attach_to_the_open_incident(db: Database, book: Runbook) -> None:
    clock = FakeClock()
    first = _alert(db, book, clock, "Items stored > 500")
    clock.advance(minutes=3)
    again = _alert(db, book, clock, "Items stored = 612")
    assert again.attached and again.incident.id == first.incident.id
    assert _kinds(db, first.incident.id) == ["opened", "alert", "triage", "page", "alert"]
    service.resolve(db=db, incident_id=first.incident.id, actor="ana", now=clock())
    later = _alert(db, book, clock, None)
    assert not later.attached and later.incident.id != first.incident.id


def test_severity_change_moves_respond_by_and_escalates_when_overdue(
    db: Database, book: Runbook
) -> None:
    clock = FakeClock()
    incident_id = _open(db, book, clock, severity="SEV-3")
    clock.advance(minutes=20)
    data = service.change_severity(
        db=db,
        runbook=book,
        incident_id=incident_id,
        severity_level="SEV-1",
        actor="lena",
        now=clock(),
    )
    assert data.respond_by == datetime.fromisoformat("2026-11-27T03:15:00+00:00")
    pages = service.show_incident(db=db, incident_id=incident_id).pages
    assert [p.name for p in pages] == ["Ana Ruiz", "Sam Okafor"]  # overdue: backup paged
    assert "severity" in _kinds(db, incident_id)


def test_notes_actions_and_status_updates_land_in_the_timeline(db: Database, book: Runbook) -> None:
    clock = FakeClock()
    incident_id = _open(db, book, clock)
    service.add_note(
        db=db,
        incident_id=incident_id,
        text="disk full",
        actor="sam",
        now=clock(),
        kind="root-cause",
    )
    with pytest.raises(service.BadInput, match="note kind"):
        service.add_note(
            db=db, incident_id=incident_id, text="x", actor="sam", now=clock(), kind="gossip"
        )
    item = service.add_action_item(
        db=db,
        incident_id=incident_id,
        text="Alert on disk at 70%",
        owner="Lena Vogel",
        actor="sam",
        now=clock(),
    )
    done = service.complete_action_item(
        db=db, incident_id=incident_id, item_id=item.id, actor="lena", now=clock()
    )
    assert done.status == "done"
    service.post_status_update(
        db=db,
        runbook=book,
        incident_id=incident_id,
        text="Mitigated; watching",
        actor="sam",
        now=clock(),
    )
    data = service.show_incident(db=db, incident_id=incident_id)
    assert [e.kind for e in data.timeline][3:] == [
        "root-cause",
        "action",
        "action",
        "status-update",
    ]
    assert {p.name for p in data.pages if p.level == -1} == {
        "Ana Ruiz",
        "Priya Natarajan",
        "Lena Vogel",
    }
