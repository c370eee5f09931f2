"""Start a runbook procedure for an alert: the ProcedureStarter the server gives monitoring.

Monitoring says which procedure an alert's `run:` action names (monitoring/hooks.py); this
wiring, beside the worker it runs in (web/monitoring_worker.py), starts it through the
procedure engine, so the monitoring domain never imports the procedure domain's use cases.
The run is recorded like any other (run history, steps, output) with `alert #N` as the one who
started it, passes the same guard as every run, and goes on in the background. Nobody is at a
terminal, so a manual step makes the run wait for a person on the dashboard.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.procedures.confirm import NobodyConfirmer
from opsbook.procedures.drive import this_process
from opsbook.procedures.engine import Plan
from opsbook.procedures.executors.session_shell import local_executor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.plan import build_plan
from opsbook.procedures.runner import QuietReporter
from opsbook.procedures.service import execute_run, start_run
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.procedures.guard import RunGuard
    from opsbook.store.database import Database
    from opsbook.web.state import AppState

log = logging.getLogger("opsbook.monitoring")  # where monitoring logs its actions


class EngineStarter:
    """A ProcedureStarter running procedures on the engine of `opsbook.procedures`."""

    def __init__(
        self,
        db: Database,
        runbook: Callable[[], Runbook],
        clock: Callable[[], datetime],
        guard: RunGuard,
    ) -> None:
        self.db, self.runbook, self.clock, self.guard = db, runbook, clock, guard
        self.tasks: set[asyncio.Task[object]] = set()

    @classmethod
    def for_server(cls, state: AppState) -> EngineStarter:
        """Return the starter of this server: its database, live runbook, clock and guard."""
        return cls(state.db, lambda: state.source.runbook, state.clock, state.run_guard)

    async def start(self, *, procedure: str, alert_id: int, reason: str) -> int:
        """Record the run now and drive it in a background task; return its id."""
        runbook = self.runbook()
        plan = build_plan(runbook, target=procedure, params={}, environ=os.environ)
        me = this_process(f"alert #{alert_id}")
        run_id = await asyncio.to_thread(
            start_run, db=self.db, plan=plan, me=me, now=self.clock, guard=self.guard
        )
        task = asyncio.create_task(self._drive(plan, run_id, runbook))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return run_id

    async def _drive(self, plan: object, run_id: int, runbook: Runbook) -> object:
        assert isinstance(plan, Plan)
        try:
            return await execute_run(
                db=self.db,
                plan=plan,
                run_id=run_id,
                confirmer=NobodyConfirmer(),
                reporter=QuietReporter(),
                local=local_executor(runbook.settings),
                remote=SshHosts(runbook, plan=plan),
                now=self.clock,
            )
        except Exception:
            log.exception("run %s started by an alert failed to run", run_id)
            return None
