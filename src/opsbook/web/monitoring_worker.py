"""Hang monitoring on the server's worker loop: collect, evaluate and act every interval, and
act on the Alertmanager groups the webhook queued."""

from __future__ import annotations

import asyncio

from opsbook.incidents.alerts import IncidentOpener as Incidents
from opsbook.monitoring.actions import AlertActions
from opsbook.monitoring.cycle import MonitoringCycle
from opsbook.monitoring.groups import GROUP_JOB, GroupActions
from opsbook.monitoring.hooks import IncidentOpener
from opsbook.monitoring.service import index_alerts
from opsbook.web.alert_runs import EngineStarter
from opsbook.web.state import AppState
from opsbook.worker.loop import Periodic

# The cycle checks every second whether `monitoring.interval` has passed.
TICK = 1.0
# New alerts join SQLite's search index this often (a search indexes them first anyway).
SEARCH_INDEX_EVERY = 5.0


def monitoring_tasks(state: AppState) -> list[Periodic]:
    """Return monitoring's periodic tasks (the cycle, the search index's catch-up); handle
    the group jobs the webhook queues."""
    incidents: IncidentOpener = Incidents(state.db, lambda: state.source.runbook)
    starter = EngineStarter.for_server(state)
    actions = AlertActions(
        state.db, lambda: state.source.runbook, state.clock, starter=starter, incidents=incidents
    )
    if state.worker is not None:
        groups = GroupActions(state.db, lambda: state.source.runbook, state.clock, actions)
        state.worker.add_handler(GROUP_JOB, groups.handle)
    holder = state.worker.name if state.worker is not None else None
    cycle = MonitoringCycle(state.db, lambda: state.source.runbook, state.clock, actions, holder)

    async def index_search() -> None:
        await asyncio.to_thread(index_alerts, db=state.db)

    return [
        Periodic("monitoring", TICK, cycle.tick),
        Periodic("alert search index", SEARCH_INDEX_EVERY, index_search),
    ]
