"""Use cases of notifications: notify a role (or its backup) on every configured channel,
and keep every attempt."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.notify.base import Channel, Message
from opsbook.notify.contacts import recipient
from opsbook.notify.delivery import Attempt, Sleep, deliver
from opsbook.notify.email import EmailChannel
from opsbook.notify.settings import NotifySettings
from opsbook.notify.tables import AttemptRow
from opsbook.notify.webhook import WebhookChannel
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database


def channels_for(settings: NotifySettings) -> tuple[Channel | None, Channel | None]:
    """Return the (email, webhook) channels the settings configure."""
    email = EmailChannel(settings.email) if settings.email else None
    webhook = WebhookChannel() if settings.webhooks else None
    return email, webhook


async def notify_role(
    *,
    db: Database,
    runbook: Runbook,
    settings: NotifySettings,
    role: str,
    message: Message,
    clock: Callable[[], datetime],
    backup: bool = False,
    sleep: Sleep = asyncio.sleep,
) -> list[Attempt]:
    """Send the message to a role's contact (or backup) by email and to every webhook."""
    email, webhook = channels_for(settings)
    who = recipient(runbook, role, backup=backup, at=clock())
    jobs = []
    if email is not None and who is not None:
        jobs += [
            deliver(
                email,
                address,
                message,
                retries=settings.retries,
                backoff=settings.backoff,
                clock=clock,
                sleep=sleep,
            )
            for address in who.emails
        ]
    if webhook is not None:
        named = f"{who.name} ({who.role}{', backup' if backup else ''})" if who else role
        if who is not None and who.why:
            named += f"; {who.why}"
        addressed = Message(
            message.subject,
            f"For {named}: {message.text}",
            message.severity,
            message.link,
            message.alert_id,
        )
        jobs += [
            deliver(
                webhook,
                url,
                addressed,
                retries=settings.retries,
                backoff=settings.backoff,
                clock=clock,
                sleep=sleep,
            )
            for url in settings.webhooks
        ]
    attempts = [a for batch in await asyncio.gather(*jobs) for a in batch]
    if not jobs:
        if who is None:
            reason = f'no contact for role "{role}" in Emergency Contacts'
        elif settings.email is not None:
            reason = f"no email address for {who.name or role} and no webhook configured"
        else:
            reason = (
                "no channel configured: add `notifications: {email: {host: ...}}` or "
                "`webhooks:` to the front matter"
            )
        attempts.append(Attempt("none", role, 1, False, reason, clock()))
    await asyncio.to_thread(record_attempts, db, message.alert_id, message.subject, attempts)
    return attempts


def record_attempts(
    db: Database, alert_id: int | None, subject: str, attempts: list[Attempt]
) -> None:
    """Keep every attempt (sent or failed) with the alert it was about."""
    with db.transaction() as session:
        session.add_all(
            AttemptRow(
                alert_id=alert_id,
                channel=a.channel,
                target=a.target,
                subject=subject,
                attempt=a.number,
                ok=a.ok,
                error=a.error,
                at=a.at,
            )
            for a in attempts
        )
