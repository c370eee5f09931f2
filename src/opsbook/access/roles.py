"""Roles and what each may do: viewer < operator < admin, plus `ingest` for webhooks."""

from __future__ import annotations

from enum import StrEnum

from opsbook.errors import BadInput


class Role(StrEnum):
    """A principal's role. `ingest` may only post alerts; it reads nothing."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"
    INGEST = "ingest"


_RANK = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


class UnknownRole(BadInput, ValueError):
    """The text names no role; the message lists the roles there are."""


def parse_role(text: str) -> Role:
    """Return the role named by text, or raise UnknownRole naming the allowed ones."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise UnknownRole(f"unknown role {text!r}; use one of: {allowed}") from None


def allows(have: Role, need: Role) -> bool:
    """Say whether a principal with role `have` may do what needs role `need`."""
    if need is Role.INGEST:
        return have in (Role.INGEST, Role.ADMIN)
    if have is Role.INGEST:
        return False
    return _RANK[have] >= _RANK[need]
