"""Who is asking: a principal, and the token records shown to admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opsbook.access.roles import Role


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a token or a browser session, with its role."""

    name: str
    role: Role
    via: str  # "token" or "session"
    csrf: str = ""


@dataclass(frozen=True)
class TokenInfo:
    """An API token as listed: never the token itself, only its metadata."""

    id: int
    name: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None
    active: bool  # not revoked


@dataclass(frozen=True)
class UserInfo:
    """A user who signs in with a name and password."""

    id: int
    name: str
    role: Role
    created_at: datetime
    disabled: bool
