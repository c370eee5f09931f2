"""Hooks other domains plug into: opening incidents, starting procedure runs.

The incidents domain registers its `IncidentOpener` with `set_incident_opener`; until one is
registered, an `incident: SEV-N` action is recorded as a note on the alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from opsbook.monitoring.notices import Notice


class IncidentOpener(Protocol):
    """Opens incidents for alerts (the incidents domain implements it)."""

    def open(self, alert: Notice, severity_level: str, now: datetime) -> int:
        """Open an incident for the alert (or join the open one of its cause); return its id."""
        ...

    def resolved(self, alert: Notice, now: datetime) -> int | None:
        """Note the alert's resolution in its open incident; return that incident's id."""
        ...


class ProcedureStarter(Protocol):
    """Starts a procedure of the runbook with an alert as its cause."""

    async def start(self, *, procedure: str, alert_id: int, reason: str) -> int:
        """Start the run (it goes on in the background); return its run id."""
        ...


_incident_opener: IncidentOpener | None = None


def set_incident_opener(opener: IncidentOpener | None) -> None:
    """Make `incident: SEV-N` actions open incidents through `opener`."""
    global _incident_opener
    _incident_opener = opener


def incident_opener() -> IncidentOpener | None:
    """Return the registered incident opener, if the incidents domain provided one."""
    return _incident_opener
