"""Alertmanager groups take the runbook's actions: matched to a threshold row (or a route by
severity), one page per group listing its alerts, escalation to the backup, silences and
maintenance windows, and a resolved group marks its incident mitigated. Real SQLite, real
SMTP server, the worker's own job queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.incidents import service as incidents
from opsbook.incidents.alerts import IncidentOpener
from opsbook.incidents.views import IncidentDetailView
from opsbook.monitoring import service
from opsbook.monitoring.actions import AlertActions
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.monitoring.groups import GROUP_JOB, GroupActions
from opsbook.runbook.model import Runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database
from opsbook.worker.queue import claim
from tests.monitoring.conftest import am_alert, am_payload
from tests.notify.conftest import Mailbox

TEXT = """---
notifications:
  email: {{host: 127.0.0.1, port: {port}, from: opsbook@example.com}}
  retries: 1
{extra}
---
# Shop Runbook

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Primary Owner | Ana Ruiz | ana@example.com | Sam Okafor (sam@example.com) |
| Operations Lead | Lena Vogel | lena@example.com | Ana Ruiz (ana@example.com) |

### Key Metrics

- **Items stored**: items in the store — `prom:sum(items_stored)`
- Queue depth: `prom:max(queue_depth)`

## Standard Operating Procedures

### Monitoring & Alerting

**Alert Thresholds**:

| Metric | Warning | Critical | For | Action |
|--------|---------|----------|-----|--------|
| Items stored | > 100 | > 500 | - | notify: Primary Owner; incident: SEV-2 |
| Queue depth | > 10 | > 100 | - | notify: Operations Lead |

**Alert Response Time**:
- Critical: 15 minutes
- High: 1 hour
- Medium: 4 hours
- Low: Next business day

## Troubleshooting Guide

### Common Issues

#### Issue: Queue backs up

**Symptoms**:
- The Queue depth alert fires
"""
ROUTES = """alert_routes:
  critical: {notify: Operations Lead, incident: SEV-3}"""
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class World:
    def __init__(self, db: Database, runbook: Runbook) -> None:
        self.db, self.runbook, self.now = db, runbook, START
        opener = IncidentOpener(db, lambda: runbook)

        async def instant(seconds: float) -> None:
            return None

        self.actions = AlertActions(
            db, lambda: runbook, self.clock, incidents=opener, sleep=instant
        )
        self.groups = GroupActions(db, lambda: runbook, self.clock, self.actions)

    def clock(self) -> datetime:
        return self.now

    def post(self, alerts: list[dict[str, Any]], status: str = "firing", group: str = "g") -> None:
        payload = AmPayload.model_validate(am_payload(alerts, status, group=group))
        service.ingest_alertmanager(db=self.db, payload=payload, runbook=self.runbook, now=self.now)

    def work(self) -> int:
        """Run every queued group job as the server's worker would; return how many."""
        jobs = claim(self.db, worker="test", now=self.now, limit=100)

        async def run() -> None:
            for job in jobs:
                assert job.kind == GROUP_JOB
                await self.groups.handle(job)

        asyncio.run(run())
        return len(jobs)

    def escalate(self) -> None:
        notices = service.due_escalations(db=self.db, runbook=self.runbook, now=self.now)

        async def run() -> None:
            for notice in notices:
                await self.actions.handle(notice)

        asyncio.run(run())


def world(tmp_path: Path, smtp: Mailbox, db: Database, extra: str = "") -> World:
    text = TEXT.format(port=smtp.port, extra=extra)
    path = tmp_path / "RUNBOOK.md"
    path.write_text(text)
    return World(db, parse_runbook(text, str(path)))


def items(i: int, status: str = "firing") -> dict[str, Any]:
    return am_alert(i, status, name="ItemsStored", severity="critical")


def only_incident(db: Database) -> IncidentDetailView:
    [listed] = incidents.list_incidents(db=db).items
    return incidents.show_incident(db=db, incident_id=listed.id)


def test_a_group_of_a_threshold_row_pages_once_opens_its_incident_and_escalates(
    tmp_path: Path, smtp: Mailbox, database: Database
) -> None:
    db = database  # SQLite, then PostgreSQL
    w = world(tmp_path, smtp, db)
    w.post([items(1), items(2), items(3)])
    assert w.work() == 1
    [page] = smtp.messages
    assert page["rcpt"] == ["ana@example.com"]
    assert "FIRING critical: ItemsStored" in page["subject"]
    assert "3 alerts firing" in page["body"]
    assert all(f"ItemsStored on host{i}" in page["body"] for i in (1, 2, 3))
    incident = only_incident(db)
    assert incident.severity == "SEV-2" and incident.status == "detected"

    w.post([items(1), items(2), items(3)])  # Alertmanager repeats the group: nothing new
    assert w.work() == 0
    w.post([items(1), items(2), items(3), items(4)])  # one more joins the group's page
    assert w.work() == 1
    assert len(smtp.messages) == 1
    [fourth] = service.list_alerts(db=db, text="host4").items
    joined = service.show_alert(db=db, alert_id=fourth.id).history
    assert any(line.kind == "grouped" for line in joined)

    w.now += timedelta(minutes=14)
    w.escalate()
    assert len(smtp.messages) == 1
    w.now += timedelta(minutes=2)  # past the Critical response time: the backup is paged
    w.escalate()
    assert [m["rcpt"] for m in smtp.messages[1:]] == [["sam@example.com"]]
    assert "NOT ACKNOWLEDGED" in smtp.messages[1]["subject"]
    w.escalate()  # once
    assert len(smtp.messages) == 2

    w.post([items(i, "resolved") for i in (1, 2, 3, 4)], "resolved")
    assert w.work() == 1
    assert "RESOLVED" in smtp.messages[-1]["subject"]
    assert only_incident(db).status == "mitigated"
    assert {a.state for a in service.list_alerts(db=db).items} == {"resolved"}


def test_an_alert_linked_to_an_issue_takes_the_row_of_the_issues_metric(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db)
    alert = am_alert(1, name="Backlog", runbook_url="https://ops/troubleshooting/queue-backs-up")
    w.post([alert])
    w.work()
    assert [m["rcpt"] for m in smtp.messages] == [["lena@example.com"]]


def test_an_exported_rule_pointing_at_a_metric_chart_takes_its_row(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db)
    w.post([am_alert(1, name="Odd", runbook_url="http://127.0.0.1:8080/monitoring#m-queue-depth")])
    w.work()
    assert [m["rcpt"] for m in smtp.messages] == [["lena@example.com"]]


def test_an_unmatched_alert_follows_the_route_of_its_severity(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db, ROUTES)
    w.post([am_alert(1, name="Mystery", severity="critical")], group="a")
    w.post([am_alert(2, name="Whatever", severity="warning")], group="b")
    assert w.work() == 2
    [page] = smtp.messages
    assert page["rcpt"] == ["lena@example.com"] and "Mystery" in page["subject"]
    assert only_incident(db).severity == "SEV-3"
    [mystery] = service.list_alerts(db=db, text="Mystery").items
    history = service.show_alert(db=db, alert_id=mystery.id).history
    assert any("alert_routes.critical" in line.detail for line in history)


def test_an_unmatched_alert_without_a_route_pages_nobody(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db)
    w.post([am_alert(1, name="Mystery", severity="critical")])
    assert w.work() == 1
    assert smtp.messages == [] and incidents.list_incidents(db=db).items == ()


def test_a_silenced_group_is_recorded_not_paged(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db)
    service.add_silence(
        db=db, matchers=['alertname="ItemsStored"'], duration=3600, by="ana", comment="", now=w.now
    )
    w.post([items(1)])
    w.work()
    assert smtp.messages == []
    [alert] = service.list_alerts(db=db).items
    history = service.show_alert(db=db, alert_id=alert.id).history
    assert any(line.kind == "not notified" and "silence" in line.detail for line in history)


def test_a_group_in_a_maintenance_window_is_recorded_not_paged(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db, 'monitoring: {maintenance_windows: ["Fridays 09:00-11:00"]}')
    w.post([items(1)])  # 27 November 2026 is a Friday, 10:00 UTC
    w.work()
    assert smtp.messages == []
    [alert] = service.list_alerts(db=db).items
    assert alert.in_maintenance


def test_prom_rules_prometheus_leaves_prom_thresholds_to_prometheus(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    from opsbook.monitoring.settings import SettingsError, monitoring_settings
    from opsbook.monitoring.sources.base import Reading

    w = world(tmp_path, smtp, db, "monitoring: {prom_rules: prometheus}")
    settings = monitoring_settings(w.runbook.settings)
    readings = {"items-stored": Reading("items-stored", {"value": 900.0})}
    notices = service.evaluate_rules(
        db=db,
        runbook=w.runbook,
        readings=readings,
        windows=(),
        now=w.now,
        skip_kinds=settings.skip_kinds,
    )
    assert notices == [] and service.list_alerts(db=db).items == ()
    fired = service.evaluate_rules(
        db=db, runbook=w.runbook, readings=readings, windows=(), now=w.now
    )
    assert [n.name for n in fired] == ["Items stored"]
    with pytest.raises(SettingsError, match=r"monitoring\.prom_rules"):
        monitoring_settings({"monitoring": {"prom_rules": "both"}})


def test_the_most_urgent_alert_carries_the_page_and_sets_the_response_time(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db)
    warning = am_alert(1, name="QueueDepth", severity="warning")
    critical = am_alert(2, name="QueueDepth", severity="critical")
    w.post([warning, critical])
    w.work()
    [page] = smtp.messages
    assert page["rcpt"] == ["lena@example.com"]
    assert "FIRING critical: QueueDepth" in page["subject"]
    w.now += timedelta(minutes=16)  # past Critical (15 minutes), long before Medium (4 hours)
    w.escalate()
    assert [m["rcpt"] for m in smtp.messages[1:]] == [["ana@example.com"]]


def test_an_alert_that_resolved_before_the_worker_came_to_it_pages_nobody(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db)
    w.post([items(1)])
    w.post([items(1, "resolved")], "resolved")
    assert w.work() == 2
    assert smtp.messages == [] and incidents.list_incidents(db=db).items == ()


def test_a_single_alert_resolved_says_what_it_said_when_it_fired(
    tmp_path: Path, smtp: Mailbox, db: Database
) -> None:
    w = world(tmp_path, smtp, db)
    w.post([items(1)])
    w.work()
    w.post([items(1, "resolved")], "resolved")
    w.work()
    assert "RESOLVED" in smtp.messages[1]["subject"]
    assert "ItemsStored is resolved (it said: ItemsStored on host1)" in smtp.messages[1]["body"]
