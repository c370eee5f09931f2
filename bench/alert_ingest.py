"""Alerts ingested per second through the Alertmanager webhook, beside raw SQLite inserts.

Starts the real app under Uvicorn, in its own process, on SQLite (WAL) in a temp directory,
posts version-4 webhook payloads of 100 alerts each over HTTP with an ingest token (every
batch is sent twice, so half the alerts go through deduplication), then counts what was
stored. In the same run it measures the raw SQLite rate: the same rows inserted with
executemany into a bare table with the same unique key, no HTTP, no validation.

    .venv/bin/python bench/alert_ingest.py [--alerts 20000] [--batch 100] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNBOOK = "# Bench Runbook\n\n## Purpose\n\nBenchmark.\n"


def payload(start: int, count: int) -> dict[str, Any]:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "BenchAlert", "instance": f"host{i}", "severity": "warning"},
            "annotations": {"summary": f"bench alert {i}"},
            "startsAt": "2026-11-27T03:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus/graph",
            "fingerprint": f"{i:016x}",
        }
        for i in range(start, start + count)
    ]
    return {
        "version": "4",
        "groupKey": '{}:{alertname="BenchAlert"}',
        "status": "firing",
        "receiver": "opsbook",
        "groupLabels": {"alertname": "BenchAlert"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am:9093",
        "alerts": alerts,
    }


async def post_all(base: str, token: str, bodies: list[bytes], concurrency: int) -> float:
    import httpx

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post(
                f"{base}/api/v1/alertmanager", content=body, headers=headers
            )
            response.raise_for_status()

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
    return time.perf_counter() - started


def raw_sqlite(path: Path, alerts: int, batch: int) -> float:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE raw (id INTEGER PRIMARY KEY, key TEXT UNIQUE, name TEXT, "
        "labels TEXT, annotations TEXT, starts_at TEXT)"
    )
    rows = [
        (
            f"am:{i:016x}",
            "BenchAlert",
            json.dumps({"instance": f"host{i}"}),
            json.dumps({"summary": f"bench alert {i}"}),
            "2026-11-27 03:00:00",
        )
        for i in range(alerts)
    ]
    started = time.perf_counter()
    for start in range(0, alerts, batch):
        with connection:
            connection.executemany(
                "INSERT INTO raw (key, name, labels, annotations, starts_at) "
                "VALUES (?, ?, ?, ?, ?)",
                rows[start : start + batch],
            )
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    from tests.monitoring.live import serving_process

    from opsbook.access import service as access
    from opsbook.access.roles import Role
    from opsbook.monitoring.service import count_alerts
    from opsbook.store.database import open_database

    with tempfile.TemporaryDirectory() as tmp:
        runbook = Path(tmp) / "RUNBOOK.md"
        runbook.write_text(RUNBOOK)
        db = open_database(f"sqlite:///{Path(tmp) / 'state' / 'opsbook.db'}")
        _, token = access.create_token(
            db, name="bench", role=Role.INGEST, created_by="bench", now=datetime.now(UTC)
        )
        batches = [
            json.dumps(payload(s, min(args.batch, args.alerts - s))).encode()
            for s in range(0, args.alerts, args.batch)
        ]
        with serving_process(runbook, db.url) as base:
            # Every batch twice, interleaved: the second copy is pure deduplication.
            sent = [b for body in batches for b in (body, body)]
            elapsed = asyncio.run(post_all(base, token, sent, args.concurrency))
        stored = sum(count_alerts(db=db).values())
        raw = raw_sqlite(Path(tmp) / "raw.db", args.alerts, args.batch)
        db.dispose()
    posted = args.alerts * 2
    print(
        f"webhook: {posted} alerts ({args.alerts} unique) in {len(sent)} requests of "
        f"{args.batch}, concurrency {args.concurrency}: {elapsed:.2f} s, "
        f"{posted / elapsed:,.0f} alerts/s ({args.alerts / elapsed:,.0f} unique/s); "
        f"stored {stored} (expected {args.alerts})"
    )
    print(f"raw SQLite executemany, batches of {args.batch}: {args.alerts / raw:,.0f} rows/s")
    if stored != args.alerts:
        raise SystemExit("alerts were lost or duplicated")


if __name__ == "__main__":
    main()
