"""Who is paged, and when: the escalation policy built from the Emergency Contacts table.

At opening the primary contact is paged (and the Security Lead for a security incident).
When nobody acknowledges by respond-by, the primary contact's backup is paged (and the
Security Lead's backup); one more response window later, the Operations Lead. Pure: the
caller passes the time in.

When the primary contact (or, without one, the On-Call Contact) names a rotation, the
chain is the rotation's: whoever is on call in its primary layer at the moment of paging,
then its secondary layer, then the role's backup, then the Operations Lead, each one
response window after the one before. The levels are the same whenever they are asked
for (only who fills them changes), so a stored escalation level keeps its meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsbook.oncall.contacts import (
    OnCallPerson,
    contact_rotation,
    person_on_call,
    rotation_named,
)
from opsbook.oncall.model import Rotation
from opsbook.runbook.model import Contact, Runbook


@dataclass(frozen=True)
class Recipient:
    """A person to page: why them (role), their name, and where (an address, may be empty)."""

    role: str
    name: str
    address: str = ""
    why: str = ""  # how a rotation chose them; "" for a fixed contact

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


def _on_call(role: str, found: OnCallPerson | None) -> Recipient | None:
    if found is None:
        return None
    where = f"{role}: {found.layer} layer of rotation {found.rotation}"
    return Recipient(where, found.name, found.address, found.why)


def _own(
    contact: Contact, runbook: Runbook | None = None, at: datetime | None = None
) -> Recipient | None:
    rotation = contact_rotation(runbook, contact) if runbook and at else None
    if rotation is not None and at is not None:
        return _on_call(contact.role, person_on_call(rotation, at))
    name, address = person(contact.contact)
    if not (contact.name or name or address):
        return None
    return Recipient(contact.role, contact.name or name, address)


def _backup(
    contact: Contact, runbook: Runbook | None = None, at: datetime | None = None
) -> Recipient | None:
    if not contact.backup.strip():
        return None
    rotation = rotation_named(runbook, contact.backup) if runbook and at else None
    if rotation is not None and at is not None:
        return _on_call(f"backup of {contact.role}", person_on_call(rotation, at))
    name, address = person(contact.backup)
    return Recipient(f"backup of {contact.role}", name, address)


def policy(
    runbook: Runbook, *, window_seconds: float, security: bool, at: datetime | None = None
) -> tuple[Level, ...]:
    """Return the escalation levels for an incident with this response window.

    `at`: the moment of paging, at which a rotation is asked who is on call (None: a
    contact naming a rotation is not resolved).
    """
    primary = primary_contact(runbook)
    security_lead = find_contact(runbook, "security") if security else None
    operations = find_contact(runbook, "operations")
    rotation, role = _rotation_of(runbook, primary) if at is not None else (None, "")
    if rotation is not None and at is not None:
        return _rotation_policy(
            runbook, rotation, role, primary, security_lead, operations, window_seconds, at
        )
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


def _rotation_of(runbook: Runbook, primary: Contact | None) -> tuple[Rotation | None, str]:
    """Return the rotation paging starts from, and the role that names it."""
    if primary is not None:
        found = contact_rotation(runbook, primary)
        if found is not None:
            return found, primary.role
    if runbook.system.on_call:
        found = rotation_named(runbook, runbook.system.on_call)
        if found is not None:
            return found, "On-Call Contact"
    return None, ""


def _rotation_policy(
    runbook: Runbook,
    rotation: Rotation,
    role: str,
    primary: Contact | None,
    security_lead: Contact | None,
    operations: Contact | None,
    window: float,
    at: datetime,
) -> tuple[Level, ...]:
    """Return the levels of a rotation's chain; a level stays though nobody fills it now."""
    chain: list[tuple[list[Recipient | None], str]] = [
        (
            [
                _on_call(role, person_on_call(rotation, at, 0)),
                _own(security_lead, runbook, at) if security_lead else None,
            ],
            "incident opened",
        )
    ]
    backups: list[Recipient | None] = [
        _backup(security_lead, runbook, at) if security_lead else None
    ]
    if len(rotation.layers) > 1:
        chain.append(
            (
                [_on_call(role, person_on_call(rotation, at, 1)), *backups],
                f"not acknowledged by respond-by: the {rotation.layers[1].name} layer is next",
            )
        )
        backups = []
    if (primary is not None and primary.backup.strip()) or any(backups):
        chain.append(
            (
                [_backup(primary, runbook, at) if primary else None, *backups],
                f"still not acknowledged: the backup of {role} is next",
            )
        )
    if operations is not None and (operations.name or operations.contact):
        chain.append(
            ([_own(operations, runbook, at)], "still not acknowledged: the Operations Lead is next")
        )
    return tuple(
        Level(number, number * window, tuple(p for p in people if p), reason)
        for number, (people, reason) in enumerate(chain)
    )


def due(levels: tuple[Level, ...], *, opened_at: datetime, done: int, now: datetime) -> list[Level]:
    """Return the levels not yet paged (`done` were) whose time has come, in order."""
    return [lvl for lvl in levels[done:] if lvl.due_at(opened_at) <= now]


def next_due(levels: tuple[Level, ...], *, opened_at: datetime, done: int) -> datetime | None:
    """Return when the next level falls due, or None when every level was paged."""
    return levels[done].due_at(opened_at) if done < len(levels) else None
