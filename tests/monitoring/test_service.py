"""Monitoring use cases on a real SQLite database with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsbook.monitoring import samples, service
from opsbook.monitoring.lifecycle import TransitionRefused
from opsbook.monitoring.notices import NoticeKind
from opsbook.monitoring.settings import monitoring_settings
from opsbook.monitoring.sources.base import Reading
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday


def disk(value: float | None, error: str | None = None) -> dict[str, Reading]:
    values = {} if value is None else {"value": value}
    return {"disk-usage": Reading("disk-usage", values, error)}


def step(db: Database, runbook: Runbook, value: float | None, at: datetime) -> list[NoticeKind]:
    windows = monitoring_settings(runbook.settings).windows
    notices = service.evaluate_rules(
        db=db, runbook=runbook, readings=disk(value), windows=windows, now=at
    )
    return [n.kind for n in notices]


def test_disk_alert_goes_pending_firing_resolved_with_history(
    db: Database, runbook: Runbook
) -> None:
    assert step(db, runbook, 85, T0) == []
    [alert] = service.list_alerts(db=db, state="open").items
    assert alert.state == "pending" and alert.issue == "disk-filling-up"
    assert step(db, runbook, 86, T0 + timedelta(seconds=30)) == []
    assert step(db, runbook, 87, T0 + timedelta(seconds=60)) == [NoticeKind.FIRED]
    assert step(db, runbook, 87, T0 + timedelta(seconds=90)) == []
    assert step(db, runbook, 40, T0 + timedelta(seconds=120)) == [NoticeKind.RESOLVED]
    shown = service.show_alert(db=db, alert_id=alert.id)
    assert shown.state == "resolved" and shown.ends_at is not None
    assert [e.kind for e in shown.history] == ["pending", "firing", "resolved"]
    assert shown.history[0].detail == "over the line; fires after 1 min held"


def test_a_pending_alert_over_its_critical_line_is_critical_and_says_so(
    db: Database, runbook: Runbook
) -> None:
    step(db, runbook, 85, T0)
    [alert] = service.list_alerts(db=db, state="open").items
    assert (alert.state, alert.severity) == ("pending", "warning")
    assert alert.summary == "Disk usage is 85 (warning: > 80)"
    step(db, runbook, 100, T0 + timedelta(seconds=30))
    [alert] = service.list_alerts(db=db, state="open").items
    assert (alert.state, alert.severity) == ("pending", "critical")
    assert alert.summary == "Disk usage is 100 (critical: > 90)"
    assert alert.labels["severity"] == "critical"


def test_rule_state_survives_a_new_database_connection(db: Database, runbook: Runbook) -> None:
    step(db, runbook, 85, T0)
    again = Database(db.url, db.engine, db.sessions)
    assert step(again, runbook, 85, T0 + timedelta(seconds=60)) == [NoticeKind.FIRED]


def test_failed_reading_keeps_the_alert_and_shows_as_error(db: Database, runbook: Runbook) -> None:
    step(db, runbook, 95, T0)
    assert step(db, runbook, 95, T0 + timedelta(seconds=60)) == [NoticeKind.FIRED]
    assert (
        service.evaluate_rules(
            db=db,
            runbook=runbook,
            readings=disk(None, "boom"),
            windows=(),
            now=T0 + timedelta(seconds=90),
        )
        == []
    )
    samples.record_readings(
        db=db,
        readings=[Reading("disk-usage", error="boom")],
        now=T0 + timedelta(seconds=90),
        retention=3600,
    )
    [status] = [
        m
        for m in samples.metric_status(
            db=db, runbook=runbook, now=T0 + timedelta(seconds=95), stale_after=60
        )
        if m.metric == "disk-usage"
    ]
    assert status.value is None and status.error == "boom" and not status.stale
    assert service.list_alerts(db=db, state="firing").items[0].severity == "critical"


def test_acknowledge_then_no_escalation_and_refusals_say_why(
    db: Database, runbook: Runbook
) -> None:
    step(db, runbook, 85, T0)
    [alert] = service.list_alerts(db=db).items
    with pytest.raises(TransitionRefused, match="pending"):
        service.acknowledge(db=db, alert_id=alert.id, by="ana", now=T0)
    step(db, runbook, 85, T0 + timedelta(seconds=60))
    service.mark_notified(db=db, alert_id=alert.id, now=T0 + timedelta(seconds=60))
    acked = service.acknowledge(db=db, alert_id=alert.id, by="ana", now=T0 + timedelta(seconds=70))
    assert acked.state == "acknowledged" and acked.acknowledged_by == "ana"
    later = T0 + timedelta(hours=5)
    assert service.due_escalations(db=db, runbook=runbook, now=later) == []


def test_unacknowledged_warning_escalates_once_after_its_response_time(
    db: Database, runbook: Runbook
) -> None:
    step(db, runbook, 85, T0)
    step(db, runbook, 85, T0 + timedelta(seconds=60))
    [alert] = service.list_alerts(db=db).items
    service.mark_notified(db=db, alert_id=alert.id, now=T0 + timedelta(seconds=60))
    # warning -> the Medium response time: 4 hours.
    assert service.due_escalations(db=db, runbook=runbook, now=T0 + timedelta(hours=3)) == []
    due = service.due_escalations(db=db, runbook=runbook, now=T0 + timedelta(hours=4, minutes=2))
    assert [n.kind for n in due] == [NoticeKind.UNACKNOWLEDGED]
    assert due[0].rule is not None and due[0].rule.metric == "Disk usage"
    assert service.due_escalations(db=db, runbook=runbook, now=T0 + timedelta(hours=9)) == []


def test_silence_mutes_matching_alerts_and_they_fire_again_when_it_ends(
    db: Database, runbook: Runbook
) -> None:
    step(db, runbook, 85, T0)
    step(db, runbook, 85, T0 + timedelta(seconds=60))
    result = service.add_silence(
        db=db,
        matchers=['alertname="Disk usage"'],
        duration=3600,
        by="ana",
        comment="resizing",
        now=T0 + timedelta(seconds=61),
    )
    assert len(result.silenced_alerts) == 1
    assert service.list_alerts(db=db).items[0].state == "silenced"
    assert service.end_silences(db=db, now=T0 + timedelta(minutes=30)) == []
    back = service.end_silences(db=db, now=T0 + timedelta(hours=2))
    assert [n.kind for n in back] == [NoticeKind.FIRED]
    assert service.list_alerts(db=db).items[0].state == "firing"


def test_alert_firing_under_a_silence_is_recorded_but_muted(db: Database, runbook: Runbook) -> None:
    service.add_silence(
        db=db, matchers=["metric=disk-usage"], duration=3600, by="ana", comment="", now=T0
    )
    step(db, runbook, 95, T0)
    notices = service.evaluate_rules(
        db=db, runbook=runbook, readings=disk(95), windows=(), now=T0 + timedelta(seconds=60)
    )
    assert notices[0].kind is NoticeKind.FIRED and "silence" in (notices[0].muted or "")


def test_alert_in_a_maintenance_window_is_recorded_not_notified(
    db: Database, runbook: Runbook
) -> None:
    sunday = datetime(2026, 11, 29, 2, 30, tzinfo=UTC)
    windows = monitoring_settings(runbook.settings).windows
    service.evaluate_rules(db=db, runbook=runbook, readings=disk(95), windows=windows, now=sunday)
    [notice] = service.evaluate_rules(
        db=db,
        runbook=runbook,
        readings=disk(95),
        windows=windows,
        now=sunday + timedelta(minutes=1),
    )
    assert notice.muted == "maintenance window Sundays 02:00-04:00"
    assert service.list_alerts(db=db).items[0].in_maintenance is True


def test_samples_past_retention_are_deleted(db: Database) -> None:
    for minutes in range(10):
        samples.record_readings(
            db=db,
            readings=[Reading("cpu", {"value": float(minutes)})],
            now=T0 + timedelta(minutes=minutes),
            retention=300,
        )
    points = samples.series(db=db, metric="cpu", since=T0 - timedelta(hours=1))
    assert [v for _, v in points] == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]


def test_search_finds_alerts_by_name_and_state(db: Database, runbook: Runbook) -> None:
    step(db, runbook, 85, T0)
    assert len(service.list_alerts(db=db, text="disk").items) == 1
    assert service.list_alerts(db=db, text="memory").items == ()
    assert service.list_alerts(db=db, state="resolved").items == ()


def test_an_alert_that_fired_muted_also_resolves_muted(db: Database, runbook: Runbook) -> None:
    service.add_silence(
        db=db, matchers=["metric=disk-usage"], duration=3600, by="ana", comment="", now=T0
    )
    step(db, runbook, 95, T0)
    step(db, runbook, 95, T0 + timedelta(seconds=60))
    [resolved] = service.evaluate_rules(
        db=db, runbook=runbook, readings=disk(10), windows=(), now=T0 + timedelta(seconds=90)
    )
    assert resolved.kind is NoticeKind.RESOLVED and "silence" in (resolved.muted or "")


def test_one_sample_charts_over_the_last_hour_not_over_years() -> None:
    until = T0.timestamp()
    assert samples.chart_span((until - 5,), until) == (until - 3600, until)
    assert samples.chart_span((), until) == (until - 3600, until)
    six_hours = (until - 6 * 3600, until - 60)
    assert samples.chart_span(six_hours, until) == (until - 6 * 3600, until)
    pending = samples.chart_span((until,), until, fires_at=until + 600)
    assert pending == (until - 3600, until + 600)


def test_a_series_carries_the_hold_and_when_its_alert_went_pending_and_fired(
    db: Database, runbook: Runbook
) -> None:
    for seconds, value in ((0, 95), (30, 95), (60, 95)):
        at = T0 + timedelta(seconds=seconds)
        samples.record_readings(db=db, readings=list(disk(value).values()), now=at, retention=1e6)
        step(db, runbook, value, at)
    shown = samples.metric_series(
        db=db,
        runbook=runbook,
        metric_id="disk-usage",
        since=T0 - timedelta(hours=6),
        until=T0 + timedelta(seconds=60),
    )
    assert shown.hold == 60 and (shown.warning, shown.critical) == (80, 90)
    assert shown.pending == (T0.timestamp(),)
    assert shown.fired == ((T0 + timedelta(seconds=60)).timestamp(),)
    assert (shown.start, shown.end) == (T0.timestamp() + 60 - 3600, T0.timestamp() + 60)


def test_a_pending_alerts_chart_runs_on_to_when_it_would_fire(
    db: Database, runbook: Runbook
) -> None:
    samples.record_readings(db=db, readings=list(disk(95).values()), now=T0, retention=1e6)
    step(db, runbook, 95, T0)
    shown = samples.metric_series(
        db=db, runbook=runbook, metric_id="disk-usage", since=T0 - timedelta(hours=6), until=T0
    )
    assert shown.pending == (T0.timestamp(),) and shown.fired == ()
    assert (shown.start, shown.end) == (T0.timestamp() - 3600, T0.timestamp() + 60)
