"""A fresh schema on the machine's PostgreSQL for one test; CI fails without the server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.tiers import note_outside

PG_URL = os.environ.get("OPSBOOK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_schema(prefix: str) -> Iterator[str]:
    """Yield a URL whose search_path is a new schema, dropped afterwards.

    Without a reachable server the test is skipped, or failed under CI=true: CI must never
    pass by leaving PostgreSQL out.
    """
    from sqlalchemy import create_engine, text

    note_outside("opened a PostgreSQL schema")
    engine = create_engine(PG_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # an unreachable server
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}; CI needs it: {exc}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
