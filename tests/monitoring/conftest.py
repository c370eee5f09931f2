"""Fixtures for monitoring tests: real SQLite and PostgreSQL databases and a small runbook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opsbook.runbook.model import Runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database, open_database
from tests.postgres import fresh_schema

RUNBOOK = """---
monitoring:
  interval: 5s
  maintenance_windows: ["Sundays 02:00-04:00"]
notifications:
  email: {host: 127.0.0.1, port: 25, from: opsbook@example.com}
---
# Shop Runbook

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Primary Owner | Ana Ruiz | ana@example.com | Sam Okafor (sam@example.com) |
| Operations Lead | Lena Vogel | lena@example.com | Ana Ruiz (ana@example.com) |

### Key Metrics

- Disk usage: `host:disk_percent:/`
- Items stored: `cmd:echo 7`

## Standard Operating Procedures

### Log Rotation Procedure

**Objective**: Rotate logs

**Steps**:
1. Rotate: `echo rotated`

### Monitoring & Alerting

**Alert Thresholds**:

| Metric | Warning | Critical | For | Action |
|--------|---------|----------|-----|--------|
| Disk usage | > 80 | > 90 | 1 minute | run: Log Rotation Procedure; notify: Operations Lead |
| Items stored | > 100 | > 500 | - | notify: Primary Owner; incident: SEV-2; count the item files |

**Alert Response Time**:
- Critical: 15 minutes
- High: 1 hour
- Medium: 4 hours
- Low: Next business day

## Troubleshooting Guide

### Common Issues

#### Issue: Disk filling up

**Symptoms**:
- The Disk usage alert fires

**Diagnosis Steps**:
1. Look: `df -h`
"""


@pytest.fixture
def runbook(tmp_path: Path) -> Runbook:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(RUNBOOK)
    return parse_runbook(RUNBOOK, str(path))


@pytest.fixture
def pg() -> Iterator[Database]:
    """A database on PostgreSQL in a fresh schema, dropped afterwards."""
    with fresh_schema("monitoring") as url:
        database = open_database(url)
        try:
            yield database
        finally:
            database.dispose()


@pytest.fixture
def runbook_file(tmp_path: Path) -> Path:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(RUNBOOK)
    return path


@pytest.fixture
def app_state(runbook_file: Path, db: Database) -> Any:
    from opsbook.web.runbook_source import RunbookSource
    from opsbook.web.state import AppState

    return AppState(db=db, source=RunbookSource.load(runbook_file, datetime.now(UTC)))


@pytest.fixture
def client(app_state: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from opsbook.web.app import create_app

    with TestClient(create_app(app_state), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def tokens(db: Database) -> dict[str, str]:
    """One bearer header per role, keyed by the role's name."""
    from opsbook.access import service
    from opsbook.access.roles import Role

    made = {}
    for role in Role:
        _, token = service.create_token(
            db, name=f"{role.value}-user", role=role, created_by="test", now=datetime.now(UTC)
        )
        made[role.value] = token
    return made


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def am_alert(
    i: int, status: str = "firing", name: str = "DiskFull", **labels: str
) -> dict[str, Any]:
    """An alert as Alertmanager's webhook sends it."""
    return {
        "status": status,
        "labels": {"alertname": name, "instance": f"host{i}", **labels},
        "annotations": {"summary": f"{name} on host{i}"},
        "startsAt": "2026-11-27T03:00:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-27T03:10:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": f"{i:016x}",
    }


def am_payload(
    alerts: list[dict[str, Any]], status: str = "firing", group: str = '{}:{alertname="DiskFull"}'
) -> dict[str, Any]:
    """A version 4 webhook body."""
    return {
        "version": "4",
        "groupKey": group,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "opsbook",
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am:9093",
        "alerts": alerts,
    }


from tests.notify.conftest import smtp  # noqa: E402, F401 (the SMTP server fixture, shared)
