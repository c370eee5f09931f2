"""A generic JSON webhook with a Slack-compatible body: `text` plus `blocks`."""

from __future__ import annotations

from typing import Any

import httpx

from opsbook.notify.base import DeliveryError, Message

ICONS = {"critical": ":red_circle:", "warning": ":warning:", "resolved": ":white_check_mark:"}


def slack_body(message: Message) -> dict[str, Any]:
    """Return the JSON body: Slack reads `blocks`, anything else can read `text`."""
    icon = ICONS.get(message.severity, ":bell:")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} {message.text}"}},
    ]
    if message.link:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"<{message.link}|Open in opsbook>"}],
            }
        )
    return {
        "text": f"{message.subject}\n{message.text}",
        "blocks": blocks,
        "severity": message.severity,
        "alert_id": message.alert_id,
    }


class WebhookChannel:
    """POSTs the message as JSON to a URL; any 2xx answer counts as delivered."""

    name = "webhook"

    def __init__(self, timeout: float = 10.0, headers: dict[str, str] | None = None) -> None:
        self.timeout = timeout
        self.headers = headers or {}

    async def send(self, target: str, message: Message) -> None:
        """POST the message to the URL `target`."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(target, json=slack_body(message), headers=self.headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"POST {target}: {type(exc).__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"POST {target}: HTTP {response.status_code} {response.text[:200]}")
