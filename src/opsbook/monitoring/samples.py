"""Use cases of metric samples: store readings (with retention), latest status, series,
and the lease that says which server collects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from opsbook.errors import NotFound
from opsbook.monitoring.linking import rule_for_metric
from opsbook.monitoring.queries import naive
from opsbook.monitoring.rules import Level, level_of
from opsbook.monitoring.sources.base import Reading
from opsbook.monitoring.tables import AlertEventRow, AlertRow, LeaseRow, SampleRow
from opsbook.monitoring.views import MetricStatusView, SeriesView
from opsbook.runbook.model import AlertRule, Runbook, Threshold
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
) -> list[MetricStatusView]:
    """Return each Key Metric's latest value, error, whether it is stale, and its thresholds."""
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
            rule = rule_for_metric(runbook, metric.id)
            out.append(
                MetricStatusView(
                    metric=metric.id,
                    name=metric.name,
                    source=metric.source,
                    value=last.value if last else None,
                    error=last.error if last else None,
                    at=at,
                    stale=at is None or (now - at).total_seconds() > stale_after,
                    warning=_shown(rule.warning) if rule else None,
                    critical=_shown(rule.critical) if rule else None,
                    level=_crossed(rule, last.value if last else None),
                )
            )
    return out


def _crossed(rule: AlertRule | None, value: float | None) -> str:
    return level_of(rule, value).label if rule and value is not None else Level.OK.label


def _shown(threshold: Threshold | None) -> str | None:
    return f"{threshold.op} {threshold.value:g}" if threshold else None


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


# A chart spans at least this much time, so one sample or a few sit in a readable window.
LEAST_SPAN = 3600.0


def chart_span(
    times: Sequence[float],
    until: float,
    *,
    fires_at: float | None = None,
    least: float = LEAST_SPAN,
) -> tuple[float, float]:
    """Return a chart's time axis: all its samples, at least the `least` seconds to `until`,
    and on to `fires_at`, when a pending alert fires if its value stays over the line."""
    start, end = until - least, max(until, fires_at or until)
    if times:
        start, end = min(start, times[0]), max(end, times[-1])
    return start, end


def metric_series(
    *,
    db: Database,
    runbook: Runbook,
    metric_id: str,
    since: datetime,
    until: datetime,
    name: str = "value",
) -> SeriesView:
    """Return a Key Metric's samples since a moment with its rule's lines, hold and alert
    marks, and the time axis to draw them on (NotFound if the runbook has no such metric)."""
    metric = next((m for m in runbook.metrics if m.id == metric_id), None)
    if metric is None:
        raise NotFound(f"no metric {metric_id!r} in the runbook's Key Metrics")
    points = series(db=db, metric=metric.id, since=since, name=name)
    rule = rule_for_metric(runbook, metric.id) if name == "value" else None
    times = tuple(at.timestamp() for at, _ in points)
    marks = alert_marks(db=db, metric=metric.id, since=since) if rule else []
    pending = tuple(at for kind, at in marks if kind == "pending")
    # Still pending (its last mark): the hold ends in the future, and the chart shows it.
    last = marks[-1] if marks else None
    fires_at = last[1] + rule.for_seconds if rule and last and last[0] == "pending" else None
    start, end = chart_span(times, until.timestamp(), fires_at=fires_at)
    return SeriesView(
        metric=metric.id,
        series=name,
        times=times,
        values=tuple(v for _, v in points),
        warning=rule.warning.value if rule and rule.warning else None,
        critical=rule.critical.value if rule and rule.critical else None,
        start=start,
        end=end,
        hold=rule.for_seconds if rule else None,
        pending=pending,
        fired=tuple(at for kind, at in marks if kind == "firing"),
    )


def alert_marks(*, db: Database, metric: str, since: datetime) -> list[tuple[str, float]]:
    """Return when a metric's alerts went pending, fired and resolved since a moment, oldest
    first, in Unix seconds."""
    query = (
        select(AlertEventRow.kind, AlertEventRow.at)
        .join(AlertRow, AlertRow.id == AlertEventRow.alert_id)
        .where(
            AlertRow.metric == metric,
            AlertEventRow.kind.in_(("pending", "firing", "resolved")),
            AlertEventRow.at >= naive(since),
        )
        .order_by(AlertEventRow.at, AlertEventRow.id)
    )
    with db.transaction() as session:
        return [(kind, (utc(at) or at).timestamp()) for kind, at in session.execute(query)]


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
