"""Who to notify: the Emergency Contacts row of a role, and its backup. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsbook.runbook.model import Contact, Runbook

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Recipient:
    role: str
    name: str
    emails: tuple[str, ...]
    backup: bool = False


def contact_for(runbook: Runbook, role: str) -> Contact | None:
    """Find the contact of a role (case and spacing ignored; `oncall` matches On-Call)."""
    wanted = re.sub(r"[^a-z0-9]", "", role.lower())
    return next(
        (c for c in runbook.contacts if re.sub(r"[^a-z0-9]", "", c.role.lower()) == wanted), None
    )


def recipient(runbook: Runbook, role: str, *, backup: bool = False) -> Recipient | None:
    """Return the role's contact (or its backup) with the email addresses written for them."""
    contact = contact_for(runbook, role)
    if contact is None:
        return None
    if backup:
        text = contact.backup
        name = re.sub(r"\s*\(.*\)\s*$", "", text).strip() or text
        return Recipient(contact.role, name, tuple(_EMAIL.findall(text)), backup=True)
    return Recipient(contact.role, contact.name, tuple(_EMAIL.findall(contact.contact)))
