"""The whole loop on real parts: collect from real commands, evaluate, notify through a real
SMTP server, escalate to the backup, run a procedure once per firing, record an incident."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from opsbook.incidents.guard import ShutdownGuard
from opsbook.monitoring import samples, service
from opsbook.monitoring.actions import AlertActions
from opsbook.monitoring.cycle import MonitoringCycle
from opsbook.monitoring.notices import Notice, NoticeKind
from opsbook.monitoring.settings import monitoring_settings
from opsbook.procedures.stores.tables import RunRow
from opsbook.runbook.model import Runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database
from opsbook.web.alert_runs import EngineStarter
from tests.notify.conftest import Mailbox

TEXT = """---
notifications:
  email: {{host: 127.0.0.1, port: {port}, from: opsbook@example.com}}
  retries: 1
---
# Shop Runbook

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Primary Owner | Ana Ruiz | ana@example.com | Sam Okafor (sam@example.com) |
| Operations Lead | Lena Vogel | lena@example.com | Ana Ruiz (ana@example.com) |

### Key Metrics

- Disk usage: `cmd:cat disk.txt`
- Items stored: `cmd:cat items.txt`

## Standard Operating Procedures

### Log Rotation Procedure

**Objective**: Rotate logs

**Steps**:
1. Rotate: `echo rotated > rotated.txt`

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
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


async def instant(seconds: float) -> None:
    return None


@pytest.fixture
def world(tmp_path: Path, smtp: Mailbox, db: Database) -> tuple[Runbook, Clock, MonitoringCycle]:
    path = tmp_path / "RUNBOOK.md"
    path.write_text(TEXT.format(port=smtp.port))
    (tmp_path / "disk.txt").write_text("50\n")
    (tmp_path / "items.txt").write_text("10\n")
    runbook = parse_runbook(path.read_text(), str(path))
    clock = Clock()
    starter = EngineStarter(db, lambda: runbook, clock, ShutdownGuard(lambda: db))
    actions = AlertActions(db, lambda: runbook, clock, starter=starter, sleep=instant)
    return runbook, clock, MonitoringCycle(db, lambda: runbook, clock, actions)


def cycle_once(runbook: Runbook, cycle: MonitoringCycle) -> list[Notice]:
    async def once() -> list[Notice]:
        notices = await cycle.run_once(runbook, monitoring_settings(runbook.settings))
        starter = cycle.actions.starter
        assert isinstance(starter, EngineStarter)
        if starter.tasks:
            await asyncio.gather(*starter.tasks)
        return notices

    return asyncio.run(once())


def test_items_alert_notifies_by_email_records_incident_and_text(
    world: tuple[Runbook, Clock, MonitoringCycle],
    smtp: Mailbox,
    db: Database,
    tmp_path: Path,
) -> None:
    runbook, clock, cycle = world
    assert cycle_once(runbook, cycle) == []
    (tmp_path / "items.txt").write_text("150\n")
    clock.advance(seconds=30)
    [notice] = cycle_once(runbook, cycle)
    assert notice.kind is NoticeKind.FIRED and notice.severity == "warning"
    [mail] = smtp.to("ana@example.com")
    assert "FIRING warning: Items stored" in mail["subject"]
    assert "Items stored is 150 (warning: > 100)" in mail["body"]
    shown = service.show_alert(db=db, alert_id=notice.alert_id)
    kinds = [e.kind for e in shown.history]
    assert kinds[:2] == ["pending", "firing"] and "notified" in kinds
    details = " | ".join(e.detail for e in shown.history)
    assert "SEV-2" in details and "for people: count the item files" in details
    assert shown.notified_at is not None and shown.notifications[0].ok is True
    # Nothing changes, nothing is sent again: one notification per state change.
    clock.advance(seconds=30)
    assert cycle_once(runbook, cycle) == []
    assert len(smtp.to("ana@example.com")) == 1


def test_unacknowledged_alert_pages_the_backup_once(
    world: tuple[Runbook, Clock, MonitoringCycle],
    smtp: Mailbox,
    db: Database,
    tmp_path: Path,
) -> None:
    runbook, clock, cycle = world
    (tmp_path / "items.txt").write_text("900\n")
    [fired] = cycle_once(runbook, cycle)
    assert fired.severity == "critical"
    clock.advance(minutes=14)
    assert cycle_once(runbook, cycle) == []
    clock.advance(minutes=2)
    [late] = cycle_once(runbook, cycle)
    assert late.kind is NoticeKind.UNACKNOWLEDGED
    [page] = smtp.to("sam@example.com")
    assert "NOT ACKNOWLEDGED" in page["subject"] and "you are the backup" in page["body"]
    clock.advance(hours=2)
    cycle_once(runbook, cycle)
    assert len(smtp.to("sam@example.com")) == 1


def test_acknowledged_alert_does_not_escalate(
    world: tuple[Runbook, Clock, MonitoringCycle],
    smtp: Mailbox,
    db: Database,
    tmp_path: Path,
) -> None:
    runbook, clock, cycle = world
    (tmp_path / "items.txt").write_text("900\n")
    [fired] = cycle_once(runbook, cycle)
    service.acknowledge(db=db, alert_id=fired.alert_id, by="ana", now=clock())
    clock.advance(hours=1)
    assert cycle_once(runbook, cycle) == []
    assert smtp.to("sam@example.com") == []


def test_disk_alert_runs_the_procedure_once_with_the_alert_as_cause(
    world: tuple[Runbook, Clock, MonitoringCycle],
    smtp: Mailbox,
    db: Database,
    tmp_path: Path,
) -> None:
    runbook, clock, cycle = world
    (tmp_path / "disk.txt").write_text("85\n")
    cycle_once(runbook, cycle)
    clock.advance(seconds=30)
    cycle_once(runbook, cycle)
    clock.advance(seconds=30)
    [fired] = cycle_once(runbook, cycle)
    (tmp_path / "disk.txt").write_text("95\n")
    for _ in range(3):
        clock.advance(seconds=30)
        cycle_once(runbook, cycle)
    with db.transaction() as session:
        runs = session.scalars(select(RunRow)).all()
        assert [(r.procedure, r.started_by, r.status) for r in runs] == [
            ("log-rotation", f"alert #{fired.alert_id}", "succeeded")
        ]
    assert (tmp_path / "rotated.txt").read_text() == "rotated\n"
    assert service.show_alert(db=db, alert_id=fired.alert_id).run_id == runs[0].id
    assert smtp.to("lena@example.com")


def test_a_failing_source_is_an_error_reading_and_raises_nothing(
    world: tuple[Runbook, Clock, MonitoringCycle], db: Database, tmp_path: Path
) -> None:
    runbook, clock, cycle = world
    (tmp_path / "items.txt").unlink()
    cycle_once(runbook, cycle)
    status = {
        m.metric: m
        for m in samples.metric_status(db=db, runbook=runbook, now=clock(), stale_after=60)
    }
    assert status["items-stored"].value is None
    assert "status 1" in (status["items-stored"].error or "")
    assert status["disk-usage"].value == 50.0
