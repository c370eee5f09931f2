"""The alert state machine: allowed transitions and the reason a refused one gives."""

from __future__ import annotations

import pytest

from opsbook.monitoring.lifecycle import AlertEvent, AlertState, TransitionRefused, apply


def test_alert_goes_pending_firing_acknowledged_resolved() -> None:
    state = AlertState.PENDING
    for event in (AlertEvent.FIRE, AlertEvent.ACKNOWLEDGE, AlertEvent.RESOLVE):
        state = apply(state, event)
    assert state is AlertState.RESOLVED


def test_silenced_alert_fires_again_when_the_silence_ends() -> None:
    state = apply(apply(AlertState.FIRING, AlertEvent.SILENCE), AlertEvent.UNSILENCE)
    assert state is AlertState.FIRING


def test_acknowledging_a_pending_alert_is_refused_with_the_reason() -> None:
    with pytest.raises(TransitionRefused, match="still pending"):
        apply(AlertState.PENDING, AlertEvent.ACKNOWLEDGE)


def test_resolved_alert_is_final() -> None:
    for event in AlertEvent:
        with pytest.raises(TransitionRefused, match="already resolved"):
            apply(AlertState.RESOLVED, event)


def test_acknowledging_twice_says_it_is_already_acknowledged() -> None:
    with pytest.raises(TransitionRefused, match="already acknowledged"):
        apply(AlertState.ACKNOWLEDGED, AlertEvent.ACKNOWLEDGE)
