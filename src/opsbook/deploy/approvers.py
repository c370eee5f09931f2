"""Who holds a role of the Emergency Contacts table, for approvals a gate asks of a role.

A person is named as opsbook names the actor (`$OPSBOOK_USER`, a token's name): their Name,
their Contact address, or that address's local part (`ana.ruiz`), for the role's row and its
Backup, ignoring case.
"""

from __future__ import annotations

import re

from opsbook.errors import BadInput
from opsbook.runbook.model import Runbook

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def holders(runbook: Runbook, role: str) -> frozenset[str]:
    """Return the names (lowercased) a holder of the role may act under."""
    rows = [c for c in runbook.contacts if c.role.strip().lower() == role.strip().lower()]
    if not rows:
        known = ", ".join(c.role for c in runbook.contacts) or "none"
        raise BadInput(f'no role "{role}" in the Emergency Contacts table (roles: {known})')
    names: set[str] = set()
    for row in rows:
        for text in (row.name, row.contact, row.backup):
            names.update(_identities(text))
    return frozenset(n for n in names if n)


def _identities(text: str) -> set[str]:
    out = {email.lower() for email in _EMAIL.findall(text)}
    out |= {email.split("@", 1)[0] for email in out}
    name = _EMAIL.sub("", text).replace("(", " ").replace(")", " ").strip().lower()
    if name:
        out.add(" ".join(name.split()))
    return out


def may_approve(allowed: frozenset[str], actor: str) -> bool:
    """Say whether the actor holds the role (an empty set: anyone may)."""
    return not allowed or " ".join(actor.lower().split()) in allowed
