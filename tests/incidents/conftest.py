"""Fixtures for incident tests: the example runbook, real SQLite and PostgreSQL databases, and
the app on them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service as access
from opsbook.access.roles import Role
from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState
from tests.incidents.smtp import smtp  # noqa: F401  (a fixture: a real SMTP server)
from tests.postgres import fresh_schema

EXAMPLE = Path(__file__).parents[2] / "examples" / "tinyweb" / "RUNBOOK.md"


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
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    with fresh_schema("incidents") as url:
        yield url


@pytest.fixture(autouse=True)
def _forget_the_alert_hook() -> Iterator[None]:
    """The server registers its incident opener process-wide; leave none behind."""
    yield
    from opsbook.monitoring.hooks import set_incident_opener

    set_incident_opener(None)


@pytest.fixture
def admin(book_path: Path, database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of the app on `database` (no worker: nothing runs by itself), an admin's header."""
    now = datetime.now(UTC)
    state = AppState(db=database, source=RunbookSource.load(book_path, now))
    state.run_worker = False
    _, token = access.create_token(database, name="boss", role=Role.ADMIN, created_by="t", now=now)
    with TestClient(create_app(state), base_url="http://127.0.0.1") as client:
        yield client, {"Authorization": f"Bearer {token}"}
