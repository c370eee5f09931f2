"""Bring the schema up to date, once, however many processes open a fresh database together.

Alembic itself does not guard against two processes upgrading one database: both see no
tables and both create them (`table ... already exists`). So the upgrade runs under a lock
that every opsbook process takes: on SQLite an `flock` on the database's directory, on
PostgreSQL a transaction-scoped advisory lock keyed by the schema. Inside the lock the
revisions are read again, and a process that waited finds the work already done.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

_MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(.+)$", re.MULTILINE)
# The first key of PostgreSQL's two-key advisory lock: "opsb"; the second is the schema's hash.
_PG_LOCK_KEY = 0x6F707362


def known_heads() -> set[str]:
    """Return the head revisions of the migration files, read without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (_MIGRATIONS / "versions").glob("*.py"):
        for key, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            names = set(re.findall(r"[\"']([^\"']+)[\"']", value))
            (revisions if key == "revision" else parents).update(names)
    return revisions - parents


def upgrade(engine: Engine) -> None:
    """Bring the schema to every head revision (domains add their own branches)."""
    # Every CLI call opens the database; loading Alembic costs more than the command
    # itself, so it is only loaded when the schema is behind.
    heads = known_heads()
    if _revisions_at_a_glance(engine) == heads:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with _migration_lock(engine) as connection:
        if _current_revisions(connection) == heads:
            return  # another process upgraded while this one waited
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def _revisions_at_a_glance(engine: Engine) -> set[str]:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows}
    except DBAPIError:  # no table yet
        return set()


def _current_revisions(connection: Connection) -> set[str]:
    # Looks before it selects: on PostgreSQL a failed statement would end the transaction.
    from sqlalchemy import inspect, text

    if not inspect(connection).has_table("alembic_version"):
        return set()
    return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a transaction that no other process migrating holds."""
    from sqlalchemy import text

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
    import fcntl
    import os

    descriptor = os.open(Path(database).parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
