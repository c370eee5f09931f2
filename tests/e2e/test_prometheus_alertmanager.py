"""Real Prometheus and Alertmanager (Debian's packages) talking to a real opsbook server.

Prometheus scrapes a test target and evaluates the rules `opsbook export prometheus-rules`
wrote; Alertmanager sends its webhooks, with an ingest token, to opsbook's receiver; opsbook's
own `prom:` source queries the same Prometheus. Everything runs on free loopback ports with
temporary data directories.
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
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.monitoring.live import free_port, serving_process

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

RUNBOOK = """---
prometheus_url: http://127.0.0.1:{prom_port}
dashboard_url: http://127.0.0.1:{opsbook_port}
---
# Queue Runbook

## Quick Reference

### Key Metrics

- Queue depth: `prom:max(opsbook_e2e_queue_depth)` — jobs waiting

## Standard Operating Procedures

### Monitoring & Alerting

**Alert Thresholds**:

| Metric | Warning | Critical | For | Action |
|--------|---------|----------|-----|--------|
| Queue depth | > 10 | > 100 | - | notify: Primary Owner |

## Troubleshooting Guide

### Common Issues

#### Issue: Queue backs up

**Symptoms**:
- The Queue depth alert fires

**Diagnosis Steps**:
1. Look at the workers: `ps aux`
"""


def binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{names[0]} is missing; `make test` installs it (scripts/system-deps.sh)")
    pytest.skip(f"{names[0]} is not installed (apt-get install prometheus prometheus-alertmanager)")


class Target:
    """A scrape target exposing one gauge whose value the test sets."""

    def __init__(self) -> None:
        self.value = 0.0
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (
                    f"# TYPE opsbook_e2e_queue_depth gauge\n"
                    f"opsbook_e2e_queue_depth {target.value}\n"
                ).encode()
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
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_alertmanager_webhooks_reach_opsbook_and_resolve(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    prometheus = binary("prometheus")
    alertmanager = binary("prometheus-alertmanager", "alertmanager")
    target = Target()
    prom_port, am_port, opsbook_port = free_port(), free_port(), free_port()
    runbook = tmp_path / "RUNBOOK.md"
    runbook.write_text(RUNBOOK.format(prom_port=prom_port, opsbook_port=opsbook_port))
    env = {**os.environ, "OPSBOOK_HOME": str(tmp_path / "state"), "NO_COLOR": "1"}
    env.pop("OPSBOOK_DATABASE_URL", None)

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

    rules = tmp_path / "rules.yml"
    cli("export", "prometheus-rules", str(runbook), "-o", str(rules))
    token = cli(
        "token",
        "create",
        "--name",
        "alertmanager",
        "--role",
        "ingest",
        "-r",
        str(runbook),
        "--json",
    )
    token = json.loads(token)["token"]
    (tmp_path / "prometheus.yml").write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{rules}"]
alerting:
  alertmanagers: [{{static_configs: [{{targets: ["127.0.0.1:{am_port}"]}}]}}]
scrape_configs:
  - job_name: queue
    static_configs: [{{targets: ["127.0.0.1:{target.port}"]}}]
""")
    (tmp_path / "alertmanager.yml").write_text(f"""
route:
  receiver: opsbook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: opsbook
    webhook_configs:
      - url: http://127.0.0.1:{opsbook_port}/api/v1/alertmanager
        send_resolved: true
        http_config: {{authorization: {{type: Bearer, credentials: "{token}"}}}}
""")
    processes.append(
        subprocess.Popen(
            [
                alertmanager,
                f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--storage.path={tmp_path / 'am'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    processes.append(
        subprocess.Popen(
            [
                prometheus,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'prom'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    wait_for(
        "Prometheus to scrape the target",
        lambda: (
            httpx.get(
                f"http://127.0.0.1:{prom_port}/api/v1/query", params={"query": "up{job='queue'}"}
            ).json()["data"]["result"][0]["value"][1]
            == "1"
        ),
    )

    url = f"sqlite:///{tmp_path / 'state' / 'opsbook.db'}"
    with serving_process(runbook, url, port=opsbook_port) as base:
        viewer = json.loads(
            cli("token", "create", "--name", "v", "--role", "viewer", "-r", str(runbook), "--json")
        )["token"]
        headers = {"Authorization": f"Bearer {viewer}"}

        def alerts(state: str) -> list[dict[str, Any]]:
            response = httpx.get(f"{base}/api/v1/alerts", params={"state": state}, headers=headers)
            return [a for a in response.json() if a["origin"] == "alertmanager"]

        target.value = 42
        [firing] = wait_for("a firing alert from Alertmanager", lambda: alerts("firing"))
        assert firing["name"] == "QueueDepth" and firing["severity"] == "warning"
        assert firing["labels"]["metric"] == "queue-depth"
        assert firing["issue"] == "queue-backs-up" and firing["metric"] == "queue-depth"
        assert firing["group_key"] and firing["fingerprint"]
        assert firing["annotations"]["runbook_url"] == (
            f"http://127.0.0.1:{opsbook_port}/troubleshooting/queue-backs-up"
        )

        # opsbook's own prom: source reads the same Prometheus.
        import asyncio

        from opsbook.monitoring.sources.prom import PromSource

        reading = asyncio.run(
            PromSource("q", "max(opsbook_e2e_queue_depth)", f"http://127.0.0.1:{prom_port}").read()
        )
        assert reading.value == 42.0

        target.value = 1
        [resolved] = wait_for("the resolved webhook", lambda: alerts("resolved"))
        assert resolved["id"] == firing["id"] and resolved["ends_at"]
        assert alerts("firing") == []
