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


def post_all(
    base: str, token: str, bodies: list[bytes], concurrency: int, expect: int = 200
) -> float:
    """POST every body over `concurrency` keep-alive connections; return the seconds taken.

    The client is stdlib http.client in threads: httpx's async client cost this machine
    three times the server's own time per request, which measured the client, not opsbook.
    """
    import http.client
    import threading
    from urllib.parse import urlsplit

    where = urlsplit(base)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    waiting = list(reversed(bodies))
    lock = threading.Lock()
    failures: list[str] = []

    def sender() -> None:
        connection = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
        while True:
            with lock:
                if not waiting:
                    break
                body = waiting.pop()
            connection.request("POST", "/api/v1/alertmanager", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != expect:
                failures.append(f"{response.status} {answer[:200]!r}")
        connection.close()

    threads = [threading.Thread(target=sender) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]}")
    return elapsed


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
            elapsed = post_all(base, token, sent, args.concurrency)
            # The HTTP floor: the same requests refused at the token check (401), so only
            # Uvicorn, FastAPI, the middleware and one token lookup run.
            floor = post_all(base, "opsb_not-a-token", sent, args.concurrency, expect=401)
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
    print(
        f"HTTP floor (same {len(sent)} requests refused with 401): {floor:.2f} s, "
        f"{len(sent) / floor:,.0f} requests/s = {posted / floor:,.0f} alerts/s at most"
    )
    print(f"raw SQLite executemany, batches of {args.batch}: {args.alerts / raw:,.0f} rows/s")
    if stored != args.alerts:
        raise SystemExit("alerts were lost or duplicated")


if __name__ == "__main__":
    main()
