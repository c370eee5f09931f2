"""The database: where it lives, how to connect, and the one transaction per use case.

SQLite (WAL) in the state directory by default; `OPSBOOK_DATABASE_URL` selects PostgreSQL
(`postgresql+psycopg://...`). The schema is managed by Alembic; `open_database` brings it
up to date before handing out sessions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker


def state_dir(runbook_path: Path, environ: Mapping[str, str]) -> Path:
    """Return where opsbook keeps state: $OPSBOOK_HOME, else `.opsbook/` beside the runbook
    (inside a folder of runbooks that is served)."""
    home = environ.get("OPSBOOK_HOME")
    if home:
        return Path(home)
    resolved = runbook_path.resolve()
    return (resolved if resolved.is_dir() else resolved.parent) / ".opsbook"


def database_url(state: Path, environ: Mapping[str, str]) -> str:
    """Return $OPSBOOK_DATABASE_URL, else a SQLite file in the state directory."""
    url = environ.get("OPSBOOK_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    return f"sqlite:///{state / 'opsbook.db'}"


@dataclass
class Database:
    """An engine and its session factory."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Open the one transaction of a use case: commit on success, roll back on error."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, migrate: bool = True) -> Database:
    """Connect, apply SQLite's durability settings, and upgrade the schema."""
    # lazy: off the start-up of a plain `opsbook run`: sqlalchemy, store.migrate, store.private
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import sessionmaker

    from opsbook.store.migrate import upgrade
    from opsbook.store.private import private_file

    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            # SQLite makes its -wal and -shm files with the database file's permissions.
            private_file(Path(path))
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    if migrate:
        upgrade(engine)
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL keeps readers going while a run writes; synchronous=NORMAL in WAL mode still
    # never corrupts and loses nothing a committed transaction wrote on process crash.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_for(runbook_path: Path, environ: Mapping[str, str] | None = None) -> Database:
    """Open the database that belongs to a runbook, honouring the environment."""
    env = os.environ if environ is None else environ
    return open_database(database_url(state_dir(runbook_path, env), env))
