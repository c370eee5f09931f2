"""The RunLog of one run, on the database: every call is one committed transaction.

An attempt is written as it starts and as it ends (with the step's outcome when that
attempt decides it), so whatever happens to the process, the record says how far it got.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opsbook.procedures.confirm import Confirmation
from opsbook.procedures.engine import Outcome, PlanItem
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.secrets import Masker
from opsbook.procedures.stores import queries
from opsbook.procedures.stores.record_rules import Write, web_decision, write_for
from opsbook.procedures.stores.tables import ConfirmationRow

if TYPE_CHECKING:
    from opsbook.store.database import Database

Clock = Callable[[], datetime]


class Journal:
    """The RunLog of one run: each call is one committed transaction."""

    def __init__(self, db: Database, run_id: int, masker: Masker, now: Clock) -> None:
        self.db = db
        self.run_id = run_id
        self.masker = masker
        self.now = now

    def attempt_started(self, item: PlanItem, host: str, attempt: int) -> int:
        values = {
            "run_id": self.run_id,
            "step_key": item.key,
            "phase": str(item.phase),
            "number": item.number,
            "text": self.masker.mask(item.step.text),
            "command": item.command,
            "host": host,
            "attempt": attempt,
            "status": "running",
            "started_at": self.now(),
            "stdout": "",
            "stderr": "",
        }
        with self.db.transaction() as session:
            return queries.insert_attempt(session, values)

    def attempt_finished(
        self,
        attempt_id: int,
        status: str,
        result: CommandResult | None,
        step: tuple[PlanItem, Outcome] | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "finished_at": self.now()}
        if result is not None:
            mask = self.masker.mask
            values |= {
                "exit_code": result.exit_code,
                "duration": round(result.duration, 4),
                "stdout": mask(result.stdout),
                "stderr": mask(result.stderr),
                "error": mask(result.error) if result.error else None,
            }
        with self.db.transaction() as session:
            queries.update_attempt(session, attempt_id, values)
            if step is not None:
                item, outcome = step
                queries.insert_step(session, self.run_id, item.key, str(outcome), self.now())

    def step_finished(self, item: PlanItem, outcome: Outcome) -> None:
        with self.db.transaction() as session:
            queries.insert_step(session, self.run_id, item.key, str(outcome), self.now())

    def decided(self, item: PlanItem) -> Confirmation | None:
        with self.db.transaction() as session:
            row = queries.open_confirmation(session, self.run_id, item.key)
            return web_decision(None if row is None else (row.decision, row.decided_by, row.via))

    def confirmation(self, item: PlanItem, answer: Confirmation) -> None:
        now = self.now()
        with self.db.transaction() as session:
            row = queries.open_confirmation(session, self.run_id, item.key)
            write = write_for(answer, None if row is None else (row.decision, row.via))
            if write is Write.ANSWER:
                assert row is not None
                row.decision, row.decided_by = str(answer.decision), answer.by
                row.via, row.decided_at = answer.via, now
            elif write is not Write.NOTHING:
                asked = write is Write.ASK
                queries.add(
                    session,
                    ConfirmationRow(
                        run_id=self.run_id,
                        step_key=item.key,
                        decision=str(answer.decision),
                        decided_by=None if asked else answer.by,
                        via=None if asked else answer.via,
                        requested_at=now,
                        decided_at=None if asked else now,
                    ),
                )
