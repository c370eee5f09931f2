"""How close each certificate is to expiring, and whether its renewal is late. Pure.

Every certificate of a chain counts, not only the leaf: an intermediate that expires takes
the site down as surely. A certificate past two thirds of its lifetime should have been
renewed by now (Let's Encrypt's clients renew at 60 of 90 days): one that was not is
reported even while many days are left, as the sign that renewal is broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class Level(IntEnum):
    """How urgent a certificate is, in order."""

    OK = 0
    RENEWAL_LATE = 1
    WARNING = 2
    CRITICAL = 3
    EXPIRED = 4


@dataclass(frozen=True)
class CertInfo:
    """What the check needs of one certificate, and where it was found."""

    source: str  # a file, or an https URL
    position: int  # 0: the leaf (the first of the chain), 1: the next, ...
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    serial: int = 0


@dataclass(frozen=True)
class Finding:
    """One certificate's standing: its days left and what that means."""

    source: str
    role: str  # leaf, intermediate 1, ..., root
    subject: str
    issuer: str
    not_after: datetime
    days_left: float
    level: Level
    message: str


def role_of(info: CertInfo, chain_length: int) -> str:
    """Name a certificate's place in its chain."""
    if info.position == 0:
        return "leaf"
    if info.position == chain_length - 1 and info.subject == info.issuer:
        return "root"
    return f"intermediate {info.position}"


def assess(
    info: CertInfo, *, chain_length: int, now: datetime, warning_days: float, critical_days: float
) -> Finding:
    """Say how urgent one certificate is at `now`."""
    left = (info.not_after - now).total_seconds() / 86400
    lifetime = (info.not_after - info.not_before).total_seconds()
    used = (now - info.not_before).total_seconds()
    if left <= 0:
        level = Level.EXPIRED
    elif left <= critical_days:
        level = Level.CRITICAL
    elif left <= warning_days:
        level = Level.WARNING
    elif lifetime > 0 and used > lifetime * 2 / 3:
        level = Level.RENEWAL_LATE
    else:
        level = Level.OK
    role = role_of(info, chain_length)
    name = f'{role} "{info.subject}" (issuer "{info.issuer}") at {info.source}'
    days = f"{abs(left):.1f} days"
    message = {
        Level.EXPIRED: f"EXPIRED {days} ago: {name}",
        Level.CRITICAL: f"CRITICAL: {days} left: {name}",
        Level.WARNING: f"WARNING: {days} left: {name}",
        Level.RENEWAL_LATE: (
            f"RENEWAL LATE: past two thirds of its lifetime and not replaced, {days} left: {name}"
        ),
        Level.OK: f"ok: {days} left: {name}",
    }[level]
    return Finding(
        info.source, role, info.subject, info.issuer, info.not_after, left, level, message
    )
