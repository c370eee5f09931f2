"""One monitoring cycle of the server's worker: collect, store, evaluate, act.

`tick()` runs every second; it collects when `monitoring.interval` has passed since the last
collection, so a reloaded runbook's new interval takes effect without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from opsbook.monitoring import samples, service
from opsbook.monitoring.actions import AlertActions
from opsbook.monitoring.notices import Notice
from opsbook.monitoring.samples import hold_lease
from opsbook.monitoring.settings import MonitoringSettings, SettingsError, monitoring_settings
from opsbook.monitoring.sources.base import MetricSource, Reading, SourceError
from opsbook.monitoring.sources.build import source_for
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database

log = logging.getLogger("opsbook.monitoring")
# No source may hold the cycle longer than this, whatever its own timeout says.
READ_LIMIT = 60.0
# A lease outlives a few missed cycles, then another server takes over.
LEASE_INTERVALS = 3


class MonitoringCycle:
    """Collects every Key Metric on the interval, evaluates the rules and acts."""

    def __init__(
        self,
        db: Database,
        runbook: Callable[[], Runbook],
        clock: Callable[[], datetime],
        actions: AlertActions,
        holder: str | None = None,
    ) -> None:
        self.db, self.runbook, self.clock, self.actions = db, runbook, clock, actions
        # Servers sharing a database take turns by lease; None: run without one.
        self.holder = holder
        self.last_run: float | None = None
        self._sources: tuple[Runbook, dict[str, MetricSource | SourceError]] | None = None

    async def tick(self) -> None:
        """Collect and evaluate if the interval has passed; also act on overdue escalations."""
        runbook = self.runbook()
        try:
            settings = monitoring_settings(runbook.settings)
        except SettingsError as exc:
            log.warning("monitoring is paused: %s", exc)
            return
        now = time.monotonic()
        if self.last_run is not None and now - self.last_run < settings.interval:
            return
        self.last_run = now
        if self.holder is not None:
            ttl = settings.interval * LEASE_INTERVALS
            held = await asyncio.to_thread(
                hold_lease,
                db=self.db,
                name="monitoring",
                holder=self.holder,
                now=self.clock(),
                ttl=ttl,
            )
            if not held:
                return
        await self.run_once(runbook, settings)

    async def run_once(self, runbook: Runbook, settings: MonitoringSettings) -> list[Notice]:
        """Do one full cycle now; return the notices it acted on."""
        readings = await self.collect(runbook)
        moment = self.clock()
        await asyncio.to_thread(
            samples.record_readings,
            db=self.db,
            readings=readings,
            now=moment,
            retention=settings.retention,
        )
        by_metric = {r.metric: r for r in readings}
        notices = await asyncio.to_thread(
            service.evaluate_rules,
            db=self.db,
            runbook=runbook,
            readings=by_metric,
            windows=settings.windows,
            now=moment,
            skip_kinds=settings.skip_kinds,
        )
        notices += await asyncio.to_thread(service.end_silences, db=self.db, now=moment)
        notices += await asyncio.to_thread(
            service.due_escalations, db=self.db, runbook=runbook, now=moment
        )
        for notice in notices:
            await self.actions.handle(notice)
        return notices

    async def collect(self, runbook: Runbook) -> list[Reading]:
        """Read every Key Metric at once; a source that fails gives an error reading."""
        sources = self._sources_for(runbook)

        async def read(key: str, source: MetricSource | SourceError) -> Reading:
            if isinstance(source, SourceError):
                return Reading(key, error=str(source))
            try:
                return await asyncio.wait_for(source.read(), READ_LIMIT)
            except TimeoutError:
                return Reading(key, error=f"no answer within {READ_LIMIT:g}s")
            except Exception as exc:  # a broken source is shown, never a silent zero
                return Reading(key, error=f"{type(exc).__name__}: {exc}")

        return list(await asyncio.gather(*(read(k, s) for k, s in sources.items())))

    def _sources_for(self, runbook: Runbook) -> dict[str, MetricSource | SourceError]:
        if self._sources is None or self._sources[0] is not runbook:
            built: dict[str, MetricSource | SourceError] = {}
            for metric in runbook.metrics:
                try:
                    built[metric.id] = source_for(metric, runbook)
                except SourceError as exc:
                    built[metric.id] = exc
            self._sources = (runbook, built)
        return self._sources[1]
