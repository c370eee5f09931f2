"""Fixtures for incident tests: the example runbook, real SQLite and PostgreSQL databases."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database, open_database
from tests.incidents.smtp import smtp  # noqa: F401  (a fixture: a real SMTP server)

EXAMPLE = Path(__file__).parents[2] / "examples" / "tinyweb" / "RUNBOOK.md"
PG_URL = os.environ.get("OPSBOOK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    """A private copy of the example runbook."""
    target = tmp_path / "tinyweb" / "RUNBOOK.md"
    target.parent.mkdir()
    shutil.copy(EXAMPLE, target)
    return target


@pytest.fixture
def book(book_path: Path) -> Runbook:
    return load_runbook(book_path)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'state' / 'opsbook.db'}")
    yield database
    database.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # an unreachable server
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}; CI needs it: {exc}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"incidents_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(autouse=True)
def _forget_the_alert_hook() -> Iterator[None]:
    """The server registers its incident opener process-wide; leave none behind."""
    yield
    from opsbook.monitoring.hooks import set_incident_opener

    set_incident_opener(None)
