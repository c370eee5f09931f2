"""What the backups domain needs of whoever raises alerts, owned here, implemented by
`monitoring_alerts` (the monitoring domain's store and actions) and wired in by the faces."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class AlertSink(Protocol):
    """Raises and resolves alerts about backups."""

    def fire(
        self,
        *,
        key: str,
        name: str,
        summary: str,
        labels: dict[str, str],
        since: datetime,
        now: datetime,
    ) -> None:
        """Raise (or repeat) the alert `key` that started at `since`."""
        ...

    def resolve(
        self, *, key: str, name: str, labels: dict[str, str], since: datetime, now: datetime
    ) -> None:
        """Resolve the alert `key` that started at `since`."""
        ...


class NoAlerts:
    """An AlertSink that raises nothing (a drill run with alerts left out on purpose)."""

    def fire(
        self,
        *,
        key: str,
        name: str,
        summary: str,
        labels: dict[str, str],
        since: datetime,
        now: datetime,
    ) -> None:
        """Raise nothing."""

    def resolve(
        self, *, key: str, name: str, labels: dict[str, str], since: datetime, now: datetime
    ) -> None:
        """Resolve nothing."""
