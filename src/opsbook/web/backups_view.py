"""What the dashboard shows of backups: the overview panel, the metric, and the server's
periodic work (the RPO watch, restore drills on the runbook's Restore Test Schedule)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from opsbook.backups.dr_settings import DrPlan, dr_plan
from opsbook.backups.drills import list_drills, run_drill
from opsbook.backups.monitoring_alerts import MonitoringAlerts
from opsbook.backups.settings import BackupSpec, backup_specs
from opsbook.backups.views import StatusView
from opsbook.backups.watch import status, watch_rpo
from opsbook.errors import BadInput, NotFound
from opsbook.moments import relative, span
from opsbook.runbook.model import Runbook
from opsbook.store.timestamps import utc
from opsbook.web.panels import Panel, PanelItem, register_panel
from opsbook.web.state import AppState
from opsbook.worker.loop import Periodic

log = logging.getLogger("opsbook.backups")
WATCH_EVERY = 60.0


def base_of(state: AppState) -> Path:
    """Return the runbook's folder: relative backup paths start there."""
    return Path(state.source.path).resolve().parent


def specs_of(state: AppState) -> dict[str, BackupSpec]:
    """Return the backups the served runbook declares (none if its `backups:` is bad)."""
    try:
        return backup_specs(state.source.runbook.settings, base_of(state))
    except BadInput as exc:
        log.warning("front matter backups: %s", exc)
        return {}


def dr_plan_of(runbook: Runbook) -> DrPlan:
    """Return the served runbook's DR plan (BadInput if its `dr:` is bad)."""
    return dr_plan(runbook.settings)


def statuses(state: AppState) -> list[StatusView]:
    """Return each backup set's status now."""
    runbook = state.source.runbook
    return status(
        db=state.db,
        specs=specs_of(state).values(),
        rpo_seconds=runbook.disaster_recovery.rpo_seconds,
        now=state.clock(),
    )


def backup_panel(state: AppState) -> Panel:
    """Return the overview's backup panel: each set's last backup, proven age, RPO, coverage."""
    now = state.clock()
    items = []
    for view in statuses(state):
        last = view.last_backup
        said = f"last {last.state} {relative(utc_of(last.started_at), now)}" if last else "none yet"
        if view.proven_age_seconds is None:
            proven, tone = "none proven by a drill", "bad" if view.rpo_seconds else "warn"
        else:
            proven = f"proven {span(view.proven_age_seconds)} ago"
            tone = "bad" if view.rpo_over else "ok"
        rpo = f" (RPO {span(view.rpo_seconds)})" if view.rpo_seconds else ""
        cover = f" · coverage {view.coverage_proven}/{view.coverage_files}"
        items.append(PanelItem(view.name, f"{said} · {proven}{rpo}{cover}", tone, "/backups"))
    note = "Backups, restore drills and DR drills: /backups"
    if not items:
        note = "The runbook declares no backups (front matter `backups:`); see /backups."
    return Panel("backup", "Last backup", tuple(items), note)


def utc_of(text: str) -> datetime:
    """Return an ISO time of a view as an aware datetime."""
    moment = utc(datetime.fromisoformat(text))
    assert moment is not None
    return moment


class BackupCollector(Collector):
    """`opsbook_backup_proven_age_seconds` and `opsbook_backup_rpo_seconds`, read at scrape."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the age of each set's newest proven backup, and the RPO it is held to."""
        age = GaugeMetricFamily(
            "opsbook_backup_proven_age_seconds",
            "Age of the newest backup that passed a restore drill (absent: none has).",
            labels=["backup"],
        )
        rpo = GaugeMetricFamily(
            "opsbook_backup_rpo_seconds", "The runbook's recovery point objective.", labels=[]
        )
        try:
            views = statuses(self.state)
        except Exception:  # a scrape never fails for want of the database
            log.exception("backup status for /metrics")
            views = []
        for view in views:
            if view.proven_age_seconds is not None:
                age.add_metric([view.name], view.proven_age_seconds)
        yield age
        objective = self.state.source.runbook.disaster_recovery.rpo_seconds
        if objective is not None:
            rpo.add_metric([], objective)
            yield rpo


def register_metrics(state: AppState) -> None:
    """Add the backup metrics to the server's."""
    with contextlib.suppress(ValueError):  # already registered for this state
        state.metrics.registry.register(BackupCollector(state))


def register_panels() -> None:
    """Fill the overview's backup panel with live data."""
    register_panel("backup", backup_panel)


def backup_tasks(state: AppState) -> list[Periodic]:
    """Return the server's periodic backup work: the RPO watch and scheduled restore drills."""

    def tick() -> None:
        runbook = state.source.runbook
        specs = specs_of(state)
        alerts = MonitoringAlerts(state.db, runbook)
        every = next(
            (
                p.restore_test_schedule.every_seconds
                for p in runbook.procedures
                if p.restore_test_schedule and p.restore_test_schedule.every_seconds
            ),
            None,
        )
        if every is not None:
            now = state.clock()
            for spec in specs.values():
                last = list_drills(db=state.db, name=spec.name, limit=1)
                due = not last or (now - utc_of(last[0].started_at)).total_seconds() >= every
                if due:
                    # No good backup yet (NotFound): the RPO watch below says so.
                    with contextlib.suppress(NotFound):
                        run_drill(db=state.db, spec=spec, clock=state.clock, alerts=alerts)
        watch_rpo(
            db=state.db,
            specs=specs.values(),
            rpo_seconds=runbook.disaster_recovery.rpo_seconds,
            now=state.clock(),
            alerts=alerts,
        )

    async def watch() -> None:
        try:
            await asyncio.to_thread(tick)
        except Exception:  # the next tick tries again; the loop must go on
            log.exception("backup watch")

    return [Periodic("backup watch", WATCH_EVERY, watch)]
