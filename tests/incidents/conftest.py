"""Fixtures for incident tests: the example runbook, real SQLite and PostgreSQL databases."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsbook.runbook.loader import load_runbook
from opsbook.runbook.model import Runbook
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
