"""Pages as real email through a real SMTP server (aiosmtpd), escalating on a fake clock."""

from __future__ import annotations

import pytest

from opsbook.incidents import service
from opsbook.incidents.channels import NotifyPager, pager_for
from opsbook.incidents.paging import deliver_pages, escalate_due
from opsbook.notify.email import SmtpSettings
from opsbook.notify.settings import NotifySettings
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.incidents.clock import FakeClock
from tests.incidents.smtp import Mailbox

pytestmark = pytest.mark.process


def _pager(box: Mailbox) -> NotifyPager:
    smtp = SmtpSettings(host=box.host, port=box.port, sender="opsbook@example.com")
    return NotifyPager(NotifySettings(email=smtp))


def test_nobody_acknowledges_so_the_backup_gets_a_real_email(
    db: Database, book: Runbook, smtp: Mailbox
) -> None:
    clock = FakeClock()
    opened = service.open_incident(
        db=db,
        runbook=book,
        title="Items lost",
        severity_level="SEV-2",
        actor="monitoring",
        now=clock(),
    )
    incident_id = opened.incident.id
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock(), base_url="http://x") == 1
    first = smtp.to("ana.ruiz@example.com")
    assert len(first) == 1 and first[0]["Subject"] == f"[SEV-2] Incident {incident_id}: Items lost"
    assert f"opsbook incidents ack {incident_id}" in first[0].get_payload()
    assert f"http://x/incidents/{incident_id}" in first[0].get_payload()

    clock.advance(hours=1)  # respond-by passes, nobody acknowledged
    escalate_due(db=db, runbook=book, now=clock())
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock()) == 1
    backup = smtp.to("sam.okafor@example.com")
    assert len(backup) == 1 and "not acknowledged by respond-by" in backup[0].get_payload()

    service.acknowledge(db=db, incident_id=incident_id, actor="sam", now=clock())
    clock.advance(hours=2)
    escalate_due(db=db, runbook=book, now=clock())
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock()) == 0
    assert len(smtp.messages) == 2  # the Operations Lead was never paged
    kinds = [e.kind for e in service.show_incident(db=db, incident_id=incident_id).timeline]
    assert kinds.count("page-sent") == 2


def test_a_page_that_cannot_be_sent_is_retried_then_marked_failed(
    db: Database, book: Runbook
) -> None:
    clock = FakeClock()
    service.open_incident(
        db=db, runbook=book, title="x", severity_level="SEV-4", actor="a", now=clock()
    )
    dead = NotifyPager(NotifySettings(email=SmtpSettings(host="127.0.0.1", port=1, timeout=2)))
    for _ in range(3):
        assert deliver_pages(db=db, pager=dead, now=clock()) == 0
        clock.advance(minutes=5)
    page = service.show_incident(db=db, incident_id=1).pages[0]
    assert page.status == "failed" and page.attempts == 3
    assert "127.0.0.1:1" in page.error
    assert deliver_pages(db=db, pager=dead, now=clock()) == 0


def test_the_pager_comes_from_the_notifications_front_matter(smtp: Mailbox) -> None:
    assert pager_for(Runbook()) is None
    settings = {"notifications": {"email": {"host": smtp.host, "port": smtp.port}}}
    pager = pager_for(Runbook(settings=settings))
    assert isinstance(pager, NotifyPager) and pager.email is not None


def test_pages_are_posted_to_the_team_webhook_too(db: Database, book: Runbook) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    bodies: list[dict[str, object]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        pager = NotifyPager(NotifySettings(webhooks=(url,)))
        clock = FakeClock()
        service.open_incident(
            db=db,
            runbook=book,
            title="Service down",
            severity_level="SEV-1",
            actor="a",
            now=clock(),
        )
        assert deliver_pages(db=db, pager=pager, now=clock()) == 1
    finally:
        server.shutdown()
    assert bodies[0]["severity"] == "critical"
    assert "[SEV-1] Incident 1: Service down" in str(bodies[0]["text"])
    page = service.show_incident(db=db, incident_id=1).pages[0]
    assert page.status == "sent" and page.channel.startswith("webhook 127.0.0.1:")


def test_a_page_whose_sender_died_mid_send_is_sent_later(
    db: Database, book: Runbook, smtp: Mailbox
) -> None:
    from opsbook.incidents import queries

    clock = FakeClock()
    service.open_incident(
        db=db, runbook=book, title="x", severity_level="SEV-4", actor="a", now=clock()
    )
    with db.transaction() as session:  # a sender claims the page, then is killed -9
        (page,) = queries.claim_pages(session, clock(), 10)
        page.status, page.attempts = "sending", 1
        page.not_before = clock().replace(minute=5)
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock()) == 0  # not yet: maybe sending
    clock.advance(minutes=6)
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock()) == 1
    assert len(smtp.to("ana.ruiz@example.com")) == 1
