"""An alert's `incident: SEV-N` action opens one incident; its repeats join it."""

from __future__ import annotations

from opsbook.incidents import service
from opsbook.incidents.alerts import IncidentOpener
from opsbook.monitoring.notices import Notice, NoticeKind
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.incidents.clock import FakeClock


def _notice(alert_id: int, summary: str = "Items stored = 612 (> 500)") -> Notice:
    return Notice(NoticeKind.FIRED, alert_id, "Items stored", "critical", summary)


def test_an_alert_opens_an_incident_and_its_repeats_attach(db: Database, book: Runbook) -> None:
    clock = FakeClock()
    opener = IncidentOpener(db, lambda: book)
    rule = next(r for r in book.alert_rules if r.metric == "Items stored")
    level = next(a.target for a in rule.actions if a.kind == "incident")
    first = opener.open(_notice(7), level, clock())
    clock.advance(minutes=2)
    again = opener.open(_notice(8, "Items stored = 640 (> 500)"), level, clock())
    assert again == first
    data = service.show_incident(db=db, incident_id=first)
    assert data.severity == "SEV-2" and data.opened_by == "monitoring"
    assert data.title == "Items stored: Items stored = 612 (> 500)"
    alerts = [e.text for e in data.timeline if e.kind == "alert"]
    assert alerts == [
        "Alert 7 Items stored (critical): Items stored = 612 (> 500)",
        "Alert 8 Items stored (critical): Items stored = 640 (> 500)",
    ]
    assert opener.resolved(_notice(8), clock()) == first
    # The alert resolving marks it mitigated; people resolve it.
    assert service.show_incident(db=db, incident_id=first).status == "mitigated"
    service.resolve(db=db, incident_id=first, actor="ana", now=clock())
    assert opener.resolved(_notice(8), clock()) is None
    assert opener.open(_notice(9), level, clock()) != first  # a recurrence is a new incident
