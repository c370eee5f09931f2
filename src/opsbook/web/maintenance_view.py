"""Hang maintenance on the server: the scheduler and overdue check on the worker loop, the
runs it queues, and the overview's live "Maintenance due" panel."""

from __future__ import annotations

import asyncio
import logging
import socket

from opsbook.errors import DomainError
from opsbook.maintenance import service
from opsbook.maintenance.completion import complete
from opsbook.maintenance.overdue import check_overdue
from opsbook.maintenance.perform import LocalPerformer, folder_of
from opsbook.maintenance.reaping import reap_interrupted
from opsbook.maintenance.tasks import TaskSpec, find_task, task_specs
from opsbook.maintenance.views import TaskView
from opsbook.web.maintenance_procedures import ServerPerformer
from opsbook.web.panels import Panel, PanelItem
from opsbook.web.state import AppState
from opsbook.worker.loop import Periodic
from opsbook.worker.queue import Job

log = logging.getLogger("opsbook.maintenance")
# How often the scheduler looks for due tasks and the overdue check runs.
SCHEDULE_EVERY = 15.0
TONE = {"ok": "ok", "running": "ok", "due": "warn", "overdue": "bad"}


def specs_of(state: AppState) -> list[TaskSpec]:
    """Return the served runbook's maintenance tasks (BadInput if a row cannot be read)."""
    return task_specs(state.source.runbook)


def spec_named(state: AppState, name: str) -> TaskSpec:
    """Return the task of that name or key, or raise NotFound."""
    from opsbook.errors import NotFound

    spec = find_task(specs_of(state), name)
    if spec is None:
        raise NotFound(f'no maintenance task "{name}"')
    return spec


def maintenance_tasks(state: AppState) -> list[Periodic]:
    """Run the due tasks' jobs on the worker; return the scheduler's periodic task."""

    def tick() -> None:
        runbook, now = state.source.runbook, state.clock()
        reap_interrupted(db=state.db, machine=socket.gethostname(), now=now)
        specs = task_specs(runbook)
        scheduled = service.schedule_due(db=state.db, specs=specs, now=now)
        if scheduled.missed:
            log.warning("maintenance: %d due run(s) were missed", len(scheduled.missed))
        check_overdue(db=state.db, runbook=runbook, specs=specs, now=now)

    def perform(job: Job) -> None:
        runbook = state.source.runbook
        spec = spec_named(state, str(job.payload["task"]))
        folder = folder_of(runbook.path)
        performer = ServerPerformer(
            state, LocalPerformer(folder, runbook.settings, runbook.log_locations)
        )
        ran = service.perform_run(
            db=state.db,
            run_id=int(job.payload["run"]),
            spec=spec,
            performer=performer,
            clock=state.clock,
        )
        done = complete(
            db=state.db, runbook=runbook, spec=spec, run=ran, actor=ran.actor, now=state.clock()
        )
        if done.not_recorded:
            log.warning("maintenance: %s", done.not_recorded)

    async def scheduler() -> None:
        try:
            await asyncio.to_thread(tick)
        except DomainError as exc:  # a bad row: said once per tick, the rest of serve goes on
            log.warning("maintenance: %s", exc)

    async def handle(job: Job) -> None:
        await asyncio.to_thread(perform, job)

    if state.worker is not None:
        state.worker.add_handler(service.RUN_JOB, handle)
    return [Periodic("maintenance: schedule, overdue", SCHEDULE_EVERY, scheduler)]


def maintenance_panel(state: AppState) -> Panel:
    """The overview's "Maintenance due" panel: each task's standing and next due time."""
    try:
        views = service.list_tasks(db=state.db, specs=specs_of(state), now=state.clock())
    except DomainError as exc:
        return Panel("maintenance", "Maintenance due", (), f"Cannot read the tasks: {exc}")
    order = {"overdue": 0, "due": 1, "running": 2, "ok": 3}
    shown = sorted(views, key=lambda v: (order.get(v.standing, 4), v.next_due is None))
    items = tuple(
        PanelItem(view.name, _value(view), TONE.get(view.standing, "muted"), "/maintenance")
        for view in shown
    )
    overdue = sum(1 for v in views if v.standing == "overdue")
    note = f"{overdue} overdue." if overdue else "Nothing overdue."
    return Panel("maintenance", "Maintenance due", items, note)


def _value(view: TaskView) -> str:
    if view.next_due is None:
        return view.frequency
    return f"{view.standing}, due {view.next_due:%Y-%m-%d %H:%M} UTC"
