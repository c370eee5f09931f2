"""The database: where it lives, how to connect, and the one transaction per use case.

SQLite (WAL) in the state directory by default; `OPSBOOK_DATABASE_URL` selects PostgreSQL
(`postgresql+psycopg://...`). The schema is managed by Alembic; `open_database` brings it
up to date before handing out sessions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker


def state_dir(runbook_path: Path, environ: Mapping[str, str]) -> Path:
    """Return where opsbook keeps state: $OPSBOOK_HOME, else `.opsbook/` beside the runbook."""
    home = environ.get("OPSBOOK_HOME")
    return Path(home) if home else runbook_path.resolve().parent / ".opsbook"


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
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import sessionmaker

    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
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


_VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(.+)$", re.MULTILINE)


def known_heads() -> set[str]:
    """Return the head revisions of the migration files, read without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in _VERSIONS.glob("*.py"):
        for key, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            names = set(re.findall(r"[\"']([^\"']+)[\"']", value))
            (revisions if key == "revision" else parents).update(names)
    return revisions - parents


def _current_revisions(engine: Engine) -> set[str]:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows}
    except DBAPIError:
        return set()


def upgrade(engine: Engine) -> None:
    """Bring the schema to every head revision (domains add their own branches)."""
    # Every CLI call opens the database; loading Alembic costs more than the command
    # itself, so it is only loaded when the schema is behind.
    if _current_revisions(engine) == known_heads():
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def open_for(runbook_path: Path, environ: Mapping[str, str] | None = None) -> Database:
    """Open the database that belongs to a runbook, honouring the environment."""
    env = os.environ if environ is None else environ
    return open_database(database_url(state_dir(runbook_path, env), env))
