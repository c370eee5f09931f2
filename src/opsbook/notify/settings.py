"""The `notifications:` front matter: SMTP settings, webhooks, retries.

```yaml
notifications:
  email: {host: smtp.example.com, port: 587, from: opsbook@example.com, starttls: true,
          username: opsbook, password_env: SMTP_PASSWORD}
  webhooks: [{url: "https://hooks.slack.com/services/..."}]
  retries: 3        # attempts per target
  backoff: 2s       # wait before the 2nd attempt; doubles each time
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsbook.errors import BadInput
from opsbook.notify.email import SmtpSettings
from opsbook.runbook.durations import parse_duration


class NotifySettingsError(BadInput, ValueError):
    """A `notifications:` setting that cannot be used; names the field."""


@dataclass(frozen=True)
class NotifySettings:
    email: SmtpSettings | None = None
    webhooks: tuple[str, ...] = ()
    retries: int = 3
    backoff: float = 2.0


def notify_settings(settings: dict[str, Any]) -> NotifySettings:
    """Read `notifications:` from the front matter; raise NotifySettingsError naming the field."""
    raw = settings.get("notifications") or {}
    if not isinstance(raw, dict):
        raise NotifySettingsError(
            "front matter `notifications` must be a mapping (email, webhooks)"
        )
    email = _email(raw.get("email"))
    hooks = raw.get("webhooks") or raw.get("webhook") or []
    if isinstance(hooks, str | dict):
        hooks = [hooks]
    urls = []
    for hook in hooks:
        url = hook.get("url") if isinstance(hook, dict) else hook
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise NotifySettingsError(f'notifications.webhooks: "{url}" is not an http(s) URL')
        urls.append(url)
    retries = raw.get("retries", 3)
    if not isinstance(retries, int) or not 1 <= retries <= 10:
        raise NotifySettingsError("notifications.retries must be a whole number from 1 to 10")
    backoff = _seconds(raw.get("backoff", 2.0))
    return NotifySettings(email, tuple(urls), retries, backoff)


def _email(raw: Any) -> SmtpSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not (raw.get("host") or raw.get("smtp_host")):
        raise NotifySettingsError("notifications.email needs `host` (the SMTP server)")
    port = raw.get("port", 25)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise NotifySettingsError(f'notifications.email.port "{port}" is not a port number')
    return SmtpSettings(
        host=str(raw.get("host") or raw.get("smtp_host")),
        port=port,
        sender=str(raw.get("from") or raw.get("sender") or "opsbook@localhost"),
        starttls=bool(raw.get("starttls", False)),
        username=str(raw["username"]) if raw.get("username") else None,
        password_env=str(raw["password_env"]) if raw.get("password_env") else None,
    )


def _seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)

    try:
        return parse_duration(str(value))
    except ValueError:
        raise NotifySettingsError(f'notifications.backoff "{value}" is not a duration') from None
