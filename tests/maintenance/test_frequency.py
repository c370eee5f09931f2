"""A year of schedules on a fake clock, across daylight-saving changes in two zones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from opsbook.errors import BadInput
from opsbook.maintenance.frequency import due_times, next_due, parse_frequency
from opsbook.runbook.durations import parse_schedule

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _walk(text: str, zone: str = "UTC") -> list[datetime]:
    """Step a fake clock through the year by next_due, as the scheduler does."""
    frequency = parse_frequency(text, zone=zone)
    out, moment = [], YEAR_START
    while True:
        due = next_due(frequency, moment)
        if due is None or due > YEAR_END:
            return out
        out.append(due)
        moment = due


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK])
def test_daily_at_three_stays_at_three_local_all_year(zone: ZoneInfo) -> None:
    times = _walk(f"Daily at 03:00 {zone.key}")
    assert len(times) == 365
    assert {t.astimezone(zone).strftime("%H:%M") for t in times} == {"03:00"}
    gaps = {(b - a) for a, b in itertools.pairwise(times)}
    # Two days of the year are 23 and 25 hours long; the rest 24.
    assert gaps == {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}
    assert all(t.tzinfo is UTC for t in times)


def test_same_walk_as_listing_the_year() -> None:
    frequency = parse_frequency("Daily at 03:00", zone="America/New_York")
    assert list(due_times(frequency, YEAR_START, YEAR_END)) == _walk(
        "Daily at 03:00 America/New_York"
    )


def test_wall_time_skipped_by_spring_forward_is_due_once_an_hour_on() -> None:
    times = _walk("Daily at 02:30", zone="America/New_York")
    march_8 = [t for t in times if t.astimezone(NEW_YORK).date().isoformat() == "2026-03-08"]
    assert len(march_8) == 1
    assert march_8[0] == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT
    assert march_8[0].astimezone(NEW_YORK).strftime("%H:%M") == "03:30"


def test_wall_time_repeated_by_fall_back_is_due_once_at_its_first() -> None:
    times = _walk("Daily at 02:30 Europe/Berlin")
    october_25 = [t for t in times if t.astimezone(BERLIN).date().isoformat() == "2026-10-25"]
    assert october_25 == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]  # 02:30 CEST, not CET
    times = _walk("Daily at 01:30 America/New_York")
    november_1 = [t for t in times if t.astimezone(NEW_YORK).date().isoformat() == "2026-11-01"]
    assert november_1 == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT


def test_hourly_cron_in_a_zone_runs_each_wall_hour_once_and_never_twice() -> None:
    frequency = parse_frequency("0 * * * *", zone="Europe/Berlin")
    spring = list(
        due_times(
            frequency, datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 4, tzinfo=UTC)
        )
    )
    assert len(spring) == len(set(spring))
    assert spring == sorted(spring)
    # 02:00 does not exist that night: 01:00, then 03:00 CEST (= 01:00 UTC), ...
    assert [t.astimezone(BERLIN).strftime("%H") for t in spring] == [
        "00",
        "01",
        "03",
        "04",
        "05",
        "06",
    ]


def test_every_six_hours_is_elapsed_time_across_daylight_saving() -> None:
    times = _walk("Every 6 hours Europe/Berlin")
    assert len(times) == 4 * 365 - 1  # from 06:00 on 1 January to 18:00 on 31 December
    assert {b - a for a, b in itertools.pairwise(times)} == {timedelta(hours=6)}


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_monthly_on_the_first_is_midnight_local_twelve_times(zone: str) -> None:
    times = _walk("Monthly on the 1st", zone=zone)
    local = [t.astimezone(ZoneInfo(zone)) for t in times]
    if zone == "Europe/Berlin":  # 1 January 00:00 CET is 31 December 23:00 UTC
        assert [t.month for t in local] == [*range(2, 13), 1]
    else:  # 1 January 00:00 EST is 05:00 UTC, within the year
        assert [t.month for t in local] == list(range(1, 13))
    assert {(t.day, t.hour, t.minute) for t in local} == {(1, 0, 0)}


def test_weekly_and_weekly_on_a_day() -> None:
    mondays = _walk("Weekly")
    assert len(mondays) == 52 and {t.weekday() for t in mondays} == {0}
    sundays = _walk("Weekly on Sunday at 03:00 America/New_York")
    assert {t.astimezone(NEW_YORK).weekday() for t in sundays} == {6}
    assert {t.astimezone(NEW_YORK).hour for t in sundays} == {3}


def test_as_needed_is_never_due() -> None:
    frequency = parse_frequency("As needed")
    assert frequency.as_needed
    assert next_due(frequency, YEAR_START) is None
    assert list(due_times(frequency, YEAR_START, YEAR_END)) == []


def test_next_due_is_strictly_after() -> None:
    frequency = parse_frequency("0 3 * * *")
    at_three = datetime(2026, 5, 1, 3, tzinfo=UTC)
    assert next_due(frequency, at_three) == at_three + timedelta(days=1)
    assert next_due(frequency, at_three - timedelta(seconds=1)) == at_three


def test_annual_on_a_date_and_quarterly() -> None:
    assert _walk("Annual on March 15th") == [datetime(2026, 3, 15, tzinfo=UTC)]
    # Strictly after the walk's start, 1 January 00:00 UTC itself.
    assert [t.month for t in _walk("Quarterly")] == [4, 7, 10]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Sometimes", "cannot read"),
        ("Daily at 25:00", "not a time of day"),
        ("Daily Mars/Olympus", "unknown time zone"),
        ("61 * * * *", "not a valid cron"),
        ("Monthly on the 40th", "cannot read"),
    ],
)
def test_bad_frequency_is_bad_input_naming_it(text: str, words: str) -> None:
    with pytest.raises(BadInput, match=words):
        parse_frequency(text)


@pytest.mark.parametrize(
    "text", ["Monthly on the 1st", "Daily at 03:00 Europe/Berlin", "Weekly on Sunday at 03:00"]
)
def test_runbook_parser_accepts_the_calendar_forms(text: str) -> None:
    schedule = parse_schedule(text)
    assert schedule is not None and schedule.text == text
