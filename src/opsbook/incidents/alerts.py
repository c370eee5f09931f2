"""Alerts hand over to incidents: the `incident: SEV-N` action of an alert rule opens an
incident, or joins the one already open for the same alert; a resolved alert is noted and
marks the incident mitigated (a person still resolves and closes it)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from opsbook.errors import Refused
from opsbook.incidents import queries
from opsbook.incidents.lifecycle import Event
from opsbook.incidents.service import open_incident, transition
from opsbook.incidents.views import Opened

if TYPE_CHECKING:
    from opsbook.runbook.model import Runbook
    from opsbook.store.database import Database


class AlertFacts(Protocol):
    """What incidents need to know about an alert (monitoring's Notice has these)."""

    @property
    def alert_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def summary(self) -> str: ...


def cause_of(alert: AlertFacts) -> str:
    """Return the cause key shared by every firing of the same alert rule."""
    return f"alert:{alert.name}"


def alert_text(alert: AlertFacts) -> str:
    """Return how an alert appears in the timeline."""
    summary = f": {alert.summary}" if alert.summary else ""
    return f"Alert {alert.alert_id} {alert.name} ({alert.severity}){summary}"


def open_for_alert(
    *, db: Database, runbook: Runbook, alert: AlertFacts, severity_level: str, now: datetime
) -> Opened:
    """Open an incident for a firing alert, or attach the alert to the open one it caused."""
    title = f"{alert.name}: {alert.summary}" if alert.summary else f"{alert.name} alert firing"
    return open_incident(
        db=db,
        runbook=runbook,
        title=title[:500],
        severity_level=severity_level,
        actor="monitoring",
        now=now,
        cause=cause_of(alert),
        alert=alert_text(alert),
    )


def alert_resolved(*, db: Database, alert: AlertFacts, now: datetime) -> int | None:
    """Note in the open incident of this alert that the alert resolved, and mark the incident
    mitigated unless it already is; return its id."""
    with db.transaction() as session:
        row = queries.lock_open_with_cause(session, cause_of(alert))
        if row is None:
            return None
        queries.add_event(
            session,
            row.id,
            at=now,
            actor="monitoring",
            kind="alert",
            text=f"Alert {alert.alert_id} {alert.name} resolved",
            data={"cause": cause_of(alert), "resolved": True},
        )
        incident_id = row.id
    # Already mitigated, or someone resolved it meanwhile: nothing more to mark.
    with contextlib.suppress(Refused):
        transition(
            db=db,
            incident_id=incident_id,
            event=Event.MITIGATE,
            actor="monitoring",
            now=now,
            text=f"alert {alert.alert_id} {alert.name} resolved",
        )
    return incident_id


class IncidentOpener:
    """The hook monitoring's action layer calls for `incident: SEV-N` (and on resolve)."""

    def __init__(self, db: Database, runbook: Callable[[], Runbook]) -> None:
        self.db = db
        self.runbook = runbook

    def open(self, alert: AlertFacts, severity_level: str, now: datetime) -> int:
        """Open or join the incident for this alert; return the incident's id."""
        opened = open_for_alert(
            db=self.db, runbook=self.runbook(), alert=alert, severity_level=severity_level, now=now
        )
        return opened.incident.id

    def resolved(self, alert: AlertFacts, now: datetime) -> int | None:
        """Note the alert's resolution in its open incident, if any."""
        return alert_resolved(db=self.db, alert=alert, now=now)
