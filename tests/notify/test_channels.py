"""Notification channels against real peers: aiosmtpd for email, a local HTTP receiver."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.notify.base import Message
from opsbook.notify.contacts import recipient
from opsbook.notify.delivery import deliver
from opsbook.notify.email import EmailChannel, SmtpSettings
from opsbook.notify.service import notify_role
from opsbook.notify.settings import NotifySettingsError, notify_settings
from opsbook.notify.webhook import WebhookChannel
from opsbook.runbook.model import Contact, Runbook
from opsbook.store.database import open_database
from tests.notify.conftest import Mailbox, Receiver, free_port

MESSAGE = Message(
    "[Shop] FIRING critical: Disk usage",
    "Disk usage is 95 (critical: > 90)",
    "critical",
    "http://opsbook/alerts/7",
    7,
)
RUNBOOK = Runbook(
    contacts=(
        Contact("Primary Owner", "Ana Ruiz", "ana@example.com", "Sam Okafor (sam@example.com)"),
    )
)


def clock() -> datetime:
    return datetime.now(UTC)


async def no_sleep(seconds: float) -> None:
    waits.append(seconds)


waits: list[float] = []


def test_email_reaches_the_smtp_server(smtp: Mailbox) -> None:
    channel = EmailChannel(SmtpSettings(smtp.host, smtp.port, "opsbook@example.com"))
    asyncio.run(channel.send("ana@example.com", MESSAGE))
    [mail] = smtp.to("ana@example.com")
    assert mail["subject"] == MESSAGE.subject
    assert "Disk usage is 95" in mail["body"] and "http://opsbook/alerts/7" in mail["body"]


def test_webhook_body_is_slack_compatible(receiver: Receiver) -> None:
    asyncio.run(WebhookChannel().send(receiver.url, MESSAGE))
    [body] = receiver.bodies
    assert body["text"].startswith("[Shop] FIRING critical: Disk usage")
    assert body["blocks"][0]["type"] == "header" and body["alert_id"] == 7


def test_failed_deliveries_are_retried_with_backoff_and_every_attempt_kept(
    receiver: Receiver,
) -> None:
    waits.clear()
    receiver.answers = [503, 500]
    attempts = asyncio.run(
        deliver(
            WebhookChannel(),
            receiver.url,
            MESSAGE,
            retries=4,
            backoff=1.5,
            clock=clock,
            sleep=no_sleep,
        )
    )
    assert [a.ok for a in attempts] == [False, False, True]
    assert "HTTP 503" in (attempts[0].error or "") and waits == [1.5, 3.0]
    assert len(receiver.bodies) == 3


@pytest.mark.process
def test_unreachable_smtp_fails_every_attempt_with_the_reason() -> None:
    channel = EmailChannel(SmtpSettings("127.0.0.1", free_port(), timeout=2))
    attempts = asyncio.run(
        deliver(
            channel, "ana@example.com", MESSAGE, retries=2, backoff=0, clock=clock, sleep=no_sleep
        )
    )
    assert [a.ok for a in attempts] == [False, False]
    assert "SMTP 127.0.0.1" in (attempts[1].error or "")


def test_backup_contact_is_read_from_the_backup_column() -> None:
    primary = recipient(RUNBOOK, "primary owner")
    backup = recipient(RUNBOOK, "Primary Owner", backup=True)
    assert primary is not None and primary.emails == ("ana@example.com",)
    assert backup is not None and (backup.name, backup.emails) == (
        "Sam Okafor",
        ("sam@example.com",),
    )


def test_notify_role_sends_email_and_webhook_and_records_attempts(
    smtp: Mailbox, receiver: Receiver, tmp_path: Path
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'o.db'}")
    settings = notify_settings(
        {
            "notifications": {
                "email": {"host": smtp.host, "port": smtp.port, "from": "ops@example.com"},
                "webhooks": [{"url": receiver.url}],
                "retries": 2,
                "backoff": "1s",
            }
        }
    )
    attempts = asyncio.run(
        notify_role(
            db=db,
            runbook=RUNBOOK,
            settings=settings,
            role="Primary Owner",
            message=MESSAGE,
            clock=clock,
            backup=True,
            sleep=no_sleep,
        )
    )
    assert sorted(a.channel for a in attempts if a.ok) == ["email", "webhook"]
    assert smtp.to("sam@example.com") and not smtp.to("ana@example.com")
    assert "For Sam Okafor (Primary Owner, backup)" in receiver.bodies[0]["text"]
    from opsbook.monitoring.service import show_alert  # noqa: F401 (tables registered)
    from opsbook.notify.tables import AttemptRow

    with db.transaction() as session:
        assert session.query(AttemptRow).filter(AttemptRow.alert_id == 7).count() == 2
    db.dispose()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"email": {"port": 25}}, "host"),
        ({"email": {"host": "h", "port": "x"}}, "port"),
        ({"webhooks": ["ftp://x"]}, "webhooks"),
        ({"retries": 0}, "retries"),
        ({"backoff": "soon"}, "backoff"),
    ],
)
def test_bad_notification_settings_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(NotifySettingsError, match=field):
        notify_settings({"notifications": raw})


def test_without_any_channel_the_attempt_says_what_to_configure(tmp_path: Path) -> None:
    from opsbook.notify.settings import NotifySettings

    db = open_database(f"sqlite:///{tmp_path / 'o.db'}")
    [attempt] = asyncio.run(
        notify_role(
            db=db,
            runbook=RUNBOOK,
            settings=NotifySettings(),
            role="Primary Owner",
            message=MESSAGE,
            clock=clock,
        )
    )
    assert not attempt.ok and "no channel configured" in (attempt.error or "")
    [unknown] = asyncio.run(
        notify_role(
            db=db,
            runbook=RUNBOOK,
            settings=NotifySettings(),
            role="DBA",
            message=MESSAGE,
            clock=clock,
        )
    )
    assert 'no contact for role "DBA"' in (unknown.error or "")
    db.dispose()
