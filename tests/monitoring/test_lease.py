"""Several servers on one database: only the lease holder runs monitoring."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from opsbook.monitoring.samples import hold_lease
from opsbook.store.database import Database, open_database

PG_URL = os.environ.get("OPSBOOK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def pg() -> Iterator[Database]:
    """A database on PostgreSQL in a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}; CI needs it: {exc}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"monitoring_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = open_database(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield database
    finally:
        database.dispose()
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def take_turns(db: Database) -> None:
    assert hold_lease(db=db, name="monitoring", holder="a", now=T0, ttl=90)
    assert not hold_lease(db=db, name="monitoring", holder="b", now=T0, ttl=90)
    assert hold_lease(db=db, name="monitoring", holder="a", now=T0 + timedelta(seconds=30), ttl=90)
    assert not hold_lease(
        db=db, name="monitoring", holder="b", now=T0 + timedelta(seconds=100), ttl=90
    )
    # a stopped renewing (its server died): b takes over once the lease ran out.
    assert hold_lease(db=db, name="monitoring", holder="b", now=T0 + timedelta(seconds=121), ttl=90)
    assert not hold_lease(
        db=db, name="monitoring", holder="a", now=T0 + timedelta(seconds=122), ttl=90
    )


def test_one_holder_at_a_time_on_sqlite(db: Database) -> None:
    take_turns(db)


def test_one_holder_at_a_time_on_postgresql(pg: Database) -> None:
    take_turns(pg)


def test_racing_servers_on_postgresql_get_one_lease(pg: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        won = list(
            pool.map(
                lambda i: hold_lease(db=pg, name="monitoring", holder=f"s{i}", now=T0, ttl=90),
                range(8),
            )
        )
    assert won.count(True) == 1
