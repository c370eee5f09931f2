"""Fixtures for monitoring tests: real SQLite and PostgreSQL databases and a small runbook."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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


URL = "/api/v1/alertmanager"


@dataclass
class Served:
    """The real app over one database, with a bearer header per role."""

    client: Any
    db: Database
    headers: dict[str, dict[str, str]]
    app: Any

    @property
    def ingest(self) -> dict[str, str]:
        return self.headers["ingest"]

    @property
    def viewer(self) -> dict[str, str]:
        return self.headers["viewer"]

    @property
    def operator(self) -> dict[str, str]:
        return self.headers["operator"]

    def post(self, body: dict[str, Any] | bytes) -> dict[str, Any]:
        """Post a webhook body; return its JSON answer, which must be 200."""
        if isinstance(body, bytes):
            headers = {**self.ingest, "Content-Type": "application/json"}
            response = self.client.post(URL, content=body, headers=headers)
        else:
            response = self.client.post(URL, json=body, headers=self.ingest)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def alerts(self) -> dict[str, dict[str, Any]]:
        """Return the stored alerts by fingerprint, after reading every face that shows them."""
        for path in ("/", "/alerts", "/alerts?state=all"):
            assert self.client.get(path, headers=self.viewer).status_code == 200, path
        listed = self.client.get("/api/v1/alerts?limit=1000", headers=self.viewer)
        assert listed.status_code == 200, listed.text
        rows: dict[str, dict[str, Any]] = {a["fingerprint"]: a for a in listed.json()}
        for row in rows.values():
            one = self.client.get(f"/api/v1/alerts/{row['id']}", headers=self.viewer)
            assert one.status_code == 200, one.text
            assert self.client.get(f"/alerts/{row['id']}", headers=self.viewer).status_code == 200
        return rows


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, runbook_file: Path) -> Iterator[Served]:
    """The real app on SQLite, then on PostgreSQL, through FastAPI's TestClient."""
    from fastapi.testclient import TestClient

    from opsbook.access import service as access
    from opsbook.access.roles import Role
    from opsbook.web.app import create_app
    from opsbook.web.runbook_source import RunbookSource
    from opsbook.web.state import AppState

    db: Database = request.getfixturevalue("db" if request.param == "sqlite" else "pg")
    now = datetime.now(UTC)
    headers = {}
    for role in Role:
        name = f"{role.value}-user"
        _, token = access.create_token(db, name=name, role=role, created_by="t", now=now)
        headers[role.value] = bearer(token)
    state = AppState(db=db, source=RunbookSource.load(runbook_file, now))
    app = create_app(state)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield Served(client, db, headers, app)


from tests.notify.conftest import smtp  # noqa: E402, F401 (the SMTP server fixture, shared)
