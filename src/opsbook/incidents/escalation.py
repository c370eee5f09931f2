"""Who is paged, and when: the escalation policy built from the Emergency Contacts table.

At opening the primary contact is paged (and the Security Lead for a security incident).
When nobody acknowledges by respond-by, the primary contact's backup is paged (and the
Security Lead's backup); one more response window later, the Operations Lead. Pure: the
caller passes the time in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbook.runbook.model import Contact, Runbook


@dataclass(frozen=True)
class Recipient:
    """A person to page: why them (role), their name, and where (an address, may be empty)."""

    role: str
    name: str
    address: str = ""

    @property
    def label(self) -> str:
        """Return the name with the address, as pages show it."""
        return f"{self.name} <{self.address}>" if self.address else self.name


@dataclass(frozen=True)
class Level:
    """One escalation step: who is paged once `after_seconds` passed since opening."""

    number: int
    after_seconds: float
    recipients: tuple[Recipient, ...]
    reason: str

    def due_at(self, opened_at: datetime) -> datetime:
        """Return when this level falls due for an incident opened at `opened_at`."""
        return opened_at + timedelta(seconds=self.after_seconds)


_ADDRESS = re.compile(r"[^\s<>(),;]+@[^\s<>(),;]+")


def person(text: str) -> tuple[str, str]:
    """Split `Sam Okafor (sam@example.com)` into name and address; either may be empty."""
    cleaned = text.strip()
    match = _ADDRESS.search(cleaned)
    if not match:
        return cleaned, ""
    address = match.group(0)
    name = re.sub(r"[<(]\s*[>)]", "", cleaned.replace(address, "")).strip(" ,;-<>()")
    return name or address, address


def find_contact(runbook: Runbook, word: str) -> Contact | None:
    """Return the first contact whose role contains `word` (case-insensitive)."""
    return next((c for c in runbook.contacts if word in c.role.lower()), None)


def primary_contact(runbook: Runbook) -> Contact | None:
    """Return the primary contact: the role with "primary" in it, else the first row."""
    return find_contact(runbook, "primary") or (runbook.contacts[0] if runbook.contacts else None)


def _own(contact: Contact) -> Recipient | None:
    name, address = person(contact.contact)
    if not (contact.name or name or address):
        return None
    return Recipient(contact.role, contact.name or name, address)


def _backup(contact: Contact) -> Recipient | None:
    if not contact.backup.strip():
        return None
    name, address = person(contact.backup)
    return Recipient(f"backup of {contact.role}", name, address)


def policy(runbook: Runbook, *, window_seconds: float, security: bool) -> tuple[Level, ...]:
    """Return the escalation levels for an incident with this response window."""
    primary = primary_contact(runbook)
    security_lead = find_contact(runbook, "security") if security else None
    operations = find_contact(runbook, "operations")
    first = [primary and _own(primary), security_lead and _own(security_lead)]
    second = [primary and _backup(primary), security_lead and _backup(security_lead)]
    third = [operations and _own(operations)]
    plan = (
        (0.0, first, "incident opened"),
        (window_seconds, second, "not acknowledged by respond-by"),
        (2 * window_seconds, third, "still not acknowledged one response window later"),
    )
    levels: list[Level] = []
    for after, people, reason in plan:
        found = tuple(p for p in people if p)
        if found:
            levels.append(Level(len(levels), after, found, reason))
    return tuple(levels)


def due(levels: tuple[Level, ...], *, opened_at: datetime, done: int, now: datetime) -> list[Level]:
    """Return the levels not yet paged (`done` were) whose time has come, in order."""
    return [lvl for lvl in levels[done:] if lvl.due_at(opened_at) <= now]


def next_due(levels: tuple[Level, ...], *, opened_at: datetime, done: int) -> datetime | None:
    """Return when the next level falls due, or None when every level was paged."""
    return levels[done].due_at(opened_at) if done < len(levels) else None
