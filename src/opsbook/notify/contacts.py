"""Who to notify: the Emergency Contacts row of a role, and its backup. Pure.

A role whose row names a rotation (or a role that is a rotation's name: `notify: ops`)
is whoever the rotation has on call at the moment given: its primary layer, or for the
backup its secondary layer (else the row's Backup cell).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from opsbook.oncall.contacts import (
    OnCallPerson,
    contact_rotation,
    person_on_call,
    rotation_by_name,
    rotation_named,
)
from opsbook.runbook.model import Contact, Runbook

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Recipient:
    role: str
    name: str
    emails: tuple[str, ...]
    backup: bool = False
    why: str = ""  # how a rotation chose them; "" for a fixed contact


def contact_for(runbook: Runbook, role: str) -> Contact | None:
    """Find the contact of a role (case and spacing ignored; `oncall` matches On-Call)."""
    wanted = re.sub(r"[^a-z0-9]", "", role.lower())
    return next(
        (c for c in runbook.contacts if re.sub(r"[^a-z0-9]", "", c.role.lower()) == wanted), None
    )


def _on_call(role: str, found: OnCallPerson | None, backup: bool) -> Recipient | None:
    if found is None:
        return None
    emails = tuple(_EMAIL.findall(found.address))
    return Recipient(role, found.name, emails, backup=backup, why=found.why)


def _rotation_recipient(
    runbook: Runbook, role: str, contact: Contact | None, at: datetime, backup: bool
) -> Recipient | None:
    if contact is not None:
        rotation = contact_rotation(runbook, contact)
    else:
        rotation = rotation_named(runbook, role) or rotation_by_name(runbook, role)
    if rotation is None:
        return None
    name = contact.role if contact else f"rotation {rotation.name}"
    if not backup:
        return _on_call(name, person_on_call(rotation, at, 0), False)
    if len(rotation.layers) > 1:
        return _on_call(name, person_on_call(rotation, at, 1), True)
    if contact is not None and contact.backup.strip():
        return None  # the row's Backup cell, below
    return _on_call(name, person_on_call(rotation, at, 0), True)


def recipient(
    runbook: Runbook, role: str, *, backup: bool = False, at: datetime | None = None
) -> Recipient | None:
    """Return the role's contact (or its backup) with the email addresses written for them;
    a role that names a rotation is whoever is on call `at` (when given)."""
    contact = contact_for(runbook, role)
    if at is not None:
        found = _rotation_recipient(runbook, role, contact, at, backup)
        if found is not None:
            return found
    if contact is None:
        return None
    if backup:
        text = contact.backup
        name = re.sub(r"\s*\(.*\)\s*$", "", text).strip() or text
        return Recipient(contact.role, name, tuple(_EMAIL.findall(text)), backup=True)
    return Recipient(contact.role, contact.name, tuple(_EMAIL.findall(contact.contact)))
