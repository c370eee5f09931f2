"""Threshold rules with a fake clock: hold durations, levels, resolve, one change each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opsbook.monitoring.rules import Change, Level, Track, evaluate, level_of, shown_level
from opsbook.runbook.model import AlertRule, Threshold

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
DISK = AlertRule("Disk usage", Threshold(">", 80), Threshold(">", 90), for_seconds=60)


def feed(rule: AlertRule, values: list[float | None], step: float = 30) -> list[Change | None]:
    track, changes = Track(), []
    for i, value in enumerate(values):
        outcome = evaluate(rule, track, value, T0 + timedelta(seconds=step * i))
        track = outcome.track
        changes.append(outcome.change)
    return changes


def test_levels_follow_the_runbook_comparisons() -> None:
    assert level_of(DISK, 50) is Level.OK
    assert level_of(DISK, 85) is Level.WARNING
    assert level_of(DISK, 90) is Level.WARNING
    assert level_of(DISK, 90.5) is Level.CRITICAL
    health = AlertRule("Service health", None, Threshold("<", 1))
    assert level_of(health, 0) is Level.CRITICAL
    assert level_of(health, 1) is Level.OK


def test_value_over_the_line_is_pending_until_it_held_for_the_duration() -> None:
    assert feed(DISK, [85, 85, 85, 85]) == [Change.PENDING, None, Change.FIRED, None]


def test_fires_critical_only_after_critical_held_for_the_duration() -> None:
    changes = feed(DISK, [85, 85, 85, 95, 95, 95])
    assert changes == [Change.PENDING, None, Change.FIRED, None, None, Change.ESCALATED]


def test_resolves_as_soon_as_the_value_is_back_under() -> None:
    assert feed(DISK, [85, 85, 85, 40, 40]) == [
        Change.PENDING,
        None,
        Change.FIRED,
        Change.RESOLVED,
        None,
    ]


def test_flapping_value_never_fires_and_notifies_no_storm() -> None:
    changes = feed(DISK, [85, 40] * 20)
    assert Change.FIRED not in changes
    fired = feed(DISK, [85, 85, 85] + [85, 40, 85] * 5)
    assert fired.count(Change.FIRED) == 1


def test_a_failed_reading_changes_nothing_and_is_not_a_zero() -> None:
    health = AlertRule("Service health", None, Threshold("<", 1), for_seconds=0)
    assert feed(health, [None, None]) == [None, None]
    assert feed(health, [0, None, None, 1]) == [Change.FIRED, None, None, Change.RESOLVED]


def test_zero_hold_fires_at_once_and_each_change_is_reported_once() -> None:
    rule = AlertRule("cpu", Threshold(">", 80), Threshold(">", 95))
    assert feed(rule, [99, 99, 85, 85, 10]) == [
        Change.FIRED,
        None,
        Change.DEESCALATED,
        None,
        Change.RESOLVED,
    ]


def test_pending_that_drops_back_is_cleared_without_firing() -> None:
    assert feed(DISK, [85, 40]) == [Change.PENDING, Change.CLEARED]


def test_a_pending_value_over_the_critical_line_shows_critical() -> None:
    outcome = evaluate(DISK, Track(), 100, T0)
    assert outcome.change is Change.PENDING and outcome.level is Level.OK
    assert shown_level(DISK, outcome.track) is Level.CRITICAL
    assert shown_level(DISK, evaluate(DISK, Track(), 85, T0).track) is Level.WARNING


def test_a_warning_alert_over_the_critical_line_shows_critical_before_it_escalates() -> None:
    track = Track()
    for i, value in enumerate([85, 85, 85, 95]):
        track = evaluate(DISK, track, value, T0 + timedelta(seconds=30 * i)).track
    assert track.firing is Level.WARNING
    assert shown_level(DISK, track) is Level.CRITICAL


def test_a_failed_reading_keeps_the_shown_level_of_the_firing_alert() -> None:
    firing = Track(T0, T0, Level.CRITICAL, None)
    assert shown_level(DISK, firing) is Level.CRITICAL
    assert shown_level(DISK, Track()) is Level.OK
