"""Maintenance tasks that are procedures of the runbook, run on the procedure engine.

The maintenance domain names the procedure (`procedure: NAME`, or a task named as one);
this wiring, beside the worker it runs in, starts it through `opsbook.procedures`, so the
two domains never import each other. The run is recorded like any other (run history,
steps, output), passes the same guard, and a manual step makes it wait for a person on the
dashboard: the maintenance run then fails saying so, and the person marks the task done.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime

from opsbook.maintenance.perform import LocalPerformer
from opsbook.maintenance.tasks import Kind, TaskSpec
from opsbook.maintenance.views import Outcome
from opsbook.procedures.confirm import NobodyConfirmer
from opsbook.procedures.drive import this_process
from opsbook.procedures.engine import RunStatus
from opsbook.procedures.executors.session_shell import local_executor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.plan import build_plan
from opsbook.procedures.runner import QuietReporter
from opsbook.procedures.service import execute_run, start_run
from opsbook.web.state import AppState


@dataclass(frozen=True)
class ServerPerformer:
    """Does a task on the server: procedures on the engine, the rest as `LocalPerformer`."""

    state: AppState
    local: LocalPerformer

    def perform(
        self,
        spec: TaskSpec,
        now: datetime,
        *,
        dry_run: bool = False,
        dry_runs: tuple[str, ...] = (),
    ) -> Outcome:
        """Do the task's work and say how it ended."""
        if spec.kind is not Kind.PROCEDURE:
            return self.local.perform(spec, now, dry_run=dry_run, dry_runs=dry_runs)
        if dry_run:
            return Outcome(True, None, f"dry run: would start procedure {spec.target}", True)
        runbook = self.state.source.runbook
        plan = build_plan(runbook, target=spec.target, params={}, environ=os.environ)
        run_id = start_run(
            db=self.state.db,
            plan=plan,
            me=this_process(f"maintenance: {spec.name}"),
            now=self.state.clock,
            guard=self.state.run_guard,
        )
        end = asyncio.run(  # in the worker's thread, on a loop of its own
            execute_run(
                db=self.state.db,
                plan=plan,
                run_id=run_id,
                confirmer=NobodyConfirmer(),
                reporter=QuietReporter(),
                local=local_executor(runbook.settings),
                remote=SshHosts(runbook, plan=plan),
                now=self.state.clock,
            )
        )
        said = f"procedure run {run_id}: {end.status}" + (f" ({end.reason})" if end.reason else "")
        if end.status is RunStatus.WAITING:
            said += "; it waits for a person on the dashboard; mark the task done after it"
        return Outcome(end.status is RunStatus.SUCCEEDED, None, said)
