"""Fixtures for the web tests: a real app on a real SQLite database, and tokens per role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.access import service
from opsbook.access.roles import Role
from opsbook.store.database import Database
from opsbook.web.app import create_app
from opsbook.web.runbook_source import RunbookSource
from opsbook.web.state import AppState

DATA = Path(__file__).parent / "data"


@pytest.fixture
def runbook_path(tmp_path: Path) -> Path:
    target = tmp_path / "RUNBOOK.md"
    shutil.copy(DATA / "RUNBOOK.md", target)
    return target


@pytest.fixture
def state(runbook_path: Path, db: Database) -> AppState:
    return AppState(db=db, source=RunbookSource.load(runbook_path, datetime.now(UTC)))


@pytest.fixture
def client(state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(state), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def tokens(db: Database) -> dict[str, str]:
    """One token per role, keyed by the role's name."""
    now = datetime.now(UTC)
    made = {}
    for role in Role:
        _, token = service.create_token(
            db, name=f"{role.value}-user", role=role, created_by="test", now=now
        )
        made[role.value] = token
    return made


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
