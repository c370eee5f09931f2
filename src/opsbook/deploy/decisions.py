"""The use cases of gate decisions: ask a person, answer, wait for the answer.

A gate whose source did not answer asks (`ask_person`) and its command waits, polling
`decision_state`; the run stays on that check meanwhile. A person answers with
`decide` (CLI, API); the first answer wins (compare-and-set on the open state), and one
not given by `expires_at` expires the question: the gate then stops, never passes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from opsbook.deploy.decision_states import DECISIONS, DecisionEvent, DecisionState
from opsbook.deploy.tables import GateDecisionRow
from opsbook.deploy.views import DecisionView
from opsbook.errors import Conflict, NotFound
from opsbook.inputs import check_text
from opsbook.store.timestamps import utc
from opsbook.transitions import apply

if TYPE_CHECKING:
    from opsbook.store.database import Database

MAX_TEXT = 2000


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def ask_person(
    *,
    db: Database,
    run_id: int | None,
    step: str,
    gate: str,
    reason: str,
    now: datetime,
    within: timedelta,
) -> DecisionView:
    """Record an inconclusive gate's question to a person; return it (open)."""
    row = GateDecisionRow(
        run_id=run_id,
        step=check_text(step, field="step", max_length=200),
        gate=check_text(gate, field="gate", max_length=MAX_TEXT),
        reason=check_text(reason[:MAX_TEXT], field="reason", max_length=MAX_TEXT),
        state=DecisionState.OPEN.value,
        asked_at=_naive(now),
        expires_at=_naive(now + within),
        note="",
    )
    with db.transaction() as session:
        session.add(row)
        session.flush()
        return _view(row)


def decide(
    *, db: Database, decision_id: int, let_pass: bool, actor: str, note: str, now: datetime
) -> DecisionView:
    """Answer an open question: let the gate pass, or stop it; the first answer wins."""
    check_text(actor, field="actor", max_length=200)
    check_text(note, field="note", max_length=MAX_TEXT)
    event = DecisionEvent.LET_PASS if let_pass else DecisionEvent.STOP
    with db.transaction() as session:
        row = session.get(GateDecisionRow, decision_id)
        if row is None:
            raise NotFound(f"no gate decision {decision_id}")
        after = apply(DECISIONS, DecisionState(row.state), event)
        changed = session.execute(
            update(GateDecisionRow)
            .where(GateDecisionRow.id == decision_id, GateDecisionRow.state == row.state)
            .values(state=after.value, decided_by=actor, decided_at=_naive(now), note=note)
            .execution_options(synchronize_session=False)
        )
        if not getattr(changed, "rowcount", 0):
            raise Conflict(f"gate decision {decision_id} was answered meanwhile")
        session.expire(row)
        return _view(session.get(GateDecisionRow, decision_id) or row)


def decision_state(*, db: Database, decision_id: int, now: datetime) -> DecisionView:
    """Return the question as it stands; expire it when its time is up."""
    with db.transaction() as session:
        row = session.get(GateDecisionRow, decision_id)
        if row is None:
            raise NotFound(f"no gate decision {decision_id}")
        expires = utc(row.expires_at)
        if row.state == DecisionState.OPEN.value and expires is not None and now >= expires:
            after = apply(DECISIONS, DecisionState.OPEN, DecisionEvent.EXPIRE)
            session.execute(
                update(GateDecisionRow)
                .where(GateDecisionRow.id == decision_id, GateDecisionRow.state == row.state)
                .values(state=after.value)
                .execution_options(synchronize_session=False)
            )
            session.expire(row)
            row = session.get(GateDecisionRow, decision_id) or row
        return _view(row)


def list_decisions(*, db: Database, open_only: bool, limit: int = 100) -> list[DecisionView]:
    """Return the gate questions, newest first (only those waiting, with `open_only`)."""
    query = select(GateDecisionRow).order_by(GateDecisionRow.id.desc()).limit(limit)
    if open_only:
        query = query.where(GateDecisionRow.state == DecisionState.OPEN.value)
    with db.transaction() as session:
        return [_view(r) for r in session.scalars(query)]


def _view(row: GateDecisionRow) -> DecisionView:
    asked, expires = utc(row.asked_at), utc(row.expires_at)
    assert asked is not None and expires is not None
    return DecisionView(
        id=row.id,
        run_id=row.run_id,
        step=row.step,
        gate=row.gate,
        reason=row.reason,
        state=row.state,
        asked_at=asked,
        expires_at=expires,
        decided_by=row.decided_by,
        decided_at=utc(row.decided_at),
        note=row.note,
    )
