"""Several servers on one database: only the lease holder runs monitoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opsbook.monitoring.samples import hold_lease
from opsbook.store.database import Database

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


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
