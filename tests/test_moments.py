"""Times as people read them: relative, exact, never raw ISO; the clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from opsbook.moments import aware, exact, relative, short, span

NOW = datetime(2026, 12, 2, 13, 44, 5, 123456, tzinfo=UTC)


def test_spans_read_in_their_largest_unit() -> None:
    assert span(5) == "5 s"
    assert span(-240) == "4 min"
    assert span(7500) == "2 h 5 min"
    assert span(7200) == "2 h"
    assert (span(86400), span(3 * 86400)) == ("1 day", "3 days")


def test_past_times_read_ago_and_future_ones_in() -> None:
    assert relative(NOW - timedelta(minutes=4, seconds=10), NOW) == "4 min ago"
    assert relative(NOW + timedelta(minutes=11, seconds=2), NOW) == "in 11 min"
    assert relative(NOW - timedelta(seconds=10), NOW) == "just now"
    assert relative(NOW - timedelta(days=30), NOW) == "on 2026-11-02"


def test_a_deadline_that_passed_reads_overdue() -> None:
    assert relative(NOW - timedelta(minutes=3), NOW, due=True) == "overdue by 3 min"
    assert relative(NOW + timedelta(seconds=20), NOW, due=True) == "in 20 s"


def test_exact_times_are_to_the_second_and_name_their_zone() -> None:
    assert exact(NOW) == "2026-12-02 13:44:05 UTC"
    paris = timezone(timedelta(hours=1), "CET")
    assert exact(NOW, paris) == "2026-12-02 14:44:05 CET"
    assert "123456" not in exact(NOW) and "T13" not in exact(NOW)


def test_naive_and_iso_text_are_taken_as_utc() -> None:
    assert aware("2026-12-02T13:44:05") == datetime(2026, 12, 2, 13, 44, 5, tzinfo=UTC)
    assert aware(datetime(2026, 12, 2)).tzinfo is UTC


def test_table_times_show_the_clock_today_and_the_date_before() -> None:
    assert short(NOW - timedelta(minutes=4), NOW) == "13:40"
    assert short(aware("2026-11-30T08:00:00+00:00"), NOW) == "Nov 30 08:00"
    assert short(datetime(2025, 1, 5, 8, 0, tzinfo=UTC), NOW) == "2025-01-05 08:00"
    paris = timezone(timedelta(hours=1), "CET")
    assert short(NOW, NOW, paris) == "14:44"
