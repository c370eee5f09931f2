"""Group commit for webhook floods: concurrent notifications share one transaction.

Each request hands its validated payload over and waits; one writer takes everything that
queued up meanwhile (up to `max_batch`) and stores it in a single transaction in a worker
thread. A request is answered only after its alerts are committed, so none is lost, and
SQLite sees one writer instead of many threads contending for its lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.monitoring.alertmanager import AmPayload, parse_notification
from opsbook.monitoring.service import ingest_many
from opsbook.monitoring.views import IngestResult
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database


# Bodies up to this size are validated on the event loop: handing so little work to a
# thread cost more than the work (docs/benchmarks.md; Alertmanager's default of 100 alerts
# is ~30 KB).
INLINE_BYTES = 256 * 1024
# Larger webhook bodies validated at the same time, in worker threads.
PARSERS = 2


@dataclass
class _Waiting:
    payload: AmPayload
    done: asyncio.Future[IngestResult] = field(default_factory=asyncio.Future)


class ReceiverQueue:
    """Collects payloads from concurrent requests and writes them in shared transactions."""

    def __init__(
        self,
        db: Database,
        runbook: Callable[[], Runbook],
        clock: Callable[[], datetime],
        max_batch: int = 50,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.db, self.runbook, self.clock, self.max_batch = db, runbook, clock, max_batch
        # Tells the worker that group jobs were queued, so it acts now rather than at its poll.
        self.wake = wake
        self.waiting: list[_Waiting] = []
        self.writer: asyncio.Task[None] | None = None
        self.parsing = asyncio.Semaphore(PARSERS)

    async def parse(self, body: bytes) -> AmPayload:
        """Validate a webhook body, made storable (ValidationError if bad); a large one in a thread.

        Large bodies go to worker threads a few at a time: the limit leaves the server's own
        thread pool and the CPU to the dashboard's requests while a flood is parsed.
        """
        if len(body) <= INLINE_BYTES:
            return parse_notification(body)
        async with self.parsing:
            return await asyncio.to_thread(parse_notification, body)

    async def submit(self, payload: AmPayload) -> IngestResult:
        """Store the payload (with whatever else is waiting); return its result once committed."""
        entry = _Waiting(payload)
        self.waiting.append(entry)
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write())
        return await entry.done

    async def _write(self) -> None:
        while self.waiting:
            group, self.waiting = self.waiting[: self.max_batch], self.waiting[self.max_batch :]
            try:
                results = await asyncio.to_thread(self._store, [e.payload for e in group])
            except Exception:
                # One bad notification must not fail the others: store them one by one.
                for entry in group:
                    await self._store_alone(entry)
                continue
            for entry, result in zip(group, results, strict=True):
                if not entry.done.done():
                    entry.done.set_result(result)
            self._woken(results)

    async def _store_alone(self, entry: _Waiting) -> None:
        try:
            [result] = await asyncio.to_thread(self._store, [entry.payload])
        except Exception as exc:
            if not entry.done.done():
                entry.done.set_exception(exc)
            return
        if not entry.done.done():
            entry.done.set_result(result)
        self._woken([result])

    def _woken(self, results: list[IngestResult]) -> None:
        if self.wake is not None and any(r.created or r.resolved for r in results):
            self.wake()

    def _store(self, payloads: list[AmPayload]) -> list[IngestResult]:
        return ingest_many(db=self.db, payloads=payloads, runbook=self.runbook(), now=self.clock())
