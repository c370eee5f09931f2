"""Fixtures for monitoring tests: a real SQLite database and a small runbook."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsbook.runbook.model import Runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database, open_database

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
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'state' / 'opsbook.db'}")
    yield database
    database.dispose()
