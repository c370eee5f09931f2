"""Use case of handoffs: tell the outgoing and incoming people, once, what is open.

Each handoff is claimed by inserting its row (unique per rotation, layer and instant)
before anything is sent, so of several workers exactly one announces it, and a restart
does not announce it again. Handoffs older than the look-back (a server down for a day)
are not announced late: the note would be stale. What is open comes through `OpenWork`,
and the note goes out through a `HandoffSender`, both wired in by the faces: this domain
knows neither incidents nor notification channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import IntegrityError

from opsbook.oncall.handoffs import Handoff, handoff_note, handoffs_between
from opsbook.oncall.model import Member
from opsbook.oncall.service import rotations_of
from opsbook.oncall.tables import HandoffRow
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database

LOOK_BACK = timedelta(minutes=30)


class OpenWork(Protocol):
    """Says what is open now: one line per thing (alerts, incidents, runs, overdue tasks)."""

    def lines(self, now: datetime) -> Sequence[str]: ...


class HandoffSender(Protocol):
    """Sends a note to one person; raises any Exception to say it could not."""

    def send(self, person: Member, subject: str, text: str) -> None: ...


@dataclass(frozen=True)
class Announced:
    """A handoff announced: who to whom, when, and what became of each note."""

    rotation: str
    layer: str
    at: datetime
    outgoing: str
    incoming: str
    outcome: str


def _claim(db: Database, handoff: Handoff, now: datetime) -> int | None:
    """Insert the handoff's row; None when another worker (or an earlier tick) has it."""
    try:
        with db.transaction() as session:
            row = HandoffRow(
                rotation=handoff.rotation,
                layer=handoff.layer,
                at=handoff.at,
                outgoing=handoff.outgoing.label if handoff.outgoing else "",
                incoming=handoff.incoming.label,
                announced_at=now,
                outcome="sending",
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def announce_handoffs(
    *,
    db: Database,
    runbook: Runbook,
    now: datetime,
    open_work: OpenWork,
    sender: HandoffSender,
    look_back: timedelta = LOOK_BACK,
) -> list[Announced]:
    """Announce every handoff of the last `look_back` not yet announced; return them."""
    done = []
    for rotation in rotations_of(runbook).values():
        for handoff in handoffs_between(rotation, now - look_back, now):
            row_id = _claim(db, handoff, now)
            if row_id is None:
                continue
            subject, text = handoff_note(handoff, list(open_work.lines(now)))
            results = []
            for person in (handoff.outgoing, handoff.incoming):
                if person is None:
                    continue
                try:
                    sender.send(person, subject, text)
                    results.append(f"{person.label}: sent")
                except Exception as exc:
                    results.append(f"{person.label}: failed: {exc}")
            outcome = "; ".join(results)
            with db.transaction() as session:
                row = session.get(HandoffRow, row_id)
                assert row is not None
                row.outcome = outcome
            done.append(
                Announced(
                    handoff.rotation,
                    handoff.layer,
                    handoff.at,
                    handoff.outgoing.name if handoff.outgoing else "",
                    handoff.incoming.name,
                    outcome,
                )
            )
    return done
