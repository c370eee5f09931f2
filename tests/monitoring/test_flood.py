"""A webhook flood: 20,000 alerts offered within 10 s to a real server in its own process.

None may be lost (the stored count equals the sent count) and the dashboard must keep
answering meanwhile. Throughput itself is measured in bench/alert_ingest.py, not here.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.monitoring.service import count_alerts
from opsbook.store.database import Database
from tests.monitoring.conftest import am_alert, am_payload
from tests.monitoring.live import serving_process

pytestmark = pytest.mark.process

ALERTS, BATCH, SECONDS = 20_000, 100, 10.0


def test_flood_of_20000_alerts_loses_none_and_the_dashboard_answers(
    db: Database, runbook_file: Path
) -> None:
    now = datetime.now(UTC)
    _, ingest = access.create_token(db, name="am", role=Role.INGEST, created_by="t", now=now)
    _, viewer = access.create_token(db, name="v", role=Role.VIEWER, created_by="t", now=now)
    bodies = [
        json.dumps(am_payload([am_alert(i) for i in range(s, s + BATCH)])).encode()
        for s in range(0, ALERTS, BATCH)
    ]
    statuses: list[int] = []
    pages: list[tuple[int, float]] = []

    async def flood(base: str) -> None:
        headers = {"Authorization": f"Bearer {ingest}", "Content-Type": "application/json"}
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:

            async def post(delay: float, body: bytes) -> None:
                await asyncio.sleep(delay)  # open loop: offered on schedule, not on answers
                response = await client.post(
                    f"{base}/api/v1/alertmanager", content=body, headers=headers
                )
                statuses.append(response.status_code)

            async def watch(done: asyncio.Event) -> None:
                while not done.is_set():
                    started = time.perf_counter()
                    page = await client.get(
                        f"{base}/", headers={"Authorization": f"Bearer {viewer}"}
                    )
                    pages.append((page.status_code, time.perf_counter() - started))
                    await asyncio.sleep(0.25)

            done = asyncio.Event()
            watcher = asyncio.create_task(watch(done))
            step = SECONDS / len(bodies)
            await asyncio.gather(*(post(i * step, body) for i, body in enumerate(bodies)))
            done.set()
            await watcher

    with serving_process(runbook_file, db.url) as base:
        asyncio.run(flood(base))
    assert statuses.count(200) == len(bodies), sorted(set(statuses))
    assert sum(count_alerts(db=db, origin="alertmanager").values()) == ALERTS
    assert len(pages) >= 5 and all(status == 200 for status, _ in pages)
    assert max(seconds for _, seconds in pages) < 5.0, pages
