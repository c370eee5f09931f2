"""What every request of one server shares: database, live runbook, clock, metrics, worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from opsbook.access.ratelimit import FailureLimiter
from opsbook.web.metrics import WebMetrics

if TYPE_CHECKING:
    from starlette.requests import Request

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
    limiter: FailureLimiter = field(default_factory=FailureLimiter)
    worker: WorkerLoop | None = None
    started_at: datetime = field(default_factory=utc_now)
    # Set by the serve command: whether the background loop runs in this app's lifespan.
    run_worker: bool = True


def app_state(request: Request) -> AppState:
    """Return the AppState of the app serving this request."""
    state: AppState = request.app.state.opsbook
    return state
