"""Which Pager sends an incident's pages: the notify domain's channels, configured in the
front matter's `notifications:` (email over SMTP to the person paged; each page is also
posted to the team's webhooks, best effort)."""

from __future__ import annotations

import asyncio
from email.utils import formataddr
from typing import TYPE_CHECKING

from opsbook.incidents.paging import PageFailed, PageMessage
from opsbook.notify.base import DeliveryError, Message
from opsbook.notify.service import channels_for
from opsbook.notify.settings import notify_settings

if TYPE_CHECKING:
    from opsbook.incidents.paging import Pager
    from opsbook.notify.base import Channel
    from opsbook.notify.settings import NotifySettings
    from opsbook.runbook.model import Runbook

URGENT = ("SEV-1", "SEV-2")


class NotifyPager:
    """Sends pages through notify's channels; one attempt per call (the outbox retries)."""

    def __init__(self, settings: NotifySettings) -> None:
        self.email, self.webhook = channels_for(settings)
        self.webhooks = settings.webhooks

    def send(self, message: PageMessage) -> str:
        """Email the person paged and post to the webhooks; PageFailed if nobody got it."""
        return asyncio.run(self._send(message))

    async def _send(self, message: PageMessage) -> str:
        severity = (
            "critical" if message.subject.startswith(tuple(f"[{s}]" for s in URGENT)) else "warning"
        )
        note = Message(message.subject, message.body, severity)
        used, errors = [], []
        targets: list[tuple[Channel | None, str, str]] = [
            (self.email, formataddr((message.name, message.address)), "email"),
            *((self.webhook, url, "webhook") for url in self.webhooks),
        ]
        for channel, target, kind in targets:
            if channel is None:
                continue
            try:
                await channel.send(target, note)
                used.append(kind if kind == "email" else f"webhook {target.split('/')[2]}")
            except DeliveryError as exc:
                errors.append(str(exc))
        if "email" not in used and (self.email is not None or not used):
            raise PageFailed("; ".join(errors) or "no notification channel is configured")
        return ", ".join(used)


def pager_for(runbook: Runbook) -> Pager | None:
    """Return the pager the runbook configures, or None when it configures no channel
    (NotifySettingsError names a bad setting)."""
    settings = notify_settings(runbook.settings)
    if settings.email is None and not settings.webhooks:
        return None
    return NotifyPager(settings)
