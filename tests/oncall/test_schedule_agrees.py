"""Whatever the rotation, the schedule and "who is on call at this instant" agree: each
layer's shifts never overlap, and the shift holding an instant names whom `on_call` names."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from opsbook.oncall.schedule import layer_on_call, schedule
from opsbook.oncall.settings import read_rotations

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
LENGTHS = ("1 hour", "5 hours", "12 hours", "1 day", "3 days", "1 week", "2 weeks")


@st.composite
def rotations(draw: st.DrawFn) -> dict[str, object]:
    def pattern() -> dict[str, object]:
        spec: dict[str, object] = {
            "people": draw(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=4)),
            "length": draw(st.sampled_from(LENGTHS)),
            "start": f"2026-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d} "
            f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from(['00', '30']))}",
            "zone": draw(st.sampled_from(ZONES)),
        }
        if draw(st.booleans()):
            spec["hours"] = f"{draw(st.integers(0, 23)):02d}:00-{draw(st.integers(0, 23)):02d}:30"
        return spec

    layers: list[dict[str, object]] = []
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            layers.append({"shifts": [pattern() for _ in range(draw(st.integers(1, 3)))]})
        else:
            layers.append(pattern())
    overrides = [
        {
            "who": draw(st.sampled_from("XYZ")),
            "from": f"2026-{month:02d}-10 0{draw(st.integers(0, 9))}:00",
            "to": f"2026-{month:02d}-{draw(st.integers(11, 20))} 12:00",
            **({"covers": draw(st.sampled_from("ABC"))} if draw(st.booleans()) else {}),
        }
        for month in draw(st.lists(st.integers(1, 12), max_size=3))
    ]
    return {"r": {"layers": layers, "overrides": overrides}}


@settings(max_examples=60, deadline=None)
@given(
    raw=rotations(),
    offset=st.integers(0, 300 * 24),
    probes=st.lists(st.integers(0, 20 * 24 * 60 - 1), min_size=1, max_size=8),
)
def test_the_schedule_and_the_instant_agree(
    raw: dict[str, object], offset: int, probes: list[int]
) -> None:
    rotation = read_rotations(raw)["r"]
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=offset)
    end = start + timedelta(days=20)
    shifts = schedule(rotation, start, end)
    for tier in range(len(rotation.layers)):
        mine = [s for s in shifts if s.tier == tier]
        assert all(a.end <= b.start for a, b in itertools.pairwise(mine))
        assert all(s.start < s.end for s in mine)
    for minutes in probes:
        moment = start + timedelta(minutes=minutes)
        for tier in range(len(rotation.layers)):
            held = [s for s in shifts if s.tier == tier and s.start <= moment < s.end]
            found = layer_on_call(rotation, tier, moment)
            assert len(held) <= 1
            assert (held[0].person if held else None) == (found.person if found else None)
