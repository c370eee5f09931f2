"""Who is on call, by the rotation's rules, on a clock the tests set: a year of weekly and
daily turns, follow-the-sun, overrides that overlap, daylight saving in two zones, a person
who leaves mid-rotation."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from opsbook.errors import BadInput
from opsbook.oncall.model import Rotation
from opsbook.oncall.schedule import layer_on_call, on_call, schedule
from opsbook.oncall.settings import FieldProblem, field_line, read_rotations

pytestmark = pytest.mark.unit


def _rotation(text: str, name: str = "ops") -> Rotation:
    return read_rotations(yaml.safe_load(text)["oncall"])[name]


def _who(rotation: Rotation, at: datetime, tier: int = 0) -> str:
    found = layer_on_call(rotation, tier, at)
    return found.person.name if found else ""


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


WEEKLY = """
oncall:
  ops:
    zone: Europe/Berlin
    layers:
      - name: primary
        people: [Ana <ana@example.com>, Ben <ben@example.com>, Cy <cy@example.com>]
        length: 1 week
        start: 2026-01-05
        handoff: "09:00"
      - name: secondary
        people: [Cy <cy@example.com>, Ana <ana@example.com>, Ben <ben@example.com>]
        length: 1 week
        start: 2026-01-05
        handoff: "09:00"
"""


def test_a_weekly_rotation_hands_over_every_monday_at_nine_berlin_time_all_year() -> None:
    rotation = _rotation(WEEKLY)
    shifts = [
        s for s in schedule(rotation, _utc(2026, 1, 5), _utc(2027, 1, 4)) if s.layer == "primary"
    ]
    assert [s.person.name for s in shifts[:4]] == ["Ana", "Ben", "Cy", "Ana"]
    for shift in shifts[1:]:
        local = shift.start.astimezone(ZoneInfo("Europe/Berlin"))
        assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    # Winter: 09:00 CET is 08:00 UTC; summer: 09:00 CEST is 07:00 UTC.
    assert _utc(2026, 1, 12, 8) in [s.start for s in shifts]
    assert _utc(2026, 7, 6, 7) in [s.start for s in shifts]
    # The week that holds the spring-forward night is an hour shorter, the autumn one longer.
    lengths = Counter((s.end - s.start) for s in shifts[1:-1])
    assert lengths[timedelta(days=7, hours=-1)] == 1
    assert lengths[timedelta(days=7, hours=1)] == 1
    assert Counter(s.person.name for s in shifts[:51]) == {"Ana": 17, "Ben": 17, "Cy": 17}
    assert _who(rotation, _utc(2026, 1, 12, 7, 59)) == "Ana"
    assert _who(rotation, _utc(2026, 1, 12, 8, 0)) == "Ben"
    assert _who(rotation, _utc(2026, 1, 12, 8, 0), tier=1) == "Ana"


def test_nobody_is_on_call_before_the_rotation_starts() -> None:
    rotation = _rotation(WEEKLY)
    assert on_call(rotation, _utc(2026, 1, 5, 7, 59)) == ()
    assert [o.person.name for o in on_call(rotation, _utc(2026, 1, 5, 8))] == ["Ana", "Cy"]


def test_a_daily_rotation_in_new_york_keeps_its_handoff_across_both_changes() -> None:
    rotation = _rotation(
        """
oncall:
  ny:
    zone: America/New_York
    layers:
      - people: [Dee, Eli]
        length: 1 day
        start: 2026-01-01
        handoff: 8:30
""",
        "ny",
    )
    shifts = schedule(rotation, _utc(2026, 1, 1, 13, 30), _utc(2027, 1, 1, 13, 30))
    assert len(shifts) == 365
    ny = ZoneInfo("America/New_York")
    assert {(s.start.astimezone(ny).hour, s.start.astimezone(ny).minute) for s in shifts} == {
        (8, 30)
    }
    hours = Counter((s.end - s.start) / timedelta(hours=1) for s in shifts)
    assert hours == {24: 363, 23: 1, 25: 1}  # 8 March and 1 November 2026
    assert [s.person.name for s in shifts[:3]] == ["Dee", "Eli", "Dee"]


def test_a_handoff_at_a_time_the_clocks_skip_happens_an_hour_later() -> None:
    rotation = _rotation(
        """
oncall:
  ops:
    zone: Europe/Berlin
    layers:
      - {people: [A, B], length: 1 day, start: 2026-03-28, handoff: "02:30"}
"""
    )
    starts = [s.start for s in schedule(rotation, _utc(2026, 3, 28), _utc(2026, 3, 31))]
    # 29 March 02:30 does not exist in Berlin: the handoff is 03:30 CEST = 01:30 UTC.
    assert _utc(2026, 3, 29, 1, 30) in starts


def test_follow_the_sun_hands_over_between_zones_at_their_own_hours() -> None:
    rotation = _rotation(
        """
oncall:
  sun:
    layers:
      - name: primary
        shifts:
          - {people: [Aki, Bo], length: 1 week, start: 2026-01-05, zone: Asia/Tokyo,
             hours: "08:00-20:00"}
          - {people: [Cam, Dru], length: 1 week, start: 2026-01-05, zone: Europe/London,
             hours: "08:00-20:00"}
          - {people: [Eve], length: 1 week, start: 2026-01-05, zone: America/New_York,
             hours: "08:00-20:00"}
""",
        "sun",
    )
    # 2026-01-07 00:00 UTC is 09:00 in Tokyo: Aki (first week). Where hours overlap, the
    # shift written first has it.
    assert _who(rotation, _utc(2026, 1, 7, 0)) == "Aki"
    assert _who(rotation, _utc(2026, 1, 7, 10, 59)) == "Aki"  # 19:59 Tokyo
    assert _who(rotation, _utc(2026, 1, 7, 11)) == "Cam"  # 20:00 Tokyo, 11:00 London
    assert _who(rotation, _utc(2026, 1, 7, 21)) == "Eve"  # 16:00 New York
    assert _who(rotation, _utc(2026, 1, 14, 12)) == "Dru"  # London's second week
    # 19:30 UTC is 19:30 in London in January (Cam's), 20:30 BST in July (New York's).
    assert _who(rotation, _utc(2026, 1, 7, 19, 30)) == "Cam"
    assert _who(rotation, _utc(2026, 7, 8, 19, 30)) == "Eve"
    day = schedule(rotation, _utc(2026, 1, 7, 0), _utc(2026, 1, 8, 0))
    assert [(s.person.name, s.start.hour) for s in day] == [
        ("Aki", 0),
        ("Cam", 11),
        ("Eve", 20),
        ("Aki", 23),
    ]
    assert day[-1].end == _utc(2026, 1, 8, 0)


def test_overlapping_overrides_the_one_written_last_wins_and_covers_only_its_person() -> None:
    rotation = _rotation(
        WEEKLY
        + """
    overrides:
      - {who: Lee <lee@example.com>, from: 2026-03-02 09:00, to: 2026-03-16 09:00}
      - {who: Max <max@example.com>, from: 2026-03-04 00:00, to: 2026-03-05 00:00}
      - {who: Noa, covers: Ana, from: 2026-03-01, to: 2026-04-01, layer: secondary}
"""
    )
    march = [s for s in schedule(rotation, _utc(2026, 3, 2), _utc(2026, 3, 17))]
    primary = [(s.person.name, s.start, s.covers) for s in march if s.tier == 0]
    assert primary == [
        ("Ben", _utc(2026, 3, 2), ""),
        ("Lee", _utc(2026, 3, 2, 8), "Cy"),
        ("Max", _utc(2026, 3, 3, 23), "Cy"),
        ("Lee", _utc(2026, 3, 4, 23), "Cy"),
        ("Lee", _utc(2026, 3, 9, 8), "Ana"),
        ("Ben", _utc(2026, 3, 16, 8), ""),
    ]
    secondary = [(s.person.name, s.covers) for s in march if s.tier == 1]
    # Secondary turns: Ana (to 2 March), Ben, Cy, Ana (from 16 March); Noa covers only Ana.
    assert secondary == [("Noa", "Ana"), ("Ben", ""), ("Cy", ""), ("Noa", "Ana")]
    found = layer_on_call(rotation, 0, _utc(2026, 3, 4, 12))
    assert found is not None and "by an override covering Cy" in found.why


def test_a_person_who_leaves_mid_rotation_is_skipped_without_rewriting_the_past() -> None:
    before = _rotation(WEEKLY)
    after = _rotation(
        WEEKLY.replace(
            "people: [Ana <ana@example.com>, Ben <ben@example.com>, Cy <cy@example.com>]",
            "people: [Ana <ana@example.com>, {name: Ben <ben@example.com>, until: 2026-06-01},"
            " Cy <cy@example.com>]",
        )
    )
    year = (_utc(2026, 1, 5), _utc(2027, 1, 4))
    old = [s for s in schedule(before, *year) if s.tier == 0]
    new = [s for s in schedule(after, *year) if s.tier == 0]
    cut = next(i for i, s in enumerate(old) if s.start >= _utc(2026, 6, 1))
    assert [s.person.name for s in new[:cut]] == [s.person.name for s in old[:cut]]
    rest = [s.person.name for s in new[cut:]]
    assert "Ben" not in rest
    # The turns after alternate Ana and Cy, nobody twice in a row.
    assert all(a != b for a, b in itertools.pairwise(rest))


def test_a_layer_where_nobody_is_on_call_is_left_out() -> None:
    rotation = _rotation(
        """
oncall:
  ops:
    layers:
      - {people: [A], length: 1 day, start: 2026-01-01, hours: "09:00-17:00"}
      - {people: [B], length: 1 week, start: 2026-01-01}
"""
    )
    night = on_call(rotation, _utc(2026, 2, 1, 3))
    assert [(o.layer, o.person.name) for o in night] == [("secondary", "B")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"length": "1 fortnight"}, "oncall.ops.layers[0].length"),
        ({"zone": "Mars/Olympus"}, "oncall.ops.layers[0].zone"),
        ({"lenght": "1 week"}, "oncall.ops.layers[0].lenght"),
        ({"start": "next monday"}, "oncall.ops.layers[0].start"),
        ({"handoff": "25:00"}, "oncall.ops.layers[0].handoff"),
        ({"people": []}, "oncall.ops.layers[0].people"),
        ({"length": "10 minutes"}, "oncall.ops.layers[0].length"),
    ],
)
def test_a_wrong_value_names_its_field(change: dict[str, Any], field: str) -> None:
    layer: dict[str, Any] = {"people": ["A"], "length": "1 week", "start": "2026-01-05"}
    layer.update(change)
    with pytest.raises(FieldProblem) as caught:
        read_rotations({"ops": {"layers": [layer]}})
    assert caught.value.field == field
    assert isinstance(caught.value, BadInput) and f"`{field}`" in str(caught.value)


def test_an_override_ending_before_it_starts_or_naming_no_layer_is_refused() -> None:
    base = yaml.safe_load(WEEKLY)["oncall"]
    base["ops"]["overrides"] = [{"who": "X", "from": "2026-03-02", "to": "2026-03-01"}]
    with pytest.raises(FieldProblem, match=r"overrides\[0\]\.to"):
        read_rotations(base)
    base["ops"]["overrides"] = [
        {"who": "X", "from": "2026-03-01", "to": "2026-03-02", "layer": "tertiary"}
    ]
    with pytest.raises(FieldProblem, match="layers: primary, secondary"):
        read_rotations(base)


def test_the_line_of_a_field_is_found_in_the_front_matter() -> None:
    text = "---\ntitle: x\n" + WEEKLY.lstrip("\n") + "---\n# Runbook\n"
    lines = text.splitlines()
    at = field_line(text, "oncall.ops.layers[1].length")
    assert at is not None and lines[at - 1].strip() == "length: 1 week"
    assert at > text.splitlines().index("      - name: secondary")
    at = field_line(text, "oncall.ops.zone")
    assert at is not None and "Europe/Berlin" in lines[at - 1]
    assert field_line("# no front matter\n", "oncall.ops") is None


def test_names_without_an_address_take_the_emergency_contacts_one() -> None:
    rotation = read_rotations(
        {"ops": {"layers": [{"people": ["Ana Ruiz"], "length": "1 week", "start": "2026-01-05"}]}},
        {"ana ruiz": "ana.ruiz@example.com"},
    )["ops"]
    assert rotation.layers[0].patterns[0].people[0].address == "ana.ruiz@example.com"


def test_a_person_who_joins_takes_their_turn_in_list_order_from_then_on() -> None:
    rotation = _rotation(
        """
oncall:
  ops:
    layers:
      - people: [Ana, {name: Ben, since: 2026-01-26}, Cy]
        length: 1 week
        start: 2026-01-05
"""
    )
    shifts = schedule(rotation, _utc(2026, 1, 5), _utc(2026, 3, 2))
    # Ana, Cy, Ana until Ben joins on 26 January; then the turn after Ana is Ben's.
    assert [s.person.name for s in shifts] == ["Ana", "Cy", "Ana", "Ben", "Cy", "Ana", "Ben", "Cy"]
