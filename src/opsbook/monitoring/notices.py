"""What the rules and the receiver tell the action layer: an alert changed, act on it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from opsbook.runbook.model import AlertRule


class NoticeKind(StrEnum):
    FIRED = "fired"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    UNACKNOWLEDGED = "unacknowledged"  # response time passed: page the backup


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    alert_id: int
    name: str
    severity: str
    summary: str
    rule: AlertRule | None = None
    issue: str | None = None
    # Why nobody is notified (a silence, a maintenance window); None: notify.
    muted: str | None = None
