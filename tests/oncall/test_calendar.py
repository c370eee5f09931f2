"""The iCalendar text written by hand reads back with a real iCalendar library: long
lines folded, commas, semicolons and non-ASCII names escaped, times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from opsbook.oncall.calendar import calendar_text, uid
from opsbook.oncall.views import ShiftView

pytestmark = pytest.mark.unit


def test_an_awkward_name_folds_and_escapes_and_reads_back() -> None:
    name = "Zoë Ødegård-Łukasiewicz, Jr.; the 🌙 night owl " + "ü" * 40
    shift = ShiftView(
        "ops",
        "primary",
        0,
        name,
        "zoe@example.com",
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 4, 5, 7, 0, tzinfo=UTC),
        "Ana",
    )
    text = calendar_text("On call: ops", [shift], datetime(2026, 3, 1, tzinfo=UTC))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert text.endswith("END:VCALENDAR\r\n") and "\n" not in text.replace("\r\n", "")
    (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event.get("SUMMARY")) == f"On call: {name} (ops primary)"
    assert "override, covering Ana" in str(event.get("DESCRIPTION"))
    assert event.decoded("DTSTART") == shift.start and event.decoded("DTEND") == shift.end
    assert str(event.get("UID")) == uid(shift)


def test_a_shift_keeps_its_uid_and_another_gets_another() -> None:
    at = datetime(2026, 3, 2, 8, tzinfo=UTC)
    one = ShiftView("ops", "primary", 0, "Ana", "", at, at, "")
    assert uid(one) == uid(ShiftView("ops", "primary", 0, "Ana", "", at, at.replace(hour=9), ""))
    assert uid(one) != uid(ShiftView("ops", "primary", 0, "Ben", "", at, at, ""))
