"""The background loop of `opsbook serve`: claims queued jobs and runs periodic tasks.

Database calls are synchronous SQLAlchemy; they run in threads so the event loop (and
the web server sharing it) never blocks on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.worker.queue import Job, claim, finish

if TYPE_CHECKING:
    from opsbook.store.database import Database

log = logging.getLogger("opsbook.worker")

Handler = Callable[[Job], Awaitable[None]]


@dataclass(frozen=True)
class Periodic:
    """Something the loop does every `every` seconds (reload the runbook, collect metrics)."""

    name: str
    every: float
    action: Callable[[], Awaitable[None]]


class WorkerLoop:
    """Claim jobs from the queue and run them with bounded concurrency, until stopped."""

    def __init__(
        self,
        db: Database,
        *,
        name: str,
        handlers: Mapping[str, Handler],
        clock: Callable[[], datetime],
        periodic: tuple[Periodic, ...] = (),
        poll: float = 1.0,
        concurrency: int = 4,
        grace: float = 5.0,
    ) -> None:
        self.db = db
        self.name = name
        self.handlers = dict(handlers)
        self.clock = clock
        self.periodic = list(periodic)
        self.poll = poll
        self.concurrency = concurrency
        self.grace = grace
        self.in_flight: dict[int, asyncio.Task[None]] = {}
        self.processed = 0
        self._wake: asyncio.Event | None = None
        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """Return the event loop the worker runs on (None before it starts)."""
        return self._loop

    def add_handler(self, kind: str, handler: Handler) -> None:
        """Run `handler` for jobs of this kind."""
        self.handlers[kind] = handler

    def wake(self) -> None:
        """Look for new jobs now (safe to call from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Stop claiming; in-flight jobs get `grace` seconds, then are cancelled."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)

    async def run(self) -> None:
        """Run until `stop()`: claim and run jobs, and run the periodic tasks."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        ticking = [asyncio.create_task(self._tick(p)) for p in self.periodic]
        try:
            while not self._stopping.is_set():
                await self._claim_some()
                self._wake.clear()
                waiters = [
                    asyncio.create_task(self._wake.wait()),
                    asyncio.create_task(self._stopping.wait()),
                ]
                await asyncio.wait(waiters, timeout=self.poll, return_when="FIRST_COMPLETED")
                for waiter in waiters:
                    waiter.cancel()
        finally:
            for task in ticking:
                task.cancel()
            await self._drain()

    async def _claim_some(self) -> None:
        free = self.concurrency - len(self.in_flight)
        if free <= 0 or not self.handlers:
            return
        try:
            jobs = await asyncio.to_thread(
                claim, self.db, worker=self.name, now=self.clock(), limit=free
            )
        except Exception:
            log.exception("claiming jobs failed; will retry")
            return
        for job in jobs:
            task = asyncio.create_task(self._run_job(job))
            self.in_flight[job.id] = task
        if len(jobs) == free and self._wake is not None:
            self._wake.set()

    async def _run_job(self, job: Job) -> None:
        error: str | None = None
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                error = f"no handler for job kind {job.kind!r}"
            else:
                await handler(job)
        except asyncio.CancelledError:
            error = "interrupted: the server stopped"
        except Exception as exc:
            log.exception("job %s (%s) failed", job.id, job.kind)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            # Out of in_flight only once its record is written, so a stop waits for it.
            await asyncio.shield(
                asyncio.to_thread(finish, self.db, job_id=job.id, now=self.clock(), error=error)
            )
            self.in_flight.pop(job.id, None)
            self.processed += 1
            if self._wake is not None:
                self._wake.set()

    async def _tick(self, periodic: Periodic) -> None:
        while True:
            try:
                await periodic.action()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic task %s failed", periodic.name)
            await asyncio.sleep(periodic.every)

    async def _drain(self) -> None:
        tasks = list(self.in_flight.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.grace)
        for task in pending:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*pending, return_exceptions=True)
