"""Latency of the dashboard under load: the overview page and GET /api/v1/runs, with
100,000 stored runs, at a steady 200 requests per second, against a real `opsbook serve`.

The load is open-loop: request i is due at start + i/rate whatever happened before, and
its latency counts from when it was due, so a slow server cannot hide its queueing
(no coordinated omission). The load generator (httpx, asyncio) shares the 2 cores.

    .venv/bin/python bench/web_latency.py [--runs 100000] [--rate 200] [--seconds 20] [--write]

--write replaces this benchmark's section of docs/benchmarks.md (between its markers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from doc_section import markers, replace_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
START, END = markers("web_latency")
EXAMPLE = ROOT / "examples" / "tinyweb"
TARGET_P99 = 0.100


def fill_runs(state: Path, runbook: Path, total: int) -> str:
    """Store `total` finished runs of the example's procedures; return a viewer token."""
    from sqlalchemy import insert

    from opsbook.access import service
    from opsbook.access.roles import Role
    from opsbook.procedures.stores.tables import RunRow
    from opsbook.store.database import open_database

    db = open_database(f"sqlite:///{state / 'opsbook.db'}")
    procedures = ["startup", "shutdown", "backup", "cache-warmup", "log-rotation", "deployment"]
    statuses = ["succeeded"] * 8 + ["failed", "rolled-back"]
    start = datetime.now(UTC) - timedelta(days=400)
    batch = []
    with db.transaction() as session:
        for n in range(total):
            began = start + timedelta(minutes=5 * n)
            batch.append(
                {
                    "procedure": procedures[n % len(procedures)],
                    "title": "Procedure",
                    "kind": "procedure",
                    "runbook_path": str(runbook),
                    "status": statuses[n % len(statuses)],
                    "message": "all 9 items passed",
                    "started_at": began,
                    "finished_at": began + timedelta(seconds=42),
                    "started_by": "ana",
                    "params": {},
                    "host_filter": None,
                    "plan_digest": "0" * 16,
                    "waiting_step": None,
                    "machine": "bench",
                    "pid": None,
                    "process_started": None,
                }
            )
            if len(batch) == 5000:
                session.execute(insert(RunRow), batch)
                batch = []
        if batch:
            session.execute(insert(RunRow), batch)
    _, token = service.create_token(
        db, name="bench", role=Role.VIEWER, created_by="bench", now=datetime.now(UTC)
    )
    db.dispose()
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Connections:
    """Keep-alive HTTP/1.1 connections: a lean client, so the generator costs little CPU."""

    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self) -> int:
        """Send the request on an idle (or new) connection; return the status code."""
        if self.idle:
            reader, writer = self.idle.pop()
            try:
                return await self._exchange(reader, writer)
            except (OSError, asyncio.IncompleteReadError):
                writer.close()  # the server closed an idle keep-alive connection: reconnect
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return await self._exchange(reader, writer)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        writer.write(self.request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        self.idle.append((reader, writer))
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def load(url: str, headers: dict[str, str], rate: float, seconds: float) -> dict[str, float]:
    """Send requests at `rate` per second for `seconds`; return latency figures."""
    parts = httpx.URL(url)
    lines = [f"GET {parts.raw_path.decode()} HTTP/1.1", f"Host: {parts.host}:{parts.port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    pool = Connections(parts.host, parts.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode())
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0

    kinds: dict[str, int] = {}

    async def one(due: float) -> None:
        nonlocal errors
        try:
            status = await pool.get()
            kind = "" if status == 200 else f"HTTP {status}"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            kind = type(exc).__name__
        latencies.append(time.perf_counter() - due)
        if kind:
            errors += 1
            kinds[kind] = kinds.get(kind, 0) + 1

    began = time.perf_counter()
    tasks = []
    for i in range(total):
        due = began + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    pool.close()
    if kinds:
        print(f"  errors: {kinds}", flush=True)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "requests": total,
        "errors": errors,
        "rate": total / elapsed,
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": latencies[-1],
    }


def cpu_per_request(pid: int, url: str, headers: dict[str, str], count: int = 300) -> float:
    """Return the server's CPU seconds per request, over `count` requests one at a time."""
    import psutil

    server = psutil.Process(pid)
    with httpx.Client(headers=headers) as client:
        before = server.cpu_times()
        for _ in range(count):
            client.get(url)
        after = server.cpu_times()
    return ((after.user + after.system) - (before.user + before.system)) / count


def machine() -> str:
    cores = os.cpu_count()
    model = platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(line.split(":", 1)[1].strip() for line in lines if "model name" in line)
    return (
        f"{cores} cores ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="opsbook-web-bench-"))
    home = tmp / "tinyweb"
    shutil.copytree(EXAMPLE, home, ignore=shutil.ignore_patterns("var", "__pycache__", ".opsbook"))
    state = tmp / "state"
    started = time.perf_counter()
    token = fill_runs(state, home / "RUNBOOK.md", args.runs)
    print(f"stored {args.runs:,} runs in {time.perf_counter() - started:.1f} s", flush=True)
    port = free_port()
    env = {**os.environ, "OPSBOOK_HOME": str(state), "TINYWEB_PORT": str(free_port())}
    env.pop("OPSBOOK_DATABASE_URL", None)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "opsbook"),
            "serve",
            str(home / "RUNBOOK.md"),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, dict[str, float]] = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("opsbook serve did not start")
            time.sleep(0.2)
        for path in ("/", "/api/v1/runs"):
            check = httpx.get(base + path, headers=headers)
            assert check.status_code == 200, (path, check.status_code)
            if path == "/api/v1/runs":
                assert check.json()["total"] == args.runs
            asyncio.run(load(base + path, headers, 20, 2))  # warm up
            cpu = cpu_per_request(server.pid, base + path, headers)
            results[path] = asyncio.run(load(base + path, headers, args.rate, args.seconds))
            r = results[path]
            r["load"] = os.getloadavg()[0]
            r["cpu"] = cpu
            print(
                f"{path:14} {r['requests']:.0f} requests at {r['rate']:.0f}/s, "
                f"{r['errors']:.0f} errors: p50 {r['p50'] * 1000:.1f} ms, "
                f"p90 {r['p90'] * 1000:.1f} ms, p99 {r['p99'] * 1000:.1f} ms, "
                f"max {r['max'] * 1000:.1f} ms (load average {r['load']:.1f})",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.write:
        write_section(args, results)


def write_section(args: argparse.Namespace, results: dict[str, dict[str, float]]) -> None:
    rows = "\n".join(
        f"| `GET {path}` | {r['rate']:.0f}/s | {r['errors']:.0f} | {r['p50'] * 1000:.1f} ms | "
        f"{r['p90'] * 1000:.1f} ms | **{r['p99'] * 1000:.1f} ms** | {r['max'] * 1000:.1f} ms | "
        f"{r['load']:.1f} | {r['cpu'] * 1000:.2f} ms |"
        for path, r in results.items()
    )
    verdict = "met" if all(r["p99"] < TARGET_P99 for r in results.values()) else "NOT met"
    command = "bench/web_latency.py" + (
        ""
        if (args.runs, args.rate, args.seconds) == (100_000, 200, 20)
        else f" --runs {args.runs} --rate {args.rate:g} --seconds {args.seconds:g}"
    )
    section = f"""{START}
## Dashboard and API latency under load (`opsbook serve`)

Target (issue 4): p99 under 100 ms for the overview page and `GET /api/v1/runs` with
100,000 stored runs at 200 requests/s, on this 2-core machine. Result: target {verdict}.

Command: `.venv/bin/python {command} --write`

A real `opsbook serve` on a copy of the example runbook (SQLite, WAL) with {args.runs:,}
stored runs; a viewer token; open-loop load from a lean asyncio keep-alive HTTP/1.1
client on the same machine ({args.rate:g} requests/s for {args.seconds:g} s per endpoint;
latency counted from when each request was due). The overview runs every panel (alerts, incidents,
metrics, last run of each procedure); `/api/v1/runs` returns the newest 50 runs and the
total count. Those figures are cached for at most a second per server (dropped at once when
the server changes a run), so about one request in 200 recomputes them (counting 100,000
runs takes 3 to 9 ms here); every request still pays for its token lookup (one indexed
read), routing, and rendering the page or the JSON. Machine: {machine()}.

"Load average" is the machine's 1-minute load average right after the endpoint's run:
above 2, other work (other test suites) was competing with the server for the 2 cores.
"Server CPU" is the server process's CPU time per request over 300 requests sent one at
a time (user + system, from /proc), which other load barely changes: 200 requests/s
needs 200 times that per second of one core (the server is one Python process).

The figures depend on what else the 2 cores are doing: runs of the same command while other
test suites kept the 1-minute load average at 6 to 7 measured p99 of several seconds, since
at 200 requests/s the server needs most of one core to itself.

| request | achieved rate | errors | p50 | p90 | p99 | max | load average | server CPU |
|---|---|---|---|---|---|---|---|---|
{rows}
{END}"""
    replace_section(START, END, section)


if __name__ == "__main__":
    main()
