"""Alerts ingested per second through the Alertmanager webhook, beside raw SQLite inserts.

Starts the real app under Uvicorn, in its own process, on SQLite (WAL) in a temp directory,
posts version-4 webhook payloads of 100 alerts each over HTTP with an ingest token (every
batch is sent twice, so half the alerts go through deduplication), then counts what was
stored. In the same run it measures the raw SQLite rate: the same rows inserted with
executemany into a bare table with the same unique key, no HTTP, no validation.

    .venv/bin/python bench/alert_ingest.py [--alerts 20000] [--batch 100] [--concurrency 8]
        [--repeat 5] [--write]

Each repeat is a fresh server and database; the medians are reported. --write replaces this
benchmark's section of docs/benchmarks.md (between its markers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from doc_section import markers, replace_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
START, END = markers("alert_ingest")
TARGET = 20_000

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


@dataclass(frozen=True)
class Run:
    webhook: float  # alerts/s, duplicates included
    floor: float  # alerts/s at most, through the HTTP stack alone
    raw: float  # rows/s, SQLite executemany
    stored: int


def run_once(alerts: int, batch: int, concurrency: int) -> Run:
    """Serve a fresh database, post every batch twice, count what was stored."""
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
            json.dumps(payload(s, min(batch, alerts - s))).encode() for s in range(0, alerts, batch)
        ]
        with serving_process(runbook, db.url) as base:
            # Every batch twice, interleaved: the second copy is pure deduplication.
            sent = [b for body in batches for b in (body, body)]
            elapsed = post_all(base, token, sent, concurrency)
            # The HTTP floor: the same requests refused at the token check (401), so only
            # Uvicorn, FastAPI, the middleware and one token lookup run.
            floor = post_all(base, "opsb_not-a-token", sent, concurrency, expect=401)
        stored = sum(count_alerts(db=db).values())
        raw = raw_sqlite(Path(tmp) / "raw.db", alerts, batch)
        db.dispose()
    posted = alerts * 2
    return Run(posted / elapsed, posted / floor, alerts / raw, stored)


def machine() -> str:
    """Return the cores, CPU model, system and Python version, as the other benches say it."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    return (
        f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def section(args: argparse.Namespace, runs: list[Run], loads: tuple[str, str]) -> str:
    """Return this benchmark's section of docs/benchmarks.md."""
    median = Run(
        statistics.median(r.webhook for r in runs),
        statistics.median(r.floor for r in runs),
        statistics.median(r.raw for r in runs),
        runs[0].stored,
    )
    met = "met" if median.webhook >= TARGET else "missed"
    rows = [
        f"| {i} | {r.webhook:,.0f} | {r.webhook / 2:,.0f} | {r.floor:,.0f} | {r.raw:,.0f} |"
        for i, r in enumerate(runs, 1)
    ]
    return "\n".join(
        [
            START,
            "## Alertmanager webhook ingest on SQLite, beside raw SQLite inserts",
            "",
            f"Target (issue 5): at least {TARGET:,} alerts/s through the webhook (batches of 100,"
            " with dedup), on SQLite, shown beside the raw SQLite insert rate measured in the same"
            " run.",
            "",
            f"Command: `.venv/bin/python bench/alert_ingest.py --alerts {args.alerts} --batch "
            f"{args.batch} --concurrency {args.concurrency} --repeat {args.repeat} --write`",
            "",
            f"Machine: {machine()}. Load average (1 / 5 / 15 min) when the runs started: "
            f"{loads[0]}; when they ended: {loads[1]}. The client runs on the same machine and "
            "takes CPU too; other sessions may share it, so single runs swing by a third.",
            "",
            "What runs, each repeat from scratch: the server as `opsbook serve` runs it "
            "(`web.server.serve`: Uvicorn with httptools and uvloop, the same app, middleware, "
            "auth and route) in its own process, on SQLite WAL in a temporary directory; "
            f"{args.concurrency} client threads (stdlib `http.client`, keep-alive) POST "
            f"{args.alerts // args.batch} version-4 payloads of {args.batch} distinct alerts, each "
            "payload twice (the second copy is deduplicated by fingerprint: the alert's received "
            "count goes up, no new row), with an `ingest` token. Then the stored rows are counted "
            f"({median.stored:,} every time: none lost, none doubled). The HTTP floor posts the "
            "same bodies with a wrong token, so only the HTTP stack, the middleware and one token "
            f"lookup run. Raw SQLite: the same {args.alerts:,} rows through `executemany` in "
            f"batches of {args.batch}, one transaction per batch, into a bare table with a unique "
            "key.",
            "",
            "| run | webhook, alerts/s (incl. duplicates) | unique alerts/s | HTTP floor, alerts/s "
            "at most | raw SQLite rows/s |",
            "|---|---|---|---|---|",
            *rows,
            f"| median | **{median.webhook:,.0f}** | {median.webhook / 2:,.0f} | "
            f"{median.floor:,.0f} | {median.raw:,.0f} |",
            "",
            f"Target {TARGET:,} alerts/s: **{met}** (median of {len(runs)} runs: "
            f"{median.webhook:,.0f}; the webhook runs at {median.webhook / median.raw:.0%} of raw "
            "SQLite's rate).",
            END,
        ]
    )


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    started = load()
    runs = []
    for _ in range(args.repeat):
        run = run_once(args.alerts, args.batch, args.concurrency)
        runs.append(run)
        print(
            f"webhook: {run.webhook:,.0f} alerts/s ({run.webhook / 2:,.0f} unique/s); "
            f"HTTP floor {run.floor:,.0f} alerts/s at most; raw SQLite {run.raw:,.0f} rows/s; "
            f"stored {run.stored} (expected {args.alerts})",
            flush=True,
        )
        if run.stored != args.alerts:
            raise SystemExit("alerts were lost or duplicated")
    text = section(args, runs, (started, load()))
    print(text)
    if args.write:
        replace_section(START, END, text)


if __name__ == "__main__":
    main()
