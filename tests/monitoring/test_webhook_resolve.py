"""A webhook's "resolved" moves a stored alert through the alert lifecycle, nothing else."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from opsbook.monitoring import service
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.monitoring.lifecycle import ALERTS, AlertEvent, AlertState
from opsbook.monitoring.tables import AlertEventRow, AlertRow
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from opsbook.store.timestamps import utc
from tests.monitoring.conftest import am_alert, am_payload

NOW = datetime(2026, 11, 27, 3, 30, tzinfo=UTC)


def fire(db: Database, runbook: Runbook) -> int:
    """Store one firing Alertmanager alert; return its id."""
    payload = AmPayload.model_validate(am_payload([am_alert(1)]))
    service.ingest_alertmanager(db=db, payload=payload, runbook=runbook, now=NOW)
    with db.transaction() as session:
        return session.scalars(select(AlertRow.id)).one()


def resolve(db: Database, runbook: Runbook, at: datetime) -> int:
    """Send "resolved" for that alert; return how many alerts the webhook says it resolved."""
    payload = AmPayload.model_validate(am_payload([am_alert(1, "resolved")], status="resolved"))
    return service.ingest_alertmanager(db=db, payload=payload, runbook=runbook, now=at).resolved


def state_and_history(db: Database, alert_id: int) -> tuple[str, list[str]]:
    with db.transaction() as session:
        row = session.get(AlertRow, alert_id)
        assert row is not None
        query = select(AlertEventRow.kind).where(AlertEventRow.alert_id == alert_id)
        return row.state, list(session.scalars(query.order_by(AlertEventRow.id)))


@pytest.mark.parametrize("state", list(AlertState))
def test_resolved_moves_each_state_as_the_lifecycle_table_says(
    database: Database, runbook: Runbook, state: AlertState
) -> None:
    alert_id = fire(database, runbook)
    with database.transaction() as session:
        row = session.get(AlertRow, alert_id)
        assert row is not None
        row.state = state.value

    closed = resolve(database, runbook, NOW + timedelta(minutes=5))

    after, history = state_and_history(database, alert_id)
    if ALERTS.allows(state, AlertEvent.RESOLVE):
        expected = ALERTS.moves[state][AlertEvent.RESOLVE]
        assert (after, history, closed) == (expected, [str(expected)], 1)
    else:  # the table refuses: the webhook changes nothing and says it resolved nothing
        assert (after, history, closed) == (state, [], 0)


def test_a_resolve_that_lost_the_race_leaves_the_winners_end_time(
    pg: Database, runbook: Runbook
) -> None:
    alert_id = fire(pg, runbook)
    winner_end = datetime(2026, 11, 27, 3, 20, tzinfo=UTC)
    # Another server resolves the alert and holds its row until it commits ...
    other = pg.engine.connect()
    other.execute(
        text("UPDATE alerts SET state = 'resolved', ends_at = :end WHERE id = :id"),
        {"end": winner_end, "id": alert_id},
    )
    # ... while this one read the alert as firing and waits on the row to resolve it too.
    late = threading.Thread(target=resolve, args=(pg, runbook, NOW + timedelta(minutes=5)))
    late.start()
    late.join(timeout=1)
    assert late.is_alive(), "the webhook's resolve should wait on the other server's row lock"
    other.commit()
    other.close()
    late.join(timeout=30)
    assert not late.is_alive()

    with pg.transaction() as session:
        row = session.get(AlertRow, alert_id)
        assert row is not None
        assert (row.state, utc(row.ends_at)) == ("resolved", winner_end)
