"""Real Prometheus and Alertmanager (Debian's packages) talking to a real opsbook server.

Prometheus scrapes a test target and evaluates the rules `opsbook export prometheus-rules`
wrote; Alertmanager sends its webhooks, with an ingest token, to opsbook's receiver; opsbook's
own `prom:` source queries the same Prometheus. Everything runs on free loopback ports with
temporary data directories.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from opsbook.monitoring.sources.prom import PromSource
from tests.e2e.prom_stack import prepare, processes, token, wait_for
from tests.monitoring.live import serving_process

pytestmark = pytest.mark.e2e
__all__ = ["processes"]  # the fixture, used by name

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


def test_alertmanager_webhooks_reach_opsbook_and_resolve(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    ready = prepare(
        tmp_path,
        "opsbook_e2e_queue_depth",
        lambda stack, port: RUNBOOK.format(prom_port=stack.prom_port, opsbook_port=port),
    )
    ready.stack.start(processes)
    target, cli, runbook = ready.stack.target, ready.cli, ready.runbook
    prom_port, opsbook_port = ready.stack.prom_port, ready.opsbook_port

    with serving_process(runbook, ready.database_url, port=opsbook_port) as base:
        viewer = token(cli, runbook, "viewer")
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
        reading = asyncio.run(
            PromSource("q", "max(opsbook_e2e_queue_depth)", f"http://127.0.0.1:{prom_port}").read()
        )
        assert reading.value == 42.0

        target.value = 1
        [resolved] = wait_for("the resolved webhook", lambda: alerts("resolved"))
        assert resolved["id"] == firing["id"] and resolved["ends_at"]
        assert alerts("firing") == []
