"""Alertmanager's webhook payload (version 4), validated, and turned into alert records.

https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ALERTS = 10_000
# Alertmanager writes the zero time for "no end yet".
_ZERO_YEAR = 1


# Field names are Alertmanager's own (camelCase), so the JSON maps one to one.
class AmAlert(BaseModel):
    """One alert of a notification."""

    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(default="", max_length=100)

    def key(self, started: str | None = None) -> str:
        """Return the dedup key: the fingerprint (or the label set) and when it started."""
        return f"am:{self.identity()}:{started or self.startsAt.isoformat()}"

    def identity(self) -> str:
        """Return Alertmanager's fingerprint, or a hash of the labels when none was sent."""
        if self.fingerprint:
            return self.fingerprint
        text = "\x00".join(f"{k}\x01{v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def ended(self) -> datetime | None:
        """Return endsAt, or None for Alertmanager's zero time."""
        if self.endsAt is None or self.endsAt.year <= _ZERO_YEAR:
            return None
        return self.endsAt


class AmPayload(BaseModel):
    """A webhook notification: one group of alerts."""

    model_config = ConfigDict(extra="allow")

    version: Literal["4"]
    groupKey: str
    status: Literal["firing", "resolved"]
    receiver: str
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    truncatedAlerts: int = 0
    alerts: list[AmAlert] = Field(max_length=MAX_ALERTS)


def severity_of(labels: dict[str, str]) -> str:
    """Return the alert's severity label, `warning` when it has none."""
    return (labels.get("severity") or "warning").lower()[:20]


def problems_of(exc: Exception) -> list[str]:
    """Return a pydantic validation error as lines naming each bad field."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return [str(exc)]
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())) or "body"
        lines.append(f"{where}: {error.get('msg', 'invalid')}")
    return lines
