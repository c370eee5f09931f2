"""The alert loop, closed, on real parts: a rule `opsbook export prometheus-rules` wrote fires
in Debian's Prometheus, Debian's Alertmanager delivers it to a real `opsbook serve` (with its
worker), and opsbook notifies the row's contact by SMTP (aiosmtpd), opens the incident the
row names, pages the backup when nobody acknowledges within the Alert Response Time, and
marks the incident mitigated when Prometheus stops firing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.prom_stack import prepare, processes, token, wait_for
from tests.monitoring.live import serving_process
from tests.notify.conftest import Mailbox, smtp

pytestmark = pytest.mark.e2e
__all__ = ["processes", "smtp"]  # fixtures, used by name

RUNBOOK = """---
prometheus_url: http://127.0.0.1:{prom_port}
dashboard_url: http://127.0.0.1:{opsbook_port}
monitoring: {{interval: 1s, prom_rules: prometheus}}
notifications:
  email: {{host: 127.0.0.1, port: {smtp_port}, from: opsbook@example.com}}
  retries: 1
---
# Queue Runbook

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Primary On-Call | Ana Ruiz | ana@example.com | Sam Okafor (sam@example.com) |

### Key Metrics

- **Queue depth**: jobs waiting — `prom:max(opsbook_e2e_loop_depth)`

## Standard Operating Procedures

### Monitoring & Alerting

**Alert Thresholds**:

| Metric | Warning | Critical | For | Action |
|--------|---------|----------|-----|--------|
| Queue depth | > 10 | > 100 | - | notify: Primary On-Call; incident: SEV-2 |

**Alert Response Time**:
- Critical: 4 seconds
- High: 4 seconds
- Medium: 4 seconds
- Low: 4 seconds

## Troubleshooting Guide

### Common Issues

#### Issue: Queue backs up

**Symptoms**:
- The Queue depth alert fires
"""


def test_an_exported_rule_pages_opens_escalates_and_mitigates(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]], smtp: Mailbox
) -> None:
    ready = prepare(
        tmp_path,
        "opsbook_e2e_loop_depth",
        lambda stack, port: RUNBOOK.format(
            prom_port=stack.prom_port, opsbook_port=port, smtp_port=smtp.port
        ),
    )
    ready.stack.start(processes)
    target, cli, runbook = ready.stack.target, ready.cli, ready.runbook

    def pages(subject: str, to: str = "ana@example.com") -> list[dict[str, Any]]:
        return [m for m in smtp.to(to) if subject in m["subject"]]

    with serving_process(runbook, ready.database_url, worker=True, port=ready.opsbook_port) as base:
        headers = {"Authorization": f"Bearer {token(cli, runbook, 'viewer')}"}

        def get(path: str, **params: str) -> Any:
            return httpx.get(f"{base}{path}", params=params, headers=headers).json()

        # Over both lines: Prometheus fires the warning and the critical rule, one group.
        target.value = 150
        [page] = wait_for("the page to the primary", lambda: pages("FIRING"))
        # Both alerts come in one notification as a rule: then the page is critical.
        assert page["subject"] in (
            "[Queue Runbook] FIRING critical: QueueDepth",
            "[Queue Runbook] FIRING warning: QueueDepth",
        )
        assert "Troubleshooting: queue-backs-up" in page["body"]
        firing = get("/api/v1/alerts", state="firing")
        assert {a["name"] for a in firing} == {"QueueDepth"}
        assert {a["origin"] for a in firing} == {"alertmanager"}  # opsbook leaves prom: to it

        [incident] = wait_for("the incident", lambda: get("/api/v1/incidents"))
        assert incident["severity"] == "SEV-2" and incident["status"] == "detected"
        assert incident["title"].startswith("QueueDepth")

        # Nobody acknowledges within the 4 s response time: the backup is paged, once.
        [backup] = wait_for(
            "the page to the backup", lambda: pages("NOT ACKNOWLEDGED", "sam@example.com")
        )
        assert "you are the backup" in backup["body"]

        target.value = 1
        wait_for("the resolved page", lambda: pages("RESOLVED"))
        [mitigated] = wait_for(
            "the incident marked mitigated",
            lambda: [i for i in get("/api/v1/incidents") if i["status"] == "mitigated"],
        )
        assert mitigated["id"] == incident["id"]
        assert get("/api/v1/alerts", state="firing") == []
        assert len(pages("FIRING")) == 1  # one page for the group, not one per alert
        assert len(pages("NOT ACKNOWLEDGED", "sam@example.com")) == 1
