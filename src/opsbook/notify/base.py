"""What a notification is and what a channel does with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """A notification for people: a subject line, a text, and where to look."""

    subject: str
    text: str
    severity: str = "warning"
    link: str = ""
    alert_id: int | None = None


class DeliveryError(Exception):
    """A channel could not deliver; the message says why (kept with the attempt)."""


class Channel(Protocol):
    """Delivers one message to one target (an address, a URL)."""

    name: str

    async def send(self, target: str, message: Message) -> None:
        """Deliver, or raise DeliveryError saying why not."""
        ...
