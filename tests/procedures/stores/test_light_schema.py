"""The light store writes by hand what the migrations define: held to them column by column.

A migration that changes a run table fails here until `light.SCHEMA` and the statements
that write the table follow it; and the light store must write the very bytes SQLAlchemy
writes, since SQLAlchemy reads them back (resume, the dashboard, `runs show`).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from opsbook.procedures.confirm import Confirmation, Decision
from opsbook.procedures.drive import RunStore
from opsbook.procedures.engine import Event, Outcome, Plan
from opsbook.procedures.executors.protocol import CommandResult
from opsbook.procedures.plan import masker_for
from opsbook.procedures.service import DatabaseRunStore
from opsbook.procedures.stores import light
from opsbook.procedures.stores.light import SCHEMA, open_sqlite_store
from opsbook.store.database import open_database
from opsbook.store.schema_heads import current_heads
from tests.procedures.stores.conftest import ME, SECRET, Clock, deploy_plan

INSERT = re.compile(r"INSERT INTO (\w+) \(([^)]*)\)")


@pytest.fixture
def migrated(migrated_sqlite: Path) -> Iterator[sqlite3.Connection]:
    """A read-only look at a database the Alembic migrations built."""
    with closing(sqlite3.connect(f"file:{migrated_sqlite}?mode=ro", uri=True)) as connection:
        yield connection


def _built(connection: sqlite3.Connection, table: str) -> list[tuple[str, str, bool, bool]]:
    """Return each column of a table: name, type, NOT NULL, and whether it has a default."""
    info = connection.execute(f"PRAGMA table_info({table})").fetchall()
    return [
        (name, kind, bool(notnull), default is not None)
        for _, name, kind, notnull, default, _ in info
    ]


def test_the_light_stores_schema_is_the_one_the_migrations_build(
    migrated: sqlite3.Connection,
) -> None:
    for table, declared in SCHEMA.items():
        expected = [tuple(column.split(" ", 1)) for column in declared.split(", ")]
        built = [(name, kind) for name, kind, _, _ in _built(migrated, table)]
        assert built == expected, f"the migrations changed {table}: update stores/light.py"


def test_every_statement_of_the_light_store_compiles_on_the_migrated_schema(
    migrated: sqlite3.Connection,
) -> None:
    for statement in light.STATEMENTS:
        # EXPLAIN compiles the statement against the schema without running it.
        migrated.execute(f"EXPLAIN {statement}", (None,) * statement.count("?"))


def test_the_light_store_inserts_every_column_the_migrations_require(
    migrated: sqlite3.Connection,
) -> None:
    inserts = [INSERT.match(s) for s in light.STATEMENTS if s.startswith("INSERT")]
    assert {m.group(1) for m in inserts if m} == set(SCHEMA)
    for match in inserts:
        assert match is not None
        table, given = match.group(1), {c.strip() for c in match.group(2).split(",")}
        required = {
            name
            for name, _, notnull, has_default in _built(migrated, table)
            if notnull and not has_default and name != "id"
        }
        missing = required - given
        assert not missing, f"INSERT INTO {table} leaves out required columns {sorted(missing)}"


def test_the_light_store_opens_only_a_database_at_the_migrations_heads(
    migrated_sqlite: Path, tmp_path: Path
) -> None:
    clock = Clock()
    assert open_sqlite_store(tmp_path / "none.db", current_heads(), clock) is None
    behind = tmp_path / "behind.db"
    shutil.copy(migrated_sqlite, behind)
    with closing(sqlite3.connect(behind)) as connection, connection:
        # One branch a revision behind its head: the light store must leave it to Alembic.
        connection.execute(
            "UPDATE alembic_version SET version_num = '0002_access' "
            "WHERE version_num = '0002_access_approvals'"
        )
    assert open_sqlite_store(behind, current_heads(), clock) is None
    current = open_sqlite_store(migrated_sqlite, current_heads(), clock)
    assert current is not None
    current.connection.close()


def _record(store: RunStore, clock: Clock, plan: Plan) -> None:
    """Write one of everything the contract writes, in the same order on any store."""
    run_id = store.start_run(plan, ME)
    log = store.journal(run_id, masker_for(plan))
    disk, ship, look = plan.item("prerequisites:1"), plan.item("steps:1"), plan.item("steps:2")
    assert disk is not None and ship is not None and look is not None
    clock.tick()
    checked = log.attempt_started(disk, "local", 1)
    clock.tick(0.25)
    log.attempt_finished(checked, "passed", CommandResult(0, duration=0.1), (disk, Outcome.PASSED))
    shipped = log.attempt_started(ship, "local", 1)
    clock.tick(1.5)
    output = CommandResult(1, f"with {SECRET}\n", "nope\n", duration=1.23456, error="x")
    log.attempt_finished(shipped, "failed", output)
    log.step_finished(ship, Outcome.IGNORED)
    log.confirmation(look, Confirmation(Decision.WAITING))
    store.transition(run_id, Event.WAIT, "waits for a person", waiting="steps:2")
    clock.tick()
    log.confirmation(look, Confirmation(Decision.ABORTED, "omar", "web"))
    person = log.attempt_started(look, "person", 1)
    log.attempt_finished(person, "aborted", None)
    log.confirmation(look, Confirmation(Decision.SKIPPED, "alice", "terminal"))
    store.transition(run_id, Event.FAIL, "aborted by omar")
    second = store.start_run(plan, ME)
    store.journal(second, masker_for(plan)).attempt_started(disk, "local", 1)
    store.interrupted(second, "stopped by a signal")


def test_the_light_store_writes_the_bytes_sqlalchemy_writes(
    migrated_sqlite: Path, tmp_path: Path
) -> None:
    plan = deploy_plan(tmp_path / "RUNBOOK.md")
    paths = {name: tmp_path / f"{name}.db" for name in ("light", "orm")}
    for path in paths.values():
        shutil.copy(migrated_sqlite, path)
    light_clock, orm_clock = Clock(), Clock()
    on_light = open_sqlite_store(paths["light"], current_heads(), light_clock)
    assert on_light is not None
    _record(on_light, light_clock, plan)
    on_light.connection.close()
    db = open_database(f"sqlite:///{paths['orm']}")
    _record(DatabaseRunStore(db, orm_clock), orm_clock, plan)
    db.dispose()

    def stored(path: Path) -> dict[str, list[tuple[object, ...]]]:
        with closing(sqlite3.connect(path)) as connection:
            return {
                table: connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
                for table in SCHEMA
            }

    written = stored(paths["light"])
    assert all(written.values())
    assert written == stored(paths["orm"])
