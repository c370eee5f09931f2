"""What every request of one server shares: database, live runbook, clock, metrics, worker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from opsbook.access.ratelimit import LoginLimiter
from opsbook.incidents.guard import ShutdownGuard
from opsbook.web.metrics import WebMetrics
from opsbook.web.ttl_cache import TtlCache

if TYPE_CHECKING:
    from starlette.requests import Request

    from opsbook.procedures.guard import RunGuard
    from opsbook.store.database import Database
    from opsbook.web.runbook_source import RunbookSource
    from opsbook.worker.loop import WorkerLoop


def utc_now() -> datetime:
    """Return the current time in UTC (the real clock, passed in everywhere else)."""
    return datetime.now(UTC)


@dataclass
class AppState:
    """The server's shared objects; one per app."""

    db: Database
    source: RunbookSource
    clock: Callable[[], datetime] = utc_now
    metrics: WebMetrics = field(default_factory=WebMetrics)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    worker: WorkerLoop | None = None
    started_at: datetime = field(default_factory=utc_now)
    # Set by the serve command: whether the background loop runs in this app's lifespan.
    run_worker: bool = True
    # The server's environment: commands of runs see it, and plans are checked against it.
    environ: Mapping[str, str] = field(default_factory=dict)
    # Runs this process drives now, so an abort can stop one; and who aborted which.
    run_tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    aborted: dict[int, str] = field(default_factory=dict)
    # Secret parameter values of runs started here: kept in memory only, never stored.
    run_secrets: dict[int, dict[str, str]] = field(default_factory=dict)
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (addresses or networks).
    trusted_proxies: tuple[str, ...] = ()
    # Overview figures and run counts, at most a second old.
    cache: TtlCache = field(default_factory=lambda: TtlCache(1.0, time.monotonic))

    @property
    def run_guard(self) -> RunGuard:
        """Return the guard every run this server starts or resumes must pass."""
        return ShutdownGuard(lambda: self.db)


def app_state(request: Request) -> AppState:
    """Return the AppState of the app serving this request."""
    state: AppState = request.app.state.opsbook
    return state
