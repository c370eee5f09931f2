"""Email over SMTP (stdlib smtplib in a thread), with optional STARTTLS and login."""

from __future__ import annotations

import asyncio
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from opsbook.notify.base import DeliveryError, Message


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "opsbook@localhost"
    starttls: bool = False
    username: str | None = None
    # The password is read from this environment variable, never written in the runbook.
    password_env: str | None = None
    timeout: float = 10.0


class EmailChannel:
    """Sends each message as one plain-text email."""

    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, target: str, message: Message) -> None:
        """Send the message to one address."""
        await asyncio.to_thread(self._send, target, message)

    def _send(self, target: str, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = target
        mail["Subject"] = message.subject
        body = message.text + (f"\n\n{message.link}\n" if message.link else "\n")
        mail.set_content(body)
        config = self.settings
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
                if config.starttls:
                    smtp.starttls()
                if config.username:
                    password = os.environ.get(config.password_env or "", "")
                    smtp.login(config.username, password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {config.host}:{config.port}: {exc}") from None
