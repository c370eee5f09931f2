"""Use cases of metric samples: store readings (with retention), latest status, series."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from opsbook.monitoring.queries import naive
from opsbook.monitoring.sources.base import Reading
from opsbook.monitoring.tables import LeaseRow, SampleRow
from opsbook.runbook.model import Runbook
from opsbook.store.timestamps import utc

if TYPE_CHECKING:
    from opsbook.store.database import Database


def record_readings(
    *, db: Database, readings: list[Reading], now: datetime, retention: float
) -> int:
    """Store one sample per series (or the error), drop samples past retention; return count."""
    moment = naive(now)
    rows: list[dict[str, Any]] = []
    for reading in readings:
        if reading.error is not None:
            rows.append(
                {
                    "metric": reading.metric,
                    "series": "value",
                    "at": moment,
                    "value": None,
                    "error": reading.error[:2000],
                }
            )
        rows += [
            {
                "metric": reading.metric,
                "series": series,
                "at": moment,
                "value": value,
                "error": None,
            }
            for series, value in reading.values.items()
        ]
    with db.transaction() as session:
        if rows:
            session.execute(insert(SampleRow), rows)
        cutoff = naive(now - timedelta(seconds=retention))
        session.execute(delete(SampleRow).where(SampleRow.at < cutoff))
    return len(rows)


def metric_status(
    *, db: Database, runbook: Runbook, now: datetime, stale_after: float
) -> list[dict[str, Any]]:
    """Return each Key Metric's latest value, error, and whether it is stale."""
    out = []
    # One statement per metric, columns only: the overview runs this on every load.
    query = (
        select(SampleRow.at, SampleRow.value, SampleRow.error)
        .where(SampleRow.metric == bindparam("metric"), SampleRow.series == "value")
        .order_by(SampleRow.at.desc())
        .limit(1)
    )
    with db.transaction() as session:
        for metric in runbook.metrics:
            last = session.execute(query, {"metric": metric.id}).first()
            at = utc(last.at) if last else None
            stale = at is None or (now - at).total_seconds() > stale_after
            out.append(
                {
                    "metric": metric.id,
                    "name": metric.name,
                    "source": metric.source,
                    "value": last.value if last else None,
                    "error": last.error if last else None,
                    "at": at.isoformat() if at else None,
                    "stale": stale,
                }
            )
    return out


def series(
    *, db: Database, metric: str, since: datetime, name: str = "value"
) -> list[tuple[datetime, float | None]]:
    """Return a metric's samples since a moment, oldest first (None where reading failed)."""
    query = select(SampleRow.at, SampleRow.value).where(
        SampleRow.metric == metric, SampleRow.series == name, SampleRow.at >= naive(since)
    )
    with db.transaction() as session:
        rows = session.execute(query.order_by(SampleRow.at)).all()
    return [(utc(at) or at, value) for at, value in rows]


def hold_lease(*, db: Database, name: str, holder: str, now: datetime, ttl: float) -> bool:
    """Take or renew the lease `name` for `holder` until now + ttl; False if another holds it.

    With several `opsbook serve` processes on one PostgreSQL, only the holder collects and
    evaluates, so an alert is never raised (or notified) twice.
    """
    moment, until = naive(now), naive(now + timedelta(seconds=ttl))
    take = (
        update(LeaseRow)
        .where(LeaseRow.name == name, or_(LeaseRow.holder == holder, LeaseRow.expires_at < moment))
        .values(holder=holder, expires_at=until)
    )
    options = {"synchronize_session": False}
    with db.transaction() as session:
        if getattr(session.execute(take, execution_options=options), "rowcount", 0):
            return True
        if session.get(LeaseRow, name) is not None:
            return False
    try:
        with db.transaction() as session:
            session.add(LeaseRow(name=name, holder=holder, expires_at=until))
    except IntegrityError:  # another server created it first
        return False
    return True
