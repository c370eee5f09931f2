"""Every store of runs, behind the one contract (`RunStore`), and the one reader to check it.

The `subject` fixture is the light store (sqlite3 on a migrated file), the SQLAlchemy store
on SQLite, and the SQLAlchemy store on PostgreSQL in a fresh schema; a test that takes it
runs once on each. Only the clock is fake: set `subject.clock.at` and every write after
that is stamped with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from opsbook.procedures.drive import Me, RunStore
from opsbook.procedures.engine import Plan
from opsbook.procedures.plan import build_plan
from opsbook.procedures.service import DatabaseRunStore
from opsbook.procedures.stores import queries
from opsbook.procedures.stores.light import open_sqlite_store
from opsbook.procedures.stores.reader import Rows
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database, open_database
from opsbook.store.schema_heads import current_heads

T = TypeVar("T")
START = datetime(2026, 11, 27, 6, 0, 0, 1, tzinfo=UTC)
ME = Me("alice", "test-machine", 4242, 1700000000.25)
BOOK = """# Shop

## Standard Operating Procedures

### Deploy Procedure

**Parameters**:
- `VERSION` (required): the release
- `API_TOKEN` (required): the token the deploy calls the API with

**Prerequisites**:
- [ ] Disk is there: `test -d /`

**Steps**:
1. Ship it: `echo shipping $VERSION with $API_TOKEN`
2. Look at the dashboard
3. Restart: `echo restarted`

**Rollback Plan**:
1. Undo: `echo undone`

### Backup Procedure

**Steps**:
1. Copy: `echo copied`
"""
SECRET = "sekrit-42"


class Clock:
    """The fake clock: what `at` says, until a test moves it."""

    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at

    def tick(self, seconds: float = 1.0) -> datetime:
        """Move the clock on and return the new time."""
        self.at += timedelta(seconds=seconds)
        return self.at


@dataclass
class Subject:
    """One store under test, how to read back what it wrote, and its clock."""

    name: str
    store: RunStore
    rows: Callable[[], AbstractContextManager[Rows]]
    clock: Clock

    def read(self, query: Callable[[Rows], T]) -> T:
        """Run one of the reader's functions on this store's database."""
        with self.rows() as rows:
            return query(rows)


def deploy_plan(path: Path) -> Plan:
    """Plan the deploy procedure with VERSION=1.4 and the secret API_TOKEN."""
    runbook = parse_runbook(BOOK, str(path))
    values = {"VERSION": "1.4", "API_TOKEN": SECRET}
    return build_plan(runbook, target="deploy", params=values, environ={})


def backup_plan(path: Path) -> Plan:
    """Plan the backup procedure (no parameters)."""
    return build_plan(parse_runbook(BOOK, str(path)), target="backup", params={}, environ={})


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return deploy_plan(tmp_path / "RUNBOOK.md")


def _on_database(name: str, db: Database, clock: Clock) -> Subject:
    @contextmanager
    def rows() -> Iterator[Rows]:
        with db.engine.connect() as connection:
            yield queries.rows_on(connection)

    return Subject(name, DatabaseRunStore(db, clock), rows, clock)


@pytest.fixture(params=["light", "sqlite", "postgresql"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    """Each store of runs in turn, on a database the migrations built."""
    clock = Clock()
    if request.param == "postgresql":
        # Here, not at the top: tests.postgres imports tests.tiers, a plugin of tests/.
        from tests.postgres import fresh_schema

        with fresh_schema("contract") as url:
            on_postgresql = open_database(url)
            yield _on_database("postgresql", on_postgresql, clock)
            on_postgresql.dispose()
        return
    db: Database = request.getfixturevalue("db")
    if request.param == "sqlite":
        yield _on_database("sqlite", db, clock)
        return
    light = open_sqlite_store(Path(db.url.removeprefix("sqlite:///")), current_heads(), clock)
    assert light is not None, "the light store refused a migrated database"
    try:
        yield Subject("light", light, lambda: nullcontext(light.rows), clock)
    finally:
        light.connection.close()
