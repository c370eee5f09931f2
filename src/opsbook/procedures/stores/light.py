"""The light store: runs recorded straight into the local SQLite file, for `opsbook run`.

The same tables, columns and value formats as `tables.py` (which SQLAlchemy reads back
for `runs list`, `runs show` and the dashboard), written with the standard library's
sqlite3: importing SQLAlchemy's ORM costs more CPU than a whole 100-step run spends in
Python. Used only when the database file exists and its schema is already current;
anything else (first run, PostgreSQL, an upgrade) goes through SQLAlchemy and Alembic.
It keeps the RunStore contract (drive.py) as the SQLAlchemy store does; the tests in
tests/procedures/stores/ hold both to it and this file's SQL to the migrations' schema.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from opsbook.procedures.confirm import Confirmation
from opsbook.procedures.drive import Me
from opsbook.procedures.engine import (
    FINISHED,
    Event,
    Outcome,
    Plan,
    PlanItem,
    RunStatus,
    apply,
)
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.plan import masker_for
from opsbook.procedures.secrets import Masker
from opsbook.procedures.stores.record_rules import (
    Write,
    interrupted_message,
    web_decision,
    write_for,
)
from opsbook.store.schema_heads import light_revisions

Clock = Callable[[], datetime]

# The run tables as the migrations build them, column by column (name and SQLite type):
# what this store's SQL was written for. tests/procedures/stores/test_light_schema.py
# compares it with a migrated database, so a migration that changes these tables fails
# there until this store (and this list) follow it.
SCHEMA = {
    "runs": "id INTEGER, procedure VARCHAR(200), title VARCHAR(300), kind VARCHAR(40), "
    "runbook_path TEXT, status VARCHAR(20), message TEXT, started_at DATETIME, "
    "finished_at DATETIME, started_by VARCHAR(200), params JSON, host_filter VARCHAR(200), "
    "plan_digest VARCHAR(64), waiting_step VARCHAR(200), machine VARCHAR(255), pid INTEGER, "
    "process_started FLOAT",
    "step_attempts": "id INTEGER, run_id INTEGER, step_key VARCHAR(200), phase VARCHAR(20), "
    "number INTEGER, text TEXT, command TEXT, host VARCHAR(255), attempt INTEGER, "
    "status VARCHAR(20), exit_code INTEGER, started_at DATETIME, finished_at DATETIME, "
    "duration FLOAT, stdout TEXT, stderr TEXT, error TEXT",
    "run_steps": "id INTEGER, run_id INTEGER, step_key VARCHAR(200), outcome VARCHAR(20), "
    "finished_at DATETIME",
    "run_confirmations": "id INTEGER, run_id INTEGER, step_key VARCHAR(200), "
    "decision VARCHAR(20), decided_by VARCHAR(200), via VARCHAR(20), requested_at DATETIME, "
    "decided_at DATETIME",
}


def _insert(table: str, columns: str) -> str:
    marks = ", ".join("?" for _ in columns.split(","))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"


# Every statement this store runs; the schema test prepares each on a migrated database.
START_RUN = _insert(
    "runs",
    "procedure, title, kind, runbook_path, status, message, started_at, started_by, params, "
    "host_filter, plan_digest, machine, pid, process_started",
)
RUN_STATUS = "SELECT status FROM runs WHERE id = ?"
TRANSITION = (
    "UPDATE runs SET status = ?, message = ?, waiting_step = ?, "
    "finished_at = COALESCE(?, finished_at) WHERE id = ?"
)
FIRST_RUNNING = (
    "SELECT phase, number, text FROM step_attempts WHERE run_id = ? AND status = 'running' "
    "ORDER BY id LIMIT 1"
)
INTERRUPT_ATTEMPTS = (
    "UPDATE step_attempts SET status = 'interrupted' WHERE run_id = ? AND status = 'running'"
)
INTERRUPT_RUN = "UPDATE runs SET status = ?, message = ? WHERE id = ?"
START_ATTEMPT = _insert(
    "step_attempts",
    "run_id, step_key, phase, number, text, command, host, attempt, status, started_at, "
    "stdout, stderr",
)
MARK_ATTEMPT = "UPDATE step_attempts SET status = ?, finished_at = ? WHERE id = ?"
FINISH_ATTEMPT = (
    "UPDATE step_attempts SET status = ?, finished_at = ?, exit_code = ?, duration = ?, "
    "stdout = ?, stderr = ?, error = ? WHERE id = ?"
)
STEP_OUTCOME = _insert("run_steps", "run_id, step_key, outcome, finished_at")
LATEST_CONFIRMATION = (
    "SELECT id, decision, decided_by, via FROM run_confirmations WHERE run_id = ? AND "
    "step_key = ? ORDER BY id DESC LIMIT 1"
)
ASK = _insert("run_confirmations", "run_id, step_key, decision, requested_at")
ANSWER = (
    "UPDATE run_confirmations SET decision = ?, decided_by = ?, via = ?, decided_at = ? "
    "WHERE id = ?"
)
ADD_ANSWERED = _insert(
    "run_confirmations", "run_id, step_key, decision, decided_by, via, requested_at, decided_at"
)
STATEMENTS = (
    START_RUN,
    RUN_STATUS,
    TRANSITION,
    FIRST_RUNNING,
    INTERRUPT_ATTEMPTS,
    INTERRUPT_RUN,
    START_ATTEMPT,
    MARK_ATTEMPT,
    FINISH_ATTEMPT,
    STEP_OUTCOME,
    LATEST_CONFIRMATION,
    ASK,
    ANSWER,
    ADD_ANSWERED,
)


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

    def rows(self, sql: str, params: Mapping[str, object]) -> list[Any]:
        """Run a statement of the one reader (`reader.Rows`) on this connection."""
        return self.connection.execute(sql, params).fetchall()

    def start_run(self, plan: Plan, me: Me) -> int:
        """Record a new run (status running) and return its id."""
        params = masker_for(plan).mask_values(plan.params, plan.secret_names)
        values = (
            plan.target,
            plan.title,
            plan.kind,
            plan.runbook_path,
            str(RunStatus.RUNNING),
            "",
            stamp(self.now()),
            me.user,
            json.dumps(params),
            plan.host_filter,
            plan.digest,
            me.machine,
            me.pid,
            me.process_started,
        )
        with self.transaction() as db:
            return int(db.execute(START_RUN, values).lastrowid or 0)

    def journal(self, run_id: int, masker: Masker) -> SqliteJournal:
        return SqliteJournal(self, run_id, masker)

    def transition(
        self, run_id: int, event: Event, message: str, waiting: str | None = None
    ) -> RunStatus:
        with self.transaction() as db:
            (status,) = db.execute(RUN_STATUS, (run_id,)).fetchone()
            after = apply(RunStatus(status), event)
            finished = stamp(self.now()) if after in FINISHED else None
            db.execute(TRANSITION, (str(after), message, waiting, finished, run_id))
            return after

    def interrupted(self, run_id: int, why: str) -> None:
        with self.transaction() as db:
            (status,) = db.execute(RUN_STATUS, (run_id,)).fetchone()
            after = apply(RunStatus(status), Event.INTERRUPT)
            first = db.execute(FIRST_RUNNING, (run_id,)).fetchone()
            db.execute(INTERRUPT_ATTEMPTS, (run_id,))
            db.execute(INTERRUPT_RUN, (str(after), interrupted_message(why, first), run_id))


class SqliteJournal:
    """The RunLog of one run on the SQLite store."""

    def __init__(self, store: SqliteRunStore, run_id: int, masker: Masker) -> None:
        self.store = store
        self.run_id = run_id
        self.masker = masker

    def attempt_started(self, item: PlanItem, host: str, attempt: int) -> int:
        values = (
            self.run_id,
            item.key,
            str(item.phase),
            item.number,
            self.masker.mask(item.step.text),
            item.command,
            host,
            attempt,
            "running",
            stamp(self.store.now()),
            "",
            "",
        )
        with self.store.transaction() as db:
            return int(db.execute(START_ATTEMPT, values).lastrowid or 0)

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
                db.execute(MARK_ATTEMPT, (status, finished, attempt_id))
            else:
                mask = self.masker.mask
                db.execute(
                    FINISH_ATTEMPT,
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
                db.execute(STEP_OUTCOME, (self.run_id, step[0].key, str(step[1]), finished))

    def step_finished(self, item: PlanItem, outcome: Outcome) -> None:
        with self.store.transaction() as db:
            db.execute(STEP_OUTCOME, (self.run_id, item.key, str(outcome), stamp(self.store.now())))

    def _latest(self, db: sqlite3.Connection, key: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = db.execute(LATEST_CONFIRMATION, (self.run_id, key)).fetchone()
        return row

    def decided(self, item: PlanItem) -> Confirmation | None:
        row = self._latest(self.store.connection, item.key)
        return web_decision(None if row is None else (row[1], row[2], row[3]))

    def confirmation(self, item: PlanItem, answer: Confirmation) -> None:
        now = stamp(self.store.now())
        decision = str(answer.decision)
        with self.store.transaction() as db:
            row = self._latest(db, item.key)
            write = write_for(answer, None if row is None else (row[1], row[3]))
            if write is Write.ASK:
                db.execute(ASK, (self.run_id, item.key, decision, now))
            elif write is Write.ANSWER:
                assert row is not None
                db.execute(ANSWER, (decision, answer.by, answer.via, now, row[0]))
            elif write is Write.ADD:
                values = (self.run_id, item.key, decision, answer.by, answer.via, now, now)
                db.execute(ADD_ANSWERED, values)
