"""`opsbook serve`: one process running Uvicorn and the background worker loop together.

Uvicorn handles SIGTERM and SIGINT: it stops accepting requests, finishes the ones in
flight, then the app's lifespan stops the worker loop, which gives running jobs a grace
period and then cancels them, so their records say they were interrupted.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from opsbook.procedures.service import reap_dead_runs
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.backups_view import backup_tasks
from opsbook.web.backups_view import register_metrics as register_backup_metrics
from opsbook.web.deploy_view import deploy_tasks
from opsbook.web.graceful_server import GracefulServer
from opsbook.web.incidents_view import incident_tasks
from opsbook.web.maintenance_view import maintenance_tasks
from opsbook.web.monitoring_worker import monitoring_tasks
from opsbook.web.oncall_worker import oncall_tasks
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.runs.driver import register
from opsbook.web.state import AppState, utc_now
from opsbook.worker.loop import Periodic, WorkerLoop

RELOAD_EVERY = 1.0
REAP_EVERY = 15.0


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    concurrency: int = 4
    log_level: str = "warning"


def build_state(path: Path, db: Database, *, clock: Callable[[], object] = utc_now) -> AppState:
    """Load the runbook (RunbookError if it is bad) and wire the worker loop."""
    now = utc_now()
    source = RunbookSource.load(path, now)
    state = AppState(db=db, source=source, environ=dict(os.environ))

    async def reload() -> None:
        source.reload_if_changed(state.clock())

    async def reap() -> None:
        # Runs whose process died (kill -9, power loss) show as interrupted, not running.
        await asyncio.to_thread(
            reap_dead_runs, db=db, machine=socket.gethostname(), now=state.clock
        )

    name = f"{socket.gethostname()}:{os.getpid()}"
    state.worker = WorkerLoop(
        db,
        name=name,
        handlers={},
        clock=state.clock,
        periodic=(
            Periodic("reload runbook", RELOAD_EVERY, reload),
            Periodic("reap dead runs", REAP_EVERY, reap),
        ),
    )
    register(state)

    state.worker.periodic.extend(incident_tasks(state))

    state.worker.periodic.extend(monitoring_tasks(state))
    register_backup_metrics(state)
    state.worker.periodic.extend(backup_tasks(state))
    state.worker.periodic.extend(maintenance_tasks(state))
    state.worker.periodic.extend(deploy_tasks(state))
    state.worker.periodic.extend(oncall_tasks(state))
    return state


def serve(state: AppState, options: ServeOptions) -> None:
    """Run the server until SIGTERM or SIGINT."""
    app = create_app(state)
    # What start-up built (modules, routes, schemas) lives as long as the process. Frozen,
    # it is left out of the full collections that a webhook flood's allocations set off.
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        access_log=False,
        lifespan="on",
        # Uvicorn would trust X-Forwarded-For from 127.0.0.1 (or $FORWARDED_ALLOW_IPS); the
        # app trusts only the proxies `--trusted-proxy` names (AppState.trusted_proxies).
        proxy_headers=False,
    )
    GracefulServer(config).run()
