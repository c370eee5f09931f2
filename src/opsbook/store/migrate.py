"""Bring the schema up to date, once, however many processes open a fresh database together.

Alembic itself does not guard against two processes upgrading one database: both see no
tables and both create them (`table ... already exists`). So the upgrade runs under a lock
that every opsbook process takes: on SQLite an `flock` on the database's directory, on
PostgreSQL a transaction-scoped advisory lock keyed by the schema. Inside the lock the
revisions are read again, and a process that waited finds the work already done.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from opsbook.store.schema_heads import applied_revisions, current_heads

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

_MIGRATIONS = Path(__file__).parent / "migrations"
# The first key of PostgreSQL's two-key advisory lock: "opsb"; the second is the schema's hash.
_PG_LOCK_KEY = 0x6F707362


def upgrade(engine: Engine) -> None:
    """Bring the schema to every head revision (domains add their own branches)."""
    # Every CLI call opens the database; loading Alembic costs more than the command
    # itself, so it is only loaded when the schema is behind.
    heads = current_heads()
    if _revisions_at_a_glance(engine) == heads:
        return
    # lazy: keeps alembic off the start-up of `opsbook runs list`
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with _migration_lock(engine) as connection:
        if applied_revisions(connection) == heads:
            return  # another process upgraded while this one waited
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def _revisions_at_a_glance(engine: Engine) -> set[str]:
    try:
        with engine.connect() as connection:
            return applied_revisions(connection)
    except DBAPIError:  # no database to reach yet
        return set()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a transaction that no other process migrating holds."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Held until the transaction ends: the upgrade commits, then the next one looks.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                {"key": _PG_LOCK_KEY},
            )
            yield connection
        return
    with _file_lock(engine.url.database), engine.begin() as connection:
        yield connection


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    """Hold an exclusive flock on the database's directory (none for an in-memory database).

    The directory rather than a lock file: nothing is left behind in the state directory.
    """
    if not database or database == ":memory:":
        yield
        return

    descriptor = os.open(Path(database).parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
