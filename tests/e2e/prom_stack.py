"""Debian's Prometheus and Alertmanager on free loopback ports, for the e2e tests.

A `Target` exposes one gauge the test sets; `Stack` writes both configurations (Prometheus
evaluating a rule file, Alertmanager posting to opsbook's webhook with a bearer token) and
starts both programs with temporary data directories; the `processes` fixture stops them.
Under CI=true a missing program fails the test instead of skipping it.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.monitoring.live import free_port

ROOT = Path(__file__).resolve().parents[2]


def binary(*names: str) -> str:
    """Return the path of the first program found; fail under CI=true, else skip."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{names[0]} is missing; `make test` installs it (scripts/system-deps.sh)")
    pytest.skip(f"{names[0]} is not installed (apt-get install prometheus prometheus-alertmanager)")


class Target:
    """A scrape target exposing one gauge whose value the test sets."""

    def __init__(self, metric: str) -> None:
        self.value = 0.0
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = f"# TYPE {metric} gauge\n{metric} {target.value}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll `check` until it returns something true; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except (httpx.HTTPError, ValueError, KeyError, IndexError):
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Programs the test starts; terminated (then killed) when it ends."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def opsbook_cli(env: dict[str, str]) -> Callable[..., str]:
    """Return a runner of `python -m opsbook ARGS` in `env`, giving its stdout."""

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "opsbook", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
            check=True,
        )
        return done.stdout

    return cli


def token(cli: Callable[..., str], runbook: Path, role: str) -> str:
    """Create a bearer token of `role` with the CLI; return it."""
    made = cli("token", "create", "--name", role, "--role", role, "-r", str(runbook), "--json")
    secret: str = json.loads(made)["token"]
    return secret


@dataclass
class Prepared:
    """A runbook, its exported rules and an ingest token, for a stack not started yet."""

    stack: Stack
    runbook: Path
    cli: Callable[..., str]
    opsbook_port: int
    database_url: str


def prepare(tmp: Path, metric: str, runbook_text: Callable[[Stack, int], str]) -> Prepared:
    """Write the runbook, export its rules and make Alertmanager's token, as a user would."""
    stack = Stack(tmp, Target(metric), tmp / "rules.yml", "", "")
    port = free_port()
    runbook = tmp / "RUNBOOK.md"
    runbook.write_text(runbook_text(stack, port))
    env = {**os.environ, "OPSBOOK_HOME": str(tmp / "state"), "NO_COLOR": "1"}
    env.pop("OPSBOOK_DATABASE_URL", None)
    cli = opsbook_cli(env)
    cli("export", "prometheus-rules", str(runbook), "-o", str(stack.rules))
    stack.token = token(cli, runbook, "ingest")
    stack.webhook = f"http://127.0.0.1:{port}/api/v1/alertmanager"
    return Prepared(stack, runbook, cli, port, f"sqlite:///{tmp / 'state' / 'opsbook.db'}")


@dataclass
class Stack:
    """Prometheus scraping `target` with `rules`, and Alertmanager posting to `webhook`."""

    tmp: Path
    target: Target
    rules: Path
    webhook: str
    token: str
    group_interval: str = "1s"
    prom_port: int = 0
    am_port: int = 0

    def __post_init__(self) -> None:
        self.prom_port = self.prom_port or free_port()
        self.am_port = self.am_port or free_port()

    def start(self, processes: list[subprocess.Popen[bytes]]) -> None:
        """Start Alertmanager and Prometheus; return once Prometheus scrapes the target."""
        prometheus = binary("prometheus")
        alertmanager = binary("prometheus-alertmanager", "alertmanager")
        (self.tmp / "prometheus.yml").write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{self.rules}"]
alerting:
  alertmanagers: [{{static_configs: [{{targets: ["127.0.0.1:{self.am_port}"]}}]}}]
scrape_configs:
  - job_name: target
    static_configs: [{{targets: ["127.0.0.1:{self.target.port}"]}}]
""")
        (self.tmp / "alertmanager.yml").write_text(f"""
route:
  receiver: opsbook
  group_by: [alertname]
  group_wait: 1s
  group_interval: {self.group_interval}
  repeat_interval: 1h
receivers:
  - name: opsbook
    webhook_configs:
      - url: {self.webhook}
        send_resolved: true
        http_config: {{authorization: {{type: Bearer, credentials: "{self.token}"}}}}
""")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        processes.append(
            subprocess.Popen(
                [
                    alertmanager,
                    f"--config.file={self.tmp / 'alertmanager.yml'}",
                    f"--storage.path={self.tmp / 'am'}",
                    f"--web.listen-address=127.0.0.1:{self.am_port}",
                    "--cluster.listen-address=",
                ],
                **quiet,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={self.tmp / 'prometheus.yml'}",
                    f"--storage.tsdb.path={self.tmp / 'prom'}",
                    f"--web.listen-address=127.0.0.1:{self.prom_port}",
                ],
                **quiet,
            )
        )
        query = f"http://127.0.0.1:{self.prom_port}/api/v1/query"
        wait_for(
            "Prometheus to scrape the target",
            lambda: (
                httpx.get(query, params={"query": "up{job='target'}"}).json()["data"]["result"][0][
                    "value"
                ][1]
                == "1"
            ),
        )
