"""Fixtures shared by every test package."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from opsbook.store.database import Database, open_database
from opsbook.store.private import private_file

pytest_plugins = ["pytester", "tests.e2e.sshd", "tests.tiers"]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database the migrations brought to their heads, made once per session."""
    path = tmp_path_factory.mktemp("migrated") / "opsbook.db"
    open_database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def db(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Database]:
    """A real SQLite database in tmp_path/state, a copy of the migrated one (Alembic is slow)."""
    path = private_file(tmp_path / "state" / "opsbook.db")
    with (
        closing(sqlite3.connect(migrated_sqlite)) as source,
        closing(sqlite3.connect(path)) as copy,
    ):
        source.backup(copy)
    database = open_database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """The database on SQLite (the db fixture), then on PostgreSQL in a fresh schema."""
    if request.param == "sqlite":
        yield request.getfixturevalue("db")
        return
    # Here, not at the top: tests.postgres imports tests.tiers, which pytest must import
    # first, as a plugin of this file.
    from tests.postgres import fresh_schema

    with fresh_schema(request.module.__name__.rsplit(".", 1)[-1]) as url:
        on_postgresql = open_database(url)
        yield on_postgresql
        on_postgresql.dispose()
