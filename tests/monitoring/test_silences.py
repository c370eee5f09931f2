"""Silences by label matcher and recurring maintenance windows, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsbook.monitoring.silences import MatcherError, Silence, parse_matcher, silenced_by
from opsbook.monitoring.windows import WindowError, in_maintenance, parse_window

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)  # a Sunday


def test_silence_mutes_matching_labels_only_while_it_lasts() -> None:
    silence = Silence(
        (parse_matcher('alertname="Disk usage"'), parse_matcher("severity=~warn.*")),
        NOW,
        NOW + timedelta(hours=1),
    )
    labels = {"alertname": "Disk usage", "severity": "warning"}
    assert silenced_by([silence], labels, NOW + timedelta(minutes=5)) is silence
    assert silenced_by([silence], {**labels, "severity": "critical"}, NOW) is None
    assert silenced_by([silence], labels, NOW + timedelta(hours=1)) is None
    assert silenced_by([silence], labels, NOW - timedelta(seconds=1)) is None


def test_negative_matchers() -> None:
    assert parse_matcher("host!=db1").matches({"host": "web1"})
    assert not parse_matcher("host!~db.*").matches({"host": "db2"})


@pytest.mark.parametrize("bad", ["no operator", "=x", "a=~(["])
def test_unreadable_matcher_says_how_to_write_one(bad: str) -> None:
    with pytest.raises(MatcherError, match="matcher"):
        parse_matcher(bad)


def test_sunday_window_holds_only_on_sunday_mornings() -> None:
    window = parse_window("Sundays 02:00-04:00")
    assert in_maintenance((window,), NOW) is window
    assert in_maintenance((window,), NOW + timedelta(hours=1)) is None
    assert in_maintenance((window,), NOW - timedelta(days=1)) is None


def test_window_across_midnight_belongs_to_the_day_it_starts() -> None:
    window = parse_window("Saturdays 23:00-01:00")
    assert window.contains(datetime(2026, 11, 28, 23, 30, tzinfo=UTC))
    assert window.contains(datetime(2026, 11, 29, 0, 30, tzinfo=UTC))
    assert not window.contains(datetime(2026, 11, 30, 0, 30, tzinfo=UTC))


def test_window_in_a_named_zone_and_day_lists() -> None:
    window = parse_window("Mon, Wed and Fri 09:00 to 10:00 Europe/Berlin")
    assert window.contains(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))
    assert not window.contains(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    "bad",
    [
        "Sometimes",
        "Funday 02:00-03:00",
        "Daily 25:00-26:00",
        "Daily 02:00-02:00",
        "Daily 01:00-02:00 Mars/Base",
    ],
)
def test_unreadable_window_is_refused_with_a_hint(bad: str) -> None:
    with pytest.raises(WindowError, match="maintenance window"):
        parse_window(bad)
