#!/usr/bin/env python3
"""tinyweb: a tiny HTTP service with a data directory, the system the example runbook runs.

Standard library only. Endpoints:
  GET  /health   JSON: status, version, uptime, item count, cache state
  GET  /items    the stored items (served from an in-memory cache once warm)
  POST /items    store a JSON object as one file in the data directory
  GET  /metrics  Prometheus text format: requests, items, uptime, release
  GET  /cache    cache state;  DELETE /cache empties it

Settings come from the environment: TINYWEB_HOST (127.0.0.1), TINYWEB_PORT (8765),
TINYWEB_DATA (var/data), TINYWEB_STATE (var/state, holds the `release` file) and
TINYWEB_ADMIN_TOKEN (when set, POST and DELETE need `Authorization: Bearer <token>`).
SIGTERM or SIGINT stops it gracefully: requests in flight finish, then it exits 0.

`python3 tinyweb.py --self-test` starts a server on a free port against a scratch
directory, exercises every endpoint and exits 0 when all of them behave.
"""

from __future__ import annotations

import hmac
import json
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_RELEASE = "1.0.0"
MAX_BODY = 64 * 1024
KNOWN_PATHS = ("/health", "/items", "/metrics", "/cache")


def log(level: str, message: str) -> None:
    """Write one log line to stderr (the control script sends stderr to the log file)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sys.stderr.write(f"{stamp} {level} {message}\n")
    sys.stderr.flush()


class Store:
    """Items as one JSON file each under DATA/items, written atomically."""

    def __init__(self, data_dir: Path) -> None:
        self.items_dir = data_dir / "items"
        self.items_dir.mkdir(parents=True, exist_ok=True)

    def count(self) -> int:
        with os.scandir(self.items_dir) as entries:
            return sum(1 for e in entries if e.name.endswith(".json"))

    def all(self) -> list[dict[str, Any]]:
        items = []
        for path in self.items_dir.glob("*.json"):
            try:
                items.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                log("ERROR", f"unreadable item {path.name}: {exc}")
        return sorted(items, key=lambda item: (item.get("created_at", ""), item.get("id", "")))

    def add(self, fields: dict[str, Any]) -> dict[str, Any]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        item = {**fields, "id": uuid.uuid4().hex[:12], "created_at": stamp}
        target = self.items_dir / f"{item['id']}.json"
        temporary = target.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(item, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
        return item


class Cache:
    """The item list kept in memory after the first read; any write makes it cold."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[dict[str, Any]] | None = None
        self.hits = 0
        self.misses = 0

    def get(self, store: Store) -> list[dict[str, Any]]:
        with self.lock:
            if self.items is None:
                self.misses += 1
                self.items = store.all()
            else:
                self.hits += 1
            return list(self.items)

    def clear(self) -> None:
        with self.lock:
            self.items = None

    def state(self) -> dict[str, Any]:
        with self.lock:
            warm = self.items is not None
            entries = len(self.items) if self.items is not None else 0
            return {"state": "warm" if warm else "cold", "entries": entries,
                    "hits": self.hits, "misses": self.misses}  # fmt: skip


class Counters:
    """Requests answered, by method, path and status code."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}

    def count(self, method: str, path: str, code: int) -> None:
        key = (method, path if path in KNOWN_PATHS else "other", code)
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1

    def snapshot(self) -> dict[tuple[str, str, int], int]:
        with self.lock:
            return dict(self.requests)


class TinyServer(ThreadingHTTPServer):
    # Idle or silent connections must not hold up a stop: their threads die with the
    # process. Requests being answered are counted, and a stop waits for them to finish.
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], data_dir: Path, state_dir: Path) -> None:
        super().__init__(address, Handler)
        self.store = Store(data_dir)
        self.cache = Cache()
        self.counters = Counters()
        self.started = time.monotonic()
        self.release = read_release(state_dir)
        self.admin_token = os.environ.get("TINYWEB_ADMIN_TOKEN", "")
        self.busy = 0
        self.busy_lock = threading.Condition()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count a request as in flight while the block runs."""
        with self.busy_lock:
            self.busy += 1
        try:
            yield
        finally:
            with self.busy_lock:
                self.busy -= 1
                self.busy_lock.notify_all()

    def drain(self, seconds: float) -> bool:
        """Wait until no request is in flight; False if some still are after the wait."""
        with self.busy_lock:
            return self.busy_lock.wait_for(lambda: self.busy == 0, timeout=seconds)


def read_release(state_dir: Path) -> str:
    """Return the release label the state directory names, or the default."""
    try:
        return (state_dir / "release").read_text(encoding="utf-8").strip() or DEFAULT_RELEASE
    except FileNotFoundError:
        return DEFAULT_RELEASE


class Handler(BaseHTTPRequestHandler):
    server: TinyServer
    server_version = "tinyweb"
    # HTTP/1.0: one request per connection, so an idle keep-alive client (a scraper, a
    # monitoring client) can never hold up a graceful stop. The timeout drops clients that
    # connect and then say nothing.
    protocol_version = "HTTP/1.0"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        log("INFO", f"{self.client_address[0]} {format % args}")

    def reply(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.server.counters.count(self.command, self.path.split("?", 1)[0], code)

    def reply_json(self, code: int, data: Any) -> None:
        self.reply(code, (json.dumps(data, indent=1) + "\n").encode())

    def error(self, code: int, message: str) -> None:
        self.reply_json(code, {"error": message})

    def authorised(self) -> bool:
        token = self.server.admin_token
        if not token:
            return True
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    def do_GET(self) -> None:
        with self.server.answering():
            self.answer_get()

    def do_POST(self) -> None:
        with self.server.answering():
            self.answer_post()

    def do_DELETE(self) -> None:
        with self.server.answering():
            self.answer_delete()

    def answer_get(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self.reply_json(200, self.health())
        elif path == "/items":
            self.reply_json(200, self.server.cache.get(self.server.store))
        elif path == "/metrics":
            self.reply(200, self.metrics().encode(), "text/plain; version=0.0.4; charset=utf-8")
        elif path == "/cache":
            self.reply_json(200, self.server.cache.state())
        else:
            self.error(404, f"no such path {path}; try /health, /items, /metrics or /cache")

    def answer_post(self) -> None:
        if self.path.split("?", 1)[0] != "/items":
            self.error(404, "POST only to /items")
            return
        if not self.authorised():
            self.error(401, "send Authorization: Bearer <TINYWEB_ADMIN_TOKEN>")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.error(411, "send a Content-Length header")
            return
        if not 0 < length <= MAX_BODY:
            self.error(413, f"the body must be 1 to {MAX_BODY} bytes")
            return
        try:
            fields = json.loads(self.rfile.read(length))
        except ValueError:
            self.error(400, 'the body must be a JSON object, such as {"name": "apple"}')
            return
        if not isinstance(fields, dict):
            self.error(400, 'the body must be a JSON object, such as {"name": "apple"}')
            return
        try:
            item = self.server.store.add(fields)
        except OSError as exc:
            log("ERROR", f"cannot store item: {exc}")
            self.error(507, "the data directory cannot be written")
            return
        self.server.cache.clear()
        self.reply_json(201, item)

    def answer_delete(self) -> None:
        if self.path.split("?", 1)[0] != "/cache":
            self.error(404, "DELETE only on /cache")
            return
        if not self.authorised():
            self.error(401, "send Authorization: Bearer <TINYWEB_ADMIN_TOKEN>")
            return
        self.server.cache.clear()
        log("INFO", "cache cleared")
        self.reply_json(200, self.server.cache.state())

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "version": self.server.release,
            "uptime_seconds": round(time.monotonic() - self.server.started, 3),
            "items": self.server.store.count(),
            "cache": self.server.cache.state()["state"],
            "pid": os.getpid(),
        }

    def metrics(self) -> str:
        lines = [
            "# HELP tinyweb_requests_total HTTP requests answered, by method, path and code.",
            "# TYPE tinyweb_requests_total counter",
        ]
        for (method, path, code), value in sorted(self.server.counters.snapshot().items()):
            labels = f'method="{method}",path="{path}",code="{code}"'
            lines.append(f"tinyweb_requests_total{{{labels}}} {value}")
        uptime = time.monotonic() - self.server.started
        release = self.server.release.replace("\\", "\\\\").replace('"', '\\"')
        lines += [
            "# HELP tinyweb_items Items stored in the data directory.",
            "# TYPE tinyweb_items gauge",
            f"tinyweb_items {self.server.store.count()}",
            "# HELP tinyweb_uptime_seconds Seconds since the process started.",
            "# TYPE tinyweb_uptime_seconds gauge",
            f"tinyweb_uptime_seconds {uptime:.3f}",
            "# HELP tinyweb_build_info The release this process runs.",
            "# TYPE tinyweb_build_info gauge",
            f'tinyweb_build_info{{version="{release}"}} 1',
        ]
        return "\n".join(lines) + "\n"


def env_path(name: str, default: str) -> Path:
    """Return a directory from the environment, relative paths taken from the cwd."""
    return Path(os.environ.get(name) or HERE / default).resolve()


def serve() -> int:
    """Run the server until SIGTERM or SIGINT."""
    host = os.environ.get("TINYWEB_HOST") or "127.0.0.1"
    try:
        port = int(os.environ.get("TINYWEB_PORT") or 8765)
    except ValueError:
        log("ERROR", f"TINYWEB_PORT={os.environ['TINYWEB_PORT']!r} is not a port number")
        return 2
    data_dir = env_path("TINYWEB_DATA", "var/data")
    state_dir = env_path("TINYWEB_STATE", "var/state")
    try:
        server = TinyServer((host, port), data_dir, state_dir)
    except OSError as exc:
        log("ERROR", f"cannot listen on {host}:{port}: {exc}")
        return 1

    def stop(signum: int, _frame: object) -> None:
        log("INFO", f"received {signal.Signals(signum).name}; finishing requests in flight")
        # shutdown() waits for serve_forever to return, so it cannot run on this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("INFO", f"tinyweb {server.release} starting (pid {os.getpid()})")
    log("INFO", f"listening on http://{host}:{server.server_address[1]} data={data_dir}")
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    if not server.drain(10):
        log("ERROR", "requests still in flight after 10s; exiting anyway")
        return 1
    log("INFO", "stopped cleanly")
    return 0


class TestFailure(Exception):
    """An endpoint did not behave during the self-test."""


def expect(condition: bool, message: str) -> None:
    """Raise TestFailure with the message unless the condition holds."""
    if not condition:
        raise TestFailure(message)


def self_test() -> int:
    """Serve a scratch directory on a free port and exercise every endpoint."""
    with tempfile.TemporaryDirectory(prefix="tinyweb-selftest-") as scratch:
        server = TinyServer(("127.0.0.1", 0), Path(scratch, "data"), Path(scratch, "state"))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            post = urllib.request.Request(
                base + "/items", data=b'{"name": "self-test"}', method="POST",
                headers={"Content-Type": "application/json",
                         "Authorization": f"Bearer {server.admin_token}"},
            )  # fmt: skip
            with urllib.request.urlopen(post, timeout=5) as answer:
                expect(answer.status == 201, f"POST /items answered {answer.status}")
            with urllib.request.urlopen(base + "/items", timeout=5) as answer:
                names = [i.get("name") for i in json.load(answer)]
                expect(names == ["self-test"], f"GET /items listed {names}")
            with urllib.request.urlopen(base + "/health", timeout=5) as answer:
                health = json.load(answer)
                expect(health["status"] == "ok" and health["items"] == 1, f"/health: {health}")
            with urllib.request.urlopen(base + "/metrics", timeout=5) as answer:
                expect("tinyweb_items 1" in answer.read().decode(), "/metrics lacks tinyweb_items")
        except (TestFailure, OSError, ValueError, KeyError) as exc:
            print(f"self-test failed: {exc!r}", file=sys.stderr)
            return 1
        finally:
            server.shutdown()
            server.server_close()
    print("self-test passed: /items, /health and /metrics behave")
    return 0


if __name__ == "__main__":
    sys.exit(self_test() if sys.argv[1:] == ["--self-test"] else serve())
