"""Overdue tasks raise alerts through monitoring; a success (done, a ping) resolves them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsbook.errors import BadInput
from opsbook.maintenance import service
from opsbook.maintenance.overdue import ALERT_NAME, check_overdue
from opsbook.maintenance.tasks import TaskSpec, task_specs
from opsbook.monitoring.ingest import GROUP_JOB
from opsbook.monitoring.service import list_alerts
from opsbook.runbook.model import Runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database
from opsbook.worker.queue import counts

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TEXT = """---
maintenance:
  grace: 2h
---
# Demo

## Maintenance Procedures

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due | Grace |
|------|-----------|-------|----------------|----------|-------|
| Backup offsite copy | Daily at 01:00 | ops | | | 30m |
| Nightly export | Every 6 hours | ci | | | |
| Security patches | As needed | ops | | | |
"""


def _book(tmp_path: Path) -> tuple[Runbook, list[TaskSpec]]:
    book = parse_runbook(TEXT, str(tmp_path / "RUNBOOK.md"))
    return book, task_specs(book)


def _open_alerts(db: Database) -> dict[str, str]:
    page = list_alerts(db=db, state="open")
    return {a.labels["task"]: a.summary for a in page.items if a.name == ALERT_NAME}


def test_grace_from_column_and_front_matter(tmp_path: Path) -> None:
    _, specs = _book(tmp_path)
    assert [s.grace_seconds for s in specs] == [1800, 7200, 7200]


def test_overdue_raises_one_alert_and_done_resolves_it(database: Database, tmp_path: Path) -> None:
    book, specs = _book(tmp_path)
    backup = specs[0]
    assert check_overdue(db=database, runbook=book, specs=specs, now=T0).raised == ()
    # Due at 01:00 on 2 June; within its 30 minutes of grace it is due, not overdue.
    at_0120 = datetime(2026, 6, 2, 1, 20, tzinfo=UTC)
    (view, *_) = service.list_tasks(db=database, specs=specs, now=at_0120)
    assert view.standing == "due"
    assert (
        backup.key not in check_overdue(db=database, runbook=book, specs=specs, now=at_0120).raised
    )
    at_0131 = datetime(2026, 6, 2, 1, 31, tzinfo=UTC)
    assert check_overdue(db=database, runbook=book, specs=specs, now=at_0131).raised == (
        backup.key,
    )
    # Checked again (by this worker or another), it is not raised twice.
    assert check_overdue(db=database, runbook=book, specs=specs, now=at_0131).raised == ()
    alerts = _open_alerts(database)
    assert sorted(alerts) == [backup.key, "nightly-export"]  # never pinged: overdue since 20:00
    assert "Backup offsite copy" in alerts[backup.key] and "overdue" in alerts[backup.key]
    assert counts(database).get("queued", 0) >= 1  # the runbook's actions are queued

    service.mark_done(db=database, spec=backup, actor="ana", now=at_0131 + timedelta(hours=1))
    result = check_overdue(db=database, runbook=book, specs=specs, now=at_0131 + timedelta(hours=1))
    assert result.resolved == (backup.key,)
    assert list(_open_alerts(database)) == ["nightly-export"]


def test_heartbeat_success_within_period_and_grace_keeps_it_ok(
    database: Database, tmp_path: Path
) -> None:
    book, specs = _book(tmp_path)
    export = specs[1]
    service.sync_tasks(db=database, specs=specs, now=T0)
    for hours in (5, 11, 17):
        now = T0 + timedelta(hours=hours)
        service.ping(db=database, spec=export, kind="start", now=now)
        service.ping(db=database, spec=export, kind="success", exit_status=0, now=now)
        assert (
            export.key not in check_overdue(db=database, runbook=book, specs=specs, now=now).raised
        )
    # A failing run (exit status 3) is no success: 6 h + 2 h grace after 17:00 it is overdue.
    service.ping(db=database, spec=export, kind="fail", exit_status=3, now=T0 + timedelta(hours=23))
    views = {
        v.key: v for v in service.list_tasks(db=database, specs=specs, now=T0 + timedelta(hours=24))
    }
    assert views[export.key].last_outcome == "failed"
    late = T0 + timedelta(hours=25, minutes=1)
    assert export.key in check_overdue(db=database, runbook=book, specs=specs, now=late).raised
    runs = service.history(db=database, task=export.key)
    assert [r.state for r in runs[:2]] == ["failed", "succeeded"]
    assert runs[0].exit_status == 3


def test_as_needed_is_never_overdue(database: Database, tmp_path: Path) -> None:
    book, specs = _book(tmp_path)
    far = T0 + timedelta(days=400)
    views = service.list_tasks(db=database, specs=specs, now=far)
    assert views[2].standing == "as needed" and views[2].next_due is None
    assert specs[2].key not in check_overdue(db=database, runbook=book, specs=specs, now=far).raised


def test_ping_of_an_unknown_kind_is_bad_input(database: Database, tmp_path: Path) -> None:
    _, specs = _book(tmp_path)
    with pytest.raises(BadInput, match="ping kind"):
        service.ping(db=database, spec=specs[1], kind="finished", now=T0)


def test_group_job_is_the_monitoring_one() -> None:
    assert GROUP_JOB == "alertmanager group"


def test_warning_days_that_are_not_a_number_name_the_line(tmp_path: Path) -> None:
    text = TEXT.replace("| Grace |", "| Grace | Warning Days |").replace(
        "|-------|\n", "|-------|---|\n"
    )
    text = text.replace("| 30m |", "| 30m | soon |")
    with pytest.raises(BadInput, match=r'RUNBOOK.md:13: warning days "soon" is not a number'):
        task_specs(parse_runbook(text, str(tmp_path / "RUNBOOK.md")))


def test_a_failed_run_raises_one_alert_naming_what_it_found_until_a_success(
    database: Database, tmp_path: Path
) -> None:
    from opsbook.maintenance.completion import complete
    from opsbook.maintenance.failures import ALERT_NAME as FAILED

    book, specs = _book(tmp_path)
    export = specs[1]
    found = 'CRITICAL: 2.0 days left: leaf "old.example" at https://old.example/'
    for hours in (1, 7):  # two failures in a row: one alert
        now = T0 + timedelta(hours=hours)
        run = service.ping(db=database, spec=export, kind="fail", detail=found, now=now)
        complete(db=database, runbook=book, spec=export, run=run, actor="ci", now=now)
    failing = [a for a in list_alerts(db=database, state="open").items if a.name == FAILED]
    assert len(failing) == 1
    assert failing[0].severity == "critical" and found in failing[0].summary
    assert failing[0].labels["task"] == export.key

    now = T0 + timedelta(hours=8)
    run = service.ping(db=database, spec=export, kind="success", now=now)
    complete(
        db=database, runbook=book, spec=export, run=run, actor="ci", now=now, update_runbook=False
    )
    assert [a for a in list_alerts(db=database, state="open").items if a.name == FAILED] == []
