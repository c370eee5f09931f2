"""What the on-call use cases return: frozen views, the same for `--json` and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ShiftView:
    """A stretch of time one person is on call in one layer of a rotation, [start, end)."""

    rotation: str
    layer: str
    tier: int
    person: str
    address: str
    start: datetime
    end: datetime
    covers: str  # whom an override replaces; "" for the rotation's own turn


@dataclass(frozen=True)
class OnCallView:
    """Who is on call now in one layer, since and until when, why, and who comes next."""

    rotation: str
    layer: str
    tier: int
    person: str
    address: str
    since: datetime
    until: datetime
    why: str
    next_person: str
    next_address: str


@dataclass(frozen=True)
class RotationView:
    """A rotation as the runbook writes it: its name, zone, layers and how many overrides."""

    name: str
    zone: str
    layers: tuple[str, ...]
    people: tuple[str, ...]
    overrides: int
