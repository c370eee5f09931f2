"""A person's answer to an inconclusive gate: first answer wins; unanswered, it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsbook.deploy.decisions import ask_person, decide, decision_state, list_decisions
from opsbook.errors import NotFound, Refused
from opsbook.store.database import Database

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _ask(db: Database) -> int:
    view = ask_person(
        db=db,
        run_id=7,
        step="prerequisites:2",
        gate="Error rate < 1 for 300s",
        reason="no reading at 12:00:00: Prometheus did not answer",
        now=T0,
        within=timedelta(minutes=30),
    )
    assert view.state == "open" and view.expires_at == T0 + timedelta(minutes=30)
    return view.id


def test_the_first_answer_wins_and_is_kept_with_who_and_when(database: Database) -> None:
    ident = _ask(database)
    assert [v.id for v in list_decisions(db=database, open_only=True)] == [ident]
    later = T0 + timedelta(minutes=2)
    view = decide(
        db=database, decision_id=ident, let_pass=True, actor="sam", note="metrics lag", now=later
    )
    assert (view.state, view.decided_by, view.decided_at, view.note) == (
        "passed",
        "sam",
        later,
        "metrics lag",
    )
    with pytest.raises(Refused, match="cannot stop"):
        decide(db=database, decision_id=ident, let_pass=False, actor="ana", note="", now=later)
    assert list_decisions(db=database, open_only=True) == []
    assert decision_state(db=database, decision_id=ident, now=later).state == "passed"
    with pytest.raises(NotFound):
        decision_state(db=database, decision_id=ident + 100, now=later)


def test_an_unanswered_question_expires_and_stops_the_gate(database: Database) -> None:
    ident = _ask(database)
    assert decision_state(db=database, decision_id=ident, now=T0).state == "open"
    expired = decision_state(db=database, decision_id=ident, now=T0 + timedelta(minutes=31))
    assert expired.state == "expired" and expired.decided_by is None
    with pytest.raises(Refused):
        decide(db=database, decision_id=ident, let_pass=True, actor="sam", note="", now=T0)
