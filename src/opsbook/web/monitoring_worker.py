"""Hang monitoring on the server's worker loop: collect, evaluate and act every interval."""

from __future__ import annotations

from opsbook.incidents.alerts import IncidentOpener as Incidents
from opsbook.monitoring.actions import AlertActions
from opsbook.monitoring.cycle import MonitoringCycle
from opsbook.monitoring.hooks import IncidentOpener
from opsbook.web.alert_runs import EngineStarter
from opsbook.web.state import AppState
from opsbook.worker.loop import Periodic

# The cycle checks every second whether `monitoring.interval` has passed.
TICK = 1.0


def monitoring_tasks(state: AppState) -> list[Periodic]:
    """Return the periodic task that runs monitoring for this server."""
    incidents: IncidentOpener = Incidents(state.db, lambda: state.source.runbook)
    starter = EngineStarter.for_server(state)
    actions = AlertActions(
        state.db, lambda: state.source.runbook, state.clock, starter=starter, incidents=incidents
    )
    holder = state.worker.name if state.worker is not None else None
    cycle = MonitoringCycle(state.db, lambda: state.source.runbook, state.clock, actions, holder)
    return [Periodic("monitoring", TICK, cycle.tick)]
