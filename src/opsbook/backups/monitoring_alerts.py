"""The AlertSink of the backups domain, on the monitoring domain's alerts.

A backup alert goes in as Alertmanager's alerts do (`monitoring.service.ingest_alertmanager`):
deduplicated by its fingerprint and start, listed with the others, and queued for the
runbook's actions (notify, run a procedure, open an incident) that the worker takes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.monitoring.alertmanager import AmPayload
from opsbook.monitoring.service import ingest_alertmanager
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database

RECEIVER = "opsbook-backups"


class MonitoringAlerts:
    """Raises backup alerts into the monitoring domain's store."""

    def __init__(self, db: Database, runbook: Runbook) -> None:
        self.db, self.runbook = db, runbook

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
        self._send("firing", key, name, summary, labels, since, now)

    def resolve(
        self, *, key: str, name: str, labels: dict[str, str], since: datetime, now: datetime
    ) -> None:
        """Resolve the alert `key` that started at `since`."""
        self._send("resolved", key, name, "", labels, since, now)

    def _send(
        self,
        status: str,
        key: str,
        name: str,
        summary: str,
        labels: dict[str, str],
        since: datetime,
        now: datetime,
    ) -> None:
        alert = {
            "status": status,
            "labels": {"alertname": name, "severity": "critical", **labels},
            "annotations": {"summary": summary} if summary else {},
            "startsAt": since.isoformat(),
            "fingerprint": key,
        }
        if status == "resolved":
            alert["endsAt"] = now.isoformat()
        payload = AmPayload.model_validate(
            {
                "version": "4",
                "groupKey": f"{RECEIVER}:{key}",
                "status": status,
                "receiver": RECEIVER,
                "alerts": [alert],
            }
        )
        ingest_alertmanager(db=self.db, payload=payload, runbook=self.runbook, now=now)
