"""The use cases of gate decisions: ask a person (or N of a role), answer, wait for it.

A gate whose source did not answer asks (`ask_person`) and its command waits, polling
`decision_state`; the run stays on that check meanwhile. A person answers with
`decide` (CLI, API); the first answer wins (compare-and-set on the open state), and one
not given by `expires_at` expires the question: the gate then stops, never passes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from opsbook.deploy.approvers import may_approve
from opsbook.deploy.decision_states import DECISIONS, DecisionEvent, DecisionState
from opsbook.deploy.tables import GateApprovalRow, GateDecisionRow
from opsbook.deploy.views import DecisionView
from opsbook.errors import BadInput, Conflict, Forbidden, NotFound
from opsbook.inputs import check_text
from opsbook.store.timestamps import utc
from opsbook.transitions import apply

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from opsbook.store.database import Database

MAX_TEXT = 2000
MAX_NEEDED = 20


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
    needed: int = 1,
    role: str = "",
    allowed: frozenset[str] = frozenset(),
) -> DecisionView:
    """Record a gate's question to people (N of a role, or anyone); return it (open)."""
    if not 1 <= needed <= MAX_NEEDED:
        raise BadInput(f"approvals must be 1 to {MAX_NEEDED}, not {needed}")
    row = GateDecisionRow(
        run_id=run_id,
        step=check_text(step, field="step", max_length=200),
        gate=check_text(gate, field="gate", max_length=MAX_TEXT),
        reason=check_text(reason[:MAX_TEXT], field="reason", max_length=MAX_TEXT),
        state=DecisionState.OPEN.value,
        asked_at=_naive(now),
        expires_at=_naive(now + within),
        note="",
        needed=needed,
        role=check_text(role, field="role", max_length=200),
        holders="\n".join(sorted(allowed)),
    )
    with db.transaction() as session:
        session.add(row)
        session.flush()
        return _view(row, ())


def decide(
    *, db: Database, decision_id: int, let_pass: bool, actor: str, note: str, now: datetime
) -> DecisionView:
    """Answer an open question: let the gate pass, or stop it; the first answer wins.

    A gate that needs N approvals passes with the Nth distinct person's; each must hold
    its role, and one person approves once. Anyone who may approve may stop it.
    """
    check_text(actor, field="actor", max_length=200)
    check_text(note, field="note", max_length=MAX_TEXT)
    event = DecisionEvent.LET_PASS if let_pass else DecisionEvent.STOP
    with db.transaction() as session:
        row = session.get(GateDecisionRow, decision_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no gate decision {decision_id}")
        after = apply(DECISIONS, DecisionState(row.state), event)
        allowed = frozenset(h for h in row.holders.split("\n") if h)
        if not may_approve(allowed, actor):
            raise Forbidden(f'{actor} does not hold the role "{row.role}" this gate asks for')
        approvers = _approvers(session, decision_id)
        if let_pass and row.needed > 1:
            if actor in approvers:
                raise Conflict(
                    f"{actor} has approved gate decision {decision_id} already"
                ) from None
            session.add(GateApprovalRow(decision_id=decision_id, approver=actor,
                                        approved_at=_naive(now)))  # fmt: skip
            try:
                session.flush()
            except IntegrityError:
                raise Conflict(
                    f"{actor} has approved gate decision {decision_id} already"
                ) from None
            approvers = (*approvers, actor)
            if len(approvers) < row.needed:
                return _view(row, approvers)
        who = ", ".join(approvers) if let_pass and row.needed > 1 else actor
        changed = session.execute(
            update(GateDecisionRow)
            .where(GateDecisionRow.id == decision_id, GateDecisionRow.state == row.state)
            .values(state=after.value, decided_by=who[:200], decided_at=_naive(now), note=note)
            .execution_options(synchronize_session=False)
        )
        if not getattr(changed, "rowcount", 0):
            raise Conflict(f"gate decision {decision_id} was answered meanwhile")
        session.expire(row)
        return _view(session.get(GateDecisionRow, decision_id) or row, approvers)


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
        return _view(row, _approvers(session, decision_id))


def list_decisions(
    *, db: Database, open_only: bool, limit: int = 100, run_id: int | None = None
) -> list[DecisionView]:
    """Return the gate questions, newest first (only those waiting, with `open_only`;
    only a run's, with `run_id`)."""
    query = select(GateDecisionRow).order_by(GateDecisionRow.id.desc()).limit(limit)
    if run_id is not None:
        query = query.where(GateDecisionRow.run_id == run_id)
    if open_only:
        query = query.where(GateDecisionRow.state == DecisionState.OPEN.value)
    with db.transaction() as session:
        return [_view(r, _approvers(session, r.id)) for r in session.scalars(query)]


def _approvers(session: Session, decision_id: int) -> tuple[str, ...]:
    query = (
        select(GateApprovalRow.approver)
        .where(GateApprovalRow.decision_id == decision_id)
        .order_by(GateApprovalRow.id)
    )
    return tuple(session.scalars(query))


def _view(row: GateDecisionRow, approvers: tuple[str, ...]) -> DecisionView:
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
        needed=row.needed,
        role=row.role,
        approved_by=approvers,
    )
