"""A Pager that sends email over SMTP (stdlib smtplib), configured in the front matter:

```yaml
notify:
  email:
    host: smtp.example.com
    port: 587              # default 25
    from: opsbook@example.com
    starttls: true         # default false
    username: opsbook      # optional; the password comes from the environment variable
    password_env: SMTP_PASSWORD
    timeout: 10s
```

Used until the notify domain's channels take over paging.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opsbook.incidents.paging import PageFailed, PageMessage


class EmailSettingsError(ValueError):
    """A `notify.email` setting that cannot be used; the message names the field."""


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int = 25
    sender: str = "opsbook@localhost"
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    timeout: float = 10.0


def email_settings(settings: Mapping[str, Any]) -> EmailSettings | None:
    """Read `notify.email` (or `notifications.email`); None when no email is configured."""
    section = settings.get("notify") or settings.get("notifications") or {}
    raw = section.get("email") if isinstance(section, dict) else None
    if not raw:
        return None
    if not isinstance(raw, dict) or not raw.get("host"):
        raise EmailSettingsError("front matter notify.email needs at least `host:`")
    try:
        port = int(raw.get("port", 25))
    except (TypeError, ValueError):
        raise EmailSettingsError(f'notify.email.port "{raw.get("port")}" is not a number') from None
    timeout = raw.get("timeout", 10.0)
    if not isinstance(timeout, int | float):
        from opsbook.runbook.durations import parse_duration

        timeout = parse_duration(str(timeout))
    return EmailSettings(host=str(raw["host"]), port=port,
                         sender=str(raw.get("from") or "opsbook@localhost"),
                         starttls=bool(raw.get("starttls", False)),
                         username=raw.get("username"), password_env=raw.get("password_env"),
                         timeout=float(timeout))  # fmt: skip


class EmailPager:
    """Sends each page as one email to the recipient's address."""

    def __init__(self, settings: EmailSettings, environ: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self.environ = os.environ if environ is None else environ

    def send(self, message: PageMessage) -> str:
        import smtplib
        from email.message import EmailMessage
        from email.utils import formataddr, make_msgid

        s = self.settings
        mail = EmailMessage()
        mail["From"] = s.sender
        mail["To"] = formataddr((message.name, message.address))
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(domain="opsbook")
        mail["X-Opsbook-Incident"] = str(message.incident_id)
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, self.environ.get(s.password_env or "", ""))
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise PageFailed(f"email to {message.address} via {s.host}:{s.port}: {exc}") from None
        return f"email via {s.host}:{s.port}"
