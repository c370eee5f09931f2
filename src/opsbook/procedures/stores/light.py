"""The light store: runs recorded straight into the local SQLite file, for `opsbook run`.

The same tables, columns and value formats as `tables.py` (which SQLAlchemy reads back
for `runs list`, `runs show` and the dashboard), written with the standard library's
sqlite3: importing SQLAlchemy's ORM costs more CPU than a whole 100-step run spends in
Python. Used only when the database file exists and its schema is already current;
anything else (first run, PostgreSQL, an upgrade) goes through SQLAlchemy and Alembic.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from opsbook.procedures.confirm import Confirmation, Decision
from opsbook.procedures.drive import Me
from opsbook.procedures.engine import (
    FINISHED,
    Event,
    Outcome,
    Phase,
    Plan,
    PlanItem,
    RunStatus,
    apply,
)
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.plan import masker_for
from opsbook.procedures.secrets import Masker
from opsbook.store.schema_heads import light_revisions

Clock = Callable[[], datetime]


def stamp(moment: datetime) -> str:
    """Format a UTC moment the way SQLAlchemy's SQLite DateTime stores it."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def open_sqlite_store(path: Path, heads: set[str], now: Clock) -> SqliteRunStore | None:
    """Open the store if the file exists and its schema is at `heads`; else None."""
    if not path.exists():
        return None
    connection = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    if light_revisions(connection) != heads:
        connection.close()
        return None
    return SqliteRunStore(connection, now)


class SqliteRunStore:
    """A RunStore on one sqlite3 connection; each write is its own committed transaction."""

    def __init__(self, connection: sqlite3.Connection, now: Clock) -> None:
        self.connection = connection
        self.now = now

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run statements in one immediate transaction: commit, or roll back on error."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def start_run(self, plan: Plan, me: Me) -> int:
        """Record a new run (status running) and return its id."""
        params = masker_for(plan).mask_values(plan.params, plan.secret_names)
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (procedure, title, kind, runbook_path, status, message, "
                "started_at, started_by, params, host_filter, plan_digest, machine, pid, "
                "process_started) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    plan.target,
                    plan.title,
                    plan.kind,
                    plan.runbook_path,
                    str(RunStatus.RUNNING),
                    stamp(self.now()),
                    me.user,
                    json.dumps(params),
                    plan.host_filter,
                    plan.digest,
                    me.machine,
                    me.pid,
                    me.process_started,
                ),
            )
            return int(cursor.lastrowid or 0)

    def journal(self, run_id: int, masker: Masker) -> SqliteJournal:
        return SqliteJournal(self, run_id, masker)

    def transition(
        self, run_id: int, event: Event, message: str, waiting: str | None = None
    ) -> RunStatus:
        with self.transaction() as db:
            (status,) = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            after = apply(RunStatus(status), event)
            finished = stamp(self.now()) if after in FINISHED else None
            db.execute(
                "UPDATE runs SET status = ?, message = ?, waiting_step = ?, "
                "finished_at = COALESCE(?, finished_at) WHERE id = ?",
                (str(after), message, waiting, finished, run_id),
            )
            return after

    def interrupted(self, run_id: int, why: str) -> None:
        with self.transaction() as db:
            (status,) = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            after = apply(RunStatus(status), Event.INTERRUPT)
            first = db.execute(
                "SELECT phase, number, text FROM step_attempts WHERE run_id = ? AND "
                "status = 'running' ORDER BY id LIMIT 1",
                (run_id,),
            ).fetchone()
            db.execute(
                "UPDATE step_attempts SET status = 'interrupted' WHERE run_id = ? AND "
                "status = 'running'",
                (run_id,),
            )
            where = f' at {Phase(first[0]).singular} {first[1]} "{first[2]}"' if first else ""
            db.execute(
                "UPDATE runs SET status = ?, message = ? WHERE id = ?",
                (str(after), f"interrupted{where}: {why}", run_id),
            )


class SqliteJournal:
    """The RunLog of one run on the SQLite store."""

    def __init__(self, store: SqliteRunStore, run_id: int, masker: Masker) -> None:
        self.store = store
        self.run_id = run_id
        self.masker = masker

    def attempt_started(self, item: PlanItem, host: str, attempt: int) -> int:
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO step_attempts (run_id, step_key, phase, number, text, command, "
                "host, attempt, status, started_at, stdout, stderr) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, '', '')",
                (
                    self.run_id,
                    item.key,
                    str(item.phase),
                    item.number,
                    self.masker.mask(item.step.text),
                    item.command,
                    host,
                    attempt,
                    stamp(self.store.now()),
                ),
            )
            return int(cursor.lastrowid or 0)

    def attempt_finished(
        self,
        attempt_id: int,
        status: str,
        result: CommandResult | None,
        step: tuple[PlanItem, Outcome] | None = None,
    ) -> None:
        finished = stamp(self.store.now())
        with self.store.transaction() as db:
            if result is None:
                db.execute(
                    "UPDATE step_attempts SET status = ?, finished_at = ? WHERE id = ?",
                    (status, finished, attempt_id),
                )
            else:
                mask = self.masker.mask
                db.execute(
                    "UPDATE step_attempts SET status = ?, finished_at = ?, exit_code = ?, "
                    "duration = ?, stdout = ?, stderr = ?, error = ? WHERE id = ?",
                    (
                        status,
                        finished,
                        result.exit_code,
                        round(result.duration, 4),
                        mask(result.stdout),
                        mask(result.stderr),
                        mask(result.error) if result.error else None,
                        attempt_id,
                    ),
                )
            if step is not None:
                self._step(db, step[0], step[1], finished)

    def _step(self, db: sqlite3.Connection, item: PlanItem, outcome: Outcome, at: str) -> None:
        db.execute(
            "INSERT INTO run_steps (run_id, step_key, outcome, finished_at) VALUES (?, ?, ?, ?)",
            (self.run_id, item.key, str(outcome), at),
        )

    def step_finished(self, item: PlanItem, outcome: Outcome) -> None:
        with self.store.transaction() as db:
            self._step(db, item, outcome, stamp(self.store.now()))

    def _latest(self, db: sqlite3.Connection, key: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = db.execute(
            "SELECT id, decision, decided_by, via FROM run_confirmations WHERE run_id = ? AND "
            "step_key = ? ORDER BY id DESC LIMIT 1",
            (self.run_id, key),
        ).fetchone()
        return row

    def decided(self, item: PlanItem) -> Confirmation | None:
        row = self._latest(self.store.connection, item.key)
        if row is None or row[1] == Decision.WAITING or row[3] != "web":
            return None
        return Confirmation(Decision(row[1]), row[2] or "", row[3] or "")

    def confirmation(self, item: PlanItem, answer: Confirmation) -> None:
        now = stamp(self.store.now())
        with self.store.transaction() as db:
            row = self._latest(db, item.key)
            waiting = row is not None and row[1] == Decision.WAITING
            if answer.decision is Decision.WAITING:
                if not waiting:
                    db.execute(
                        "INSERT INTO run_confirmations (run_id, step_key, decision, "
                        "requested_at) VALUES (?, ?, 'waiting', ?)",
                        (self.run_id, item.key, now),
                    )
            elif row is not None and waiting:
                db.execute(
                    "UPDATE run_confirmations SET decision = ?, decided_by = ?, via = ?, "
                    "decided_at = ? WHERE id = ?",
                    (str(answer.decision), answer.by, answer.via, now, row[0]),
                )
            elif row is None or row[3] != "web":
                db.execute(
                    "INSERT INTO run_confirmations (run_id, step_key, decision, decided_by, "
                    "via, requested_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (self.run_id, item.key, str(answer.decision), answer.by, answer.via, now, now),
                )
