"""Paging follows the rotation: an alert in the night pages whoever is on call then, then the
secondary layer, the role's backup and the Operations Lead, as real email through a real SMTP
server (aiosmtpd), on a fake clock; the timeline says why each was chosen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.message import Message as EmailMessage

import pytest

from opsbook.incidents import service
from opsbook.incidents.channels import NotifyPager
from opsbook.incidents.escalation import policy
from opsbook.incidents.paging import deliver_pages, escalate_due
from opsbook.notify.base import Message
from opsbook.notify.contacts import recipient
from opsbook.notify.email import SmtpSettings
from opsbook.notify.service import notify_role
from opsbook.notify.settings import NotifySettings
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.incidents.clock import FakeClock
from tests.incidents.smtp import Mailbox

SUNDAY_3AM = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 03:00 on Sunday 1 March in Berlin


def _pager(box: Mailbox) -> NotifyPager:
    email = SmtpSettings(host=box.host, port=box.port, sender="opsbook@example.com")
    return NotifyPager(NotifySettings(email=email))


def _text(message: EmailMessage) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


@pytest.mark.process
def test_an_alert_at_three_on_sunday_pages_the_person_on_call_then_the_secondary(
    db: Database, book: Runbook, smtp: Mailbox
) -> None:
    clock = FakeClock(SUNDAY_3AM)
    opened = service.open_incident(
        db=db,
        runbook=book,
        title="Checkout returns 500",
        severity_level="SEV-2",
        actor="monitoring",
        now=clock(),
        alert="error_rate > 5% for 5m",
        cause="alert:error_rate",
    )
    incident = opened.incident.id
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock()) == 1
    first = smtp.to("ben@example.com")
    assert len(first) == 1 and len(smtp.messages) == 1
    body = _text(first[0])
    assert "Why you: Primary Owner: primary layer of rotation ops" in body
    assert "Ben Ode is on call in the primary layer of rotation ops" in body

    clock.advance(hours=1)  # SEV-2: respond by one hour; nobody acknowledged
    escalate_due(db=db, runbook=book, now=clock())
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock()) == 1
    # The secondary layer's person that night is Ana, whose address is in her contact row.
    second = smtp.to("ana.ruiz@example.com")
    assert len(second) == 1
    assert "the secondary layer is next" in _text(second[0])

    clock.advance(hours=1)
    escalate_due(db=db, runbook=book, now=clock())
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock()) == 1
    assert len(smtp.to("sam.okafor@example.com")) == 1  # the Primary Owner's backup

    service.acknowledge(db=db, incident_id=incident, actor="sam", now=clock())
    clock.advance(hours=3)
    escalate_due(db=db, runbook=book, now=clock())
    assert deliver_pages(db=db, pager=_pager(smtp), now=clock()) == 0
    assert len(smtp.messages) == 3  # the Operations Lead was never paged

    pages = [e.text for e in service.show_incident(db=db, incident_id=incident).timeline]
    paging = [t for t in pages if t.startswith("Paging ")]
    assert paging[0].startswith(
        "Paging Ben Ode <ben@example.com> (Primary Owner: primary layer of rotation ops): "
        "incident opened; Ben Ode is on call in the primary layer of rotation ops "
        "(their turn of a 1 week rotation, Europe/Berlin)"
    )
    assert paging[1].startswith(
        "Paging Ana Ruiz <ana.ruiz@example.com> (Primary Owner: secondary layer of rotation ops)"
    )
    assert "Ana Ruiz is on call in the secondary layer" in paging[1]
    assert paging[2].startswith("Paging Sam Okafor <sam.okafor@example.com> (backup of Primary")


@pytest.mark.unit
def test_the_rotation_is_asked_at_the_moment_of_paging_not_at_opening(book: Runbook) -> None:
    monday = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the 09:00 handoff in Berlin
    before = policy(book, window_seconds=3600, security=False, at=monday.replace(hour=7))
    after = policy(book, window_seconds=3600, security=False, at=monday)
    assert [lvl.recipients[0].name for lvl in before] == [
        "Ben Ode",
        "Ana Ruiz",
        "Sam Okafor",
        "Lena Vogel",
    ]
    assert [lvl.recipients[0].name for lvl in after] == [
        "Cy Park",
        "Ben Ode",
        "Sam Okafor",
        "Lena Vogel",
    ]
    assert [lvl.after_seconds for lvl in after] == [0, 3600, 7200, 10800]
    # Without a moment a rotation is not resolved, as before rotations existed.
    assert [lvl.recipients[0].name for lvl in policy(book, window_seconds=1, security=False)] == [
        "rotation: ops",
        "Sam Okafor",
        "Lena Vogel",
    ]


@pytest.mark.unit
def test_an_override_is_who_gets_paged_and_the_page_says_so(book: Runbook) -> None:
    settings = dict(book.settings)
    oncall = dict(settings["oncall"])
    oncall["ops"] = {
        **oncall["ops"],
        "overrides": [
            {
                "who": "Lee <lee@example.com>",
                "covers": "Ben Ode",
                "from": "2026-02-28",
                "to": "2026-03-02",
            }
        ],
    }
    changed = Runbook(**{**book.__dict__, "settings": {**settings, "oncall": oncall}})
    levels = policy(changed, window_seconds=60, security=False, at=SUNDAY_3AM)
    first = levels[0].recipients[0]
    assert (first.name, first.address) == ("Lee", "lee@example.com")
    assert "by an override covering Ben Ode" in first.why


@pytest.mark.unit
def test_the_on_call_contact_alone_may_name_the_rotation(book: Runbook) -> None:
    plain = tuple(c for c in book.contacts if c.role != "Primary Owner")
    changed = Runbook(**{**book.__dict__, "contacts": plain})
    levels = policy(changed, window_seconds=60, security=False, at=SUNDAY_3AM)
    assert levels[0].recipients[0].role == "On-Call Contact: primary layer of rotation ops"
    assert levels[0].recipients[0].name == "Ben Ode"


@pytest.mark.process
def test_notify_a_role_naming_a_rotation_emails_the_person_on_call(
    db: Database, book: Runbook, smtp: Mailbox
) -> None:
    who = recipient(book, "Primary Owner", at=SUNDAY_3AM)
    assert who is not None and who.emails == ("ben@example.com",)
    backup = recipient(book, "primary owner", backup=True, at=SUNDAY_3AM)
    assert backup is not None and backup.emails == ("ana.ruiz@example.com",)
    direct = recipient(book, "ops", at=SUNDAY_3AM)  # `notify: ops` names the rotation itself
    assert direct is not None and direct.name == "Ben Ode"
    settings = NotifySettings(email=SmtpSettings(host=smtp.host, port=smtp.port))
    attempts = asyncio.run(
        notify_role(
            db=db,
            runbook=book,
            settings=settings,
            role="Primary Owner",
            message=Message("disk full", "disk 97% on web-1", "critical", None, None),
            clock=lambda: SUNDAY_3AM,
        )
    )
    assert [a.ok for a in attempts] == [True]
    assert len(smtp.to("ben@example.com")) == 1


@pytest.mark.unit
def test_a_mistyped_rotation_block_does_not_stop_paging(book: Runbook) -> None:
    broken = {**book.settings, "oncall": {"ops": {"layers": [{"people": ["A"]}]}}}
    changed = Runbook(**{**book.__dict__, "settings": broken})
    levels = policy(changed, window_seconds=60, security=False, at=SUNDAY_3AM)
    # The rotation cannot be asked: the fixed chain pages the backup and the lead.
    assert [lvl.recipients[0].name for lvl in levels] == [
        "rotation: ops",
        "Sam Okafor",
        "Lena Vogel",
    ]
    assert recipient(changed, "ops", at=SUNDAY_3AM) is None
