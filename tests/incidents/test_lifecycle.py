"""Every transition of the incident state machine, allowed or refused with a reason."""

from __future__ import annotations

import itertools

import pytest

from opsbook.incidents.lifecycle import (
    OPEN,
    TRANSITIONS,
    Event,
    Status,
    TransitionRefused,
    apply,
    is_open,
)
from opsbook.incidents.phases import phase_name, progress
from opsbook.runbook.model import Runbook

ALLOWED = {
    (Status.DETECTED, Event.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.DETECTED, Event.MITIGATE): Status.MITIGATED,
    (Status.DETECTED, Event.RESOLVE): Status.RESOLVED,
    (Status.ACKNOWLEDGED, Event.MITIGATE): Status.MITIGATED,
    (Status.ACKNOWLEDGED, Event.RESOLVE): Status.RESOLVED,
    (Status.MITIGATED, Event.RESOLVE): Status.RESOLVED,
    (Status.RESOLVED, Event.CLOSE): Status.CLOSED,
}


@pytest.mark.parametrize(("status", "event"), list(itertools.product(Status, Event)))
def test_every_pair_is_allowed_exactly_as_the_table_says(status: Status, event: Event) -> None:
    expected = ALLOWED.get((status, event))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            apply(status, event)
        assert str(refused.value)  # a refusal always says why
    else:
        assert apply(status, event) is expected


def test_the_table_has_no_way_back_from_resolved_or_closed() -> None:
    for status in (Status.RESOLVED, Status.CLOSED):
        assert all(target not in OPEN for target in TRANSITIONS[status].values())


def test_acknowledging_a_resolved_incident_says_it_does_not_reopen() -> None:
    with pytest.raises(TransitionRefused, match=r"already resolved.*does not reopen"):
        apply(Status.RESOLVED, Event.ACKNOWLEDGE)


def test_ack_and_resolve_at_the_same_moment_end_resolved_in_either_order() -> None:
    # Order 1: ack first, then resolve.
    first = apply(apply(Status.DETECTED, Event.ACKNOWLEDGE), Event.RESOLVE)
    # Order 2: resolve first; the ack is refused and changes nothing.
    second = apply(Status.DETECTED, Event.RESOLVE)
    with pytest.raises(TransitionRefused):
        apply(second, Event.ACKNOWLEDGE)
    assert first is second is Status.RESOLVED
    assert not is_open(first)


def test_closing_an_open_incident_names_what_is_missing() -> None:
    with pytest.raises(TransitionRefused, match="only a resolved incident can be closed"):
        apply(Status.ACKNOWLEDGED, Event.CLOSE)


def test_phases_follow_the_status_through_the_template_process() -> None:
    book = Runbook()
    assert phase_name(book, Status.DETECTED) == "Detect & Assess"
    assert phase_name(book, Status.ACKNOWLEDGED) == "Respond & Mitigate"
    assert phase_name(book, Status.MITIGATED) == "Resolve & Verify"
    assert phase_name(book, Status.RESOLVED) == "Post-Mortem"
    states = [p.state for p in progress(book, Status.MITIGATED)]
    assert states == ["done", "done", "current", "next"]
    assert {p.state for p in progress(book, Status.CLOSED)} == {"done"}
