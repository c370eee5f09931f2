"""The one transition helper the three state machines share (runs, alerts, incidents)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import pytest

from opsbook import transitions
from opsbook.errors import ErrorKind, Refused
from opsbook.incidents import lifecycle as incidents
from opsbook.monitoring import lifecycle as alerts
from opsbook.procedures import engine as runs
from opsbook.transitions import TransitionRefused, TransitionTable


class Light(StrEnum):
    OFF = "dark"
    ON = "lit"
    BROKEN = "broken"


class Press(StrEnum):
    SWITCH_ON = "switch on"
    SWITCH_OFF = "switch off"
    BREAK = "break"


LIGHTS = TransitionTable(
    "lamp",
    {
        Light.OFF: {Press.SWITCH_ON: Light.ON, Press.BREAK: Light.BROKEN},
        Light.ON: {Press.SWITCH_OFF: Light.OFF, Press.BREAK: Light.BROKEN},
    },
)


def test_an_allowed_event_leads_where_the_table_says() -> None:
    assert transitions.apply(LIGHTS, Light.OFF, Press.SWITCH_ON) is Light.ON
    assert transitions.apply(LIGHTS, Light.ON, Press.SWITCH_OFF) is Light.OFF


def test_a_refusal_is_a_refused_domain_error_naming_what_the_state_allows() -> None:
    with pytest.raises(TransitionRefused) as refused:
        transitions.apply(LIGHTS, Light.ON, Press.SWITCH_ON)
    assert isinstance(refused.value, Refused) and refused.value.kind is ErrorKind.REFUSED
    assert str(refused.value) == "a lit lamp cannot switch on (it can: switch off, break)"


def test_a_state_with_no_moves_refuses_everything_and_says_so() -> None:
    with pytest.raises(TransitionRefused, match=r"broken lamp cannot switch on \(it can: nothing"):
        transitions.apply(LIGHTS, Light.BROKEN, Press.SWITCH_ON)


def test_a_machine_explains_a_refusal_in_its_own_words_else_the_general_ones() -> None:
    def explain(state: Light, event: Press) -> str | None:
        return "a broken lamp stays broken" if state is Light.BROKEN else None

    table = TransitionTable("lamp", LIGHTS.moves, explain)
    with pytest.raises(TransitionRefused, match=r"^a broken lamp stays broken$"):
        transitions.apply(table, Light.BROKEN, Press.SWITCH_ON)
    with pytest.raises(TransitionRefused, match=r"^a dark lamp cannot switch off"):
        transitions.apply(table, Light.OFF, Press.SWITCH_OFF)


def test_sources_and_target_are_read_from_the_table() -> None:
    assert LIGHTS.sources(Press.BREAK) == {Light.OFF, Light.ON}
    assert LIGHTS.sources(Press.SWITCH_OFF) == {Light.ON}
    assert LIGHTS.target(Press.BREAK) is Light.BROKEN
    assert LIGHTS.allows(Light.ON, Press.BREAK) and not LIGHTS.allows(Light.BROKEN, Press.BREAK)


MACHINES = [
    (runs.RUNS, runs.apply, runs.RunStatus, runs.Event),
    (alerts.ALERTS, alerts.apply, alerts.AlertState, alerts.AlertEvent),
    (incidents.INCIDENTS, incidents.apply, incidents.Status, incidents.Event),
]


@pytest.mark.parametrize(("table", "apply", "states", "events"), MACHINES)
def test_every_machine_refuses_through_the_one_helper_and_always_says_why(
    table: TransitionTable[StrEnum, StrEnum],
    apply: Callable[[Any, Any], Any],
    states: type[StrEnum],
    events: type[StrEnum],
) -> None:
    for state, event in itertools.product(states, events):
        if table.allows(state, event):
            assert apply(state, event) is table.moves[state][event]
            continue
        with pytest.raises(TransitionRefused) as refused:
            apply(state, event)
        assert isinstance(refused.value, Refused) and str(refused.value)


def test_the_three_machines_raise_the_same_refusal() -> None:
    assert runs.TransitionRefused is alerts.TransitionRefused is incidents.TransitionRefused
    assert runs.TransitionRefused is TransitionRefused
