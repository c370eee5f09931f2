"""People's answers to a gate: the first answer wins; unanswered, it expires; approvals by
N distinct holders of a role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsbook.deploy.approvers import holders, may_approve
from opsbook.deploy.decisions import ask_person, decide, decision_state, list_decisions
from opsbook.deploy.views import DecisionView
from opsbook.errors import BadInput, Conflict, Forbidden, NotFound, Refused
from opsbook.runbook.parser import parse_runbook
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


BOOK = """# Demo

## Quick Reference

### Emergency Contacts

| Role | Name | Contact | Backup |
|------|------|---------|--------|
| Operations Lead | Lena Vogel | lena.vogel@example.com | Ana Ruiz (ana.ruiz@example.com) |
| Primary Owner | Sam Okafor | sam@example.com | |
"""


def test_holders_of_a_role_are_its_row_and_backup_by_name_address_or_local_part() -> None:
    book = parse_runbook(BOOK, "/srv/RUNBOOK.md")
    allowed = holders(book, "operations lead")
    for name in ("Lena Vogel", "lena.vogel", "LENA.VOGEL@example.com", "ana.ruiz", "Ana Ruiz"):
        assert may_approve(allowed, name), name
    assert not may_approve(allowed, "sam") and not may_approve(allowed, "lena")
    assert may_approve(frozenset(), "anyone")
    with pytest.raises(BadInput, match='no role "CTO"'):
        holders(book, "CTO")


def test_two_approvals_of_a_role_from_distinct_holders_pass_the_gate(database: Database) -> None:
    book = parse_runbook(BOOK, "/srv/RUNBOOK.md")
    asked = ask_person(
        db=database,
        run_id=3,
        step="prerequisites:4",
        gate="2 approvals of Operations Lead",
        reason="approval asked",
        now=T0,
        within=timedelta(hours=1),
        needed=2,
        role="Operations Lead",
        allowed=holders(book, "Operations Lead"),
    )

    def approve(actor: str) -> DecisionView:
        return decide(
            db=database, decision_id=asked.id, let_pass=True, actor=actor, note="", now=T0
        )

    with pytest.raises(Forbidden, match='sam does not hold the role "Operations Lead"'):
        approve("sam")
    first = approve("lena.vogel")
    assert (first.state, first.approved_by) == ("open", ("lena.vogel",))
    with pytest.raises(Conflict, match=r"approved gate decision \d+ already"):
        approve("lena.vogel")
    done = approve("ana.ruiz")
    assert (done.state, done.decided_by, done.approved_by) == (
        "passed",
        "lena.vogel, ana.ruiz",
        ("lena.vogel", "ana.ruiz"),
    )
    shown = decision_state(db=database, decision_id=asked.id, now=T0)
    assert shown.approved_by == ("lena.vogel", "ana.ruiz") and shown.needed == 2
