"""Use cases of alerts: evaluate rules, receive Alertmanager alerts, list, acknowledge and
silence alerts, find what is overdue for escalation (metric samples: `monitoring.samples`).

Each use case opens the one transaction it needs; the action layer (notifications,
procedure runs, incidents) runs after it commits, from `monitoring.actions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from opsbook.errors import BadInput, NotFound, TooLarge
from opsbook.inputs import check_text, check_time
from opsbook.monitoring.alert_list import COUNT_CAP, AlertFilter, cursor_after, list_query
from opsbook.monitoring.alert_search import catch_up_batch
from opsbook.monitoring.alertmanager import AmPayload
from opsbook.monitoring.evaluation import RuleAlerts, store_track, track_of
from opsbook.monitoring.ingest import store_notifications
from opsbook.monitoring.lifecycle import ALERTS, AlertEvent, AlertState
from opsbook.monitoring.linking import metric_named
from opsbook.monitoring.matching import match_alert
from opsbook.monitoring.notices import Notice, NoticeKind
from opsbook.monitoring.queries import (
    active_silences,
    alert_view,
    events_of,
    history_line_view,
    move,
    naive,
    note,
    silence_of,
    silence_view,
)
from opsbook.monitoring.rules import evaluate
from opsbook.monitoring.silences import MAX_MATCHER, parse_matcher, silenced_by
from opsbook.monitoring.sources.base import Reading
from opsbook.monitoring.tables import AlertRow, RuleTrackRow, SilenceRow
from opsbook.monitoring.views import (
    AlertHistoryView,
    AlertView,
    IngestResult,
    NotificationView,
    SilenceView,
)
from opsbook.monitoring.windows import MaintenanceWindow
from opsbook.paging import Page, decode_cursor, encode_cursor
from opsbook.runbook.model import ResponseTimes, Runbook
from opsbook.store.timestamps import utc

if TYPE_CHECKING:
    from opsbook.store.database import Database


def evaluate_rules(
    *,
    db: Database,
    runbook: Runbook,
    readings: Mapping[str, Reading],
    windows: tuple[MaintenanceWindow, ...],
    now: datetime,
    skip_kinds: frozenset[str] = frozenset(),
) -> list[Notice]:
    """Advance every rule whose metric was read; return what fired, escalated or resolved.

    Rules on metrics of `skip_kinds` (`prom` when Prometheus evaluates them) are left alone."""
    notices: list[Notice] = []
    with db.transaction() as session:
        tracks = {row.metric: row for row in session.scalars(select(RuleTrackRow))}
        applier = RuleAlerts(session, runbook, active_silences(session, now), windows, now)
        for rule in runbook.alert_rules:
            metric = metric_named(runbook, rule.metric)
            key = metric.id if metric else rule.metric
            reading = readings.get(key)
            if reading is None or (metric is not None and metric.kind in skip_kinds):
                continue
            row = tracks.get(key)
            if row is None:
                row = RuleTrackRow(metric=key, firing=0)
                session.add(row)
                tracks[key] = row
            outcome = evaluate(rule, track_of(row), reading.value, now)
            store_track(row, outcome.track)
            notice = applier.apply(rule, metric, row, outcome)
            if notice is not None:
                notices.append(notice)
    return notices


def ingest_alertmanager(
    *, db: Database, payload: AmPayload, runbook: Runbook, now: datetime
) -> IngestResult:
    """Store an Alertmanager webhook notification (dedup, resolve, group, link)."""
    return ingest_many(db=db, payloads=[payload], runbook=runbook, now=now)[0]


def ingest_many(
    *, db: Database, payloads: list[AmPayload], runbook: Runbook, now: datetime
) -> list[IngestResult]:
    """Store several webhook notifications in one transaction (group commit under floods)."""
    with db.transaction() as session:
        silences = active_silences(session, now)
        return store_notifications(session, payloads, runbook, silences, now)


def list_alerts(
    *,
    db: Database,
    state: str | None = None,
    text: str | None = None,
    origin: str | None = None,
    group: str | None = None,
    issue: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> Page[AlertView]:
    """Return a page of alerts, newest first, with the total: `state` open|any state name,
    `text` searched in name/summary/issue, `group` an Alertmanager groupKey."""
    after = decode_cursor(cursor) if cursor else None
    if text:
        index_alerts(db=db)  # a search never misses an alert stored a moment ago
    where = AlertFilter(state=state, text=text, origin=origin, group=group, issue=issue)
    with db.transaction() as session:
        statements = list_query(where, session.get_bind().dialect.name, after, limit)
        rows = list(session.scalars(statements.rows))
        counted = int(session.scalar(statements.count) or 0)
        items = tuple(alert_view(row) for row in rows[:limit])
    following = cursor_after(rows[limit - 1], where) if len(rows) > limit else None
    return Page(items, min(counted, COUNT_CAP), following, total_exact=counted <= COUNT_CAP)


def index_alerts(*, db: Database) -> int:
    """Bring SQLite's search index up to date, a batch per transaction; return how many."""
    if db.engine.dialect.name != "sqlite":
        return 0  # PostgreSQL keeps its trigram indexes itself
    indexed = 0
    while True:
        with db.transaction() as session:
            done = catch_up_batch(session)
        if not done:
            return indexed
        indexed += done


def count_alerts(*, db: Database, origin: str | None = None) -> dict[str, int]:
    """Return how many alerts are in each state."""
    query = select(AlertRow.state, func.count()).group_by(AlertRow.state)
    if origin:
        query = query.where(AlertRow.origin == origin)
    with db.transaction() as session:
        return {state: int(n) for state, n in session.execute(query)}


def show_alert(*, db: Database, alert_id: int) -> AlertHistoryView:
    """Return one alert with its history and notification attempts (NotFound if none)."""
    # lazy: keeps notify.tables off the start-up of `opsbook alerts list`
    from opsbook.notify.tables import AttemptRow

    with db.transaction() as session:
        row = _alert(session, alert_id)
        attempts = session.scalars(
            select(AttemptRow).where(AttemptRow.alert_id == alert_id).order_by(AttemptRow.id)
        )
        return AlertHistoryView(
            **vars(alert_view(row)),
            history=tuple(history_line_view(e) for e in events_of(session, alert_id)),
            notifications=tuple(
                NotificationView(a.channel, a.target, a.attempt, a.ok, a.error, utc(a.at))
                for a in attempts
            ),
        )


def acknowledge(*, db: Database, alert_id: int, by: str, now: datetime) -> AlertView:
    """Acknowledge a firing alert (NotFound; TransitionRefused says why not); stops escalation."""
    with db.transaction() as session:
        row = _alert(session, alert_id)
        move(session, row, AlertEvent.ACKNOWLEDGE, now, actor=by)
        row.acknowledged_by, row.acknowledged_at = by, naive(now)
        return alert_view(row)


def add_note(*, db: Database, alert_id: int, text: str, by: str, now: datetime) -> None:
    """Add a note to an alert's history (NotFound if there is no such alert)."""
    with db.transaction() as session:
        _alert(session, alert_id)
        note(session, alert_id, "note", now, actor=by, detail=text)


def _alert(session: Session, alert_id: int) -> AlertRow:
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}; see `opsbook alerts list`")
    return row


# A silence holds a year at most: one meant to last longer hides a problem for good, and the
# bound keeps its end a time every database can store.
MAX_SILENCE_SECONDS = 366 * 86400
MAX_MATCHERS = 20
MAX_COMMENT = 2000


def add_silence(
    *, db: Database, matchers: list[str], duration: float, by: str, comment: str, now: datetime
) -> SilenceView:
    """Silence alerts matching every matcher for `duration` seconds; mute open ones now.

    BadInput (MatcherError, TooLarge) says what is wrong; nothing is stored then."""
    if not matchers:
        raise BadInput('a silence needs at least one matcher, such as alertname="Disk usage"')
    if len(matchers) > MAX_MATCHERS:
        raise TooLarge(f"a silence has {len(matchers)} matchers; at most {MAX_MATCHERS}")
    texts = [check_text(m, field="a matcher", max_length=MAX_MATCHER) for m in matchers]
    parsed = [parse_matcher(text) for text in texts]
    check_text(comment, field="comment", max_length=MAX_COMMENT)
    if not 0 < duration <= MAX_SILENCE_SECONDS:  # NaN and infinity fail this too
        raise BadInput(
            f"a silence lasts more than 0 seconds and at most {MAX_SILENCE_SECONDS // 86400} "
            f"days, not {duration:g} seconds",
            "give a duration such as 2h or 3 days",
        )
    ends = check_time(now + timedelta(seconds=duration), field="the silence's end")
    silenced: list[int] = []
    with db.transaction() as session:
        row = SilenceRow(
            matchers=[str(m) for m in parsed],
            starts_at=naive(now),
            ends_at=naive(ends),
            created_by=by,
            comment=comment,
        )
        session.add(row)
        session.flush()

        silence = silence_of(row)
        mutable = [str(state) for state in ALERTS.sources(AlertEvent.SILENCE)]
        for alert in session.scalars(select(AlertRow).where(AlertRow.state.in_(mutable))):
            if silenced_by([silence], alert.labels, now):
                move(
                    session,
                    alert,
                    AlertEvent.SILENCE,
                    now,
                    actor=by,
                    detail=f"silence #{row.id}: {comment}",
                )
                alert.silence_id = row.id
                silenced.append(alert.id)
        return silence_view(row, tuple(silenced))


def list_silences(
    *, db: Database, now: datetime, limit: int = 100, cursor: str | None = None
) -> Page[SilenceView]:
    """Return a page of the silences in force, ending soonest first, with their total."""
    moment = naive(now)
    query = select(SilenceRow).where(SilenceRow.ends_at > moment, SilenceRow.starts_at <= moment)
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        if cursor:
            at, row_id = decode_cursor(cursor)
            key = tuple_(SilenceRow.ends_at, SilenceRow.id)
            query = query.where(key > tuple_((at or moment).replace(tzinfo=UTC), row_id))
        order = (SilenceRow.ends_at, SilenceRow.id)
        rows = list(session.scalars(query.order_by(*order).limit(limit + 1)))
        items = tuple(silence_view(r) for r in rows[:limit])
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items, total, encode_cursor(last.ends_at, last.id) if last else None)


def end_silences(*, db: Database, now: datetime) -> list[Notice]:
    """Bring back alerts whose silence ended; they fire again and notify."""
    notices: list[Notice] = []
    with db.transaction() as session:
        live = {s.id for s in active_silences(session, now)}
        query = select(AlertRow).where(AlertRow.state == AlertState.SILENCED.value)
        for row in session.scalars(query):
            if row.silence_id in live:
                continue
            move(session, row, AlertEvent.UNSILENCE, now, detail=f"silence #{row.silence_id} ended")
            row.silence_id = None
            if row.origin == "rule":
                notices.append(
                    Notice(
                        NoticeKind.FIRED,
                        row.id,
                        row.name,
                        row.severity,
                        row.summary,
                        None,
                        row.issue,
                    )
                )
    return notices


RESPONSE_BY_SEVERITY = {
    "critical": "critical",
    "high": "high",
    "error": "high",
    "warning": "medium",
    "medium": "medium",
    "low": "low",
    "info": "low",
}


def response_time(times: ResponseTimes, severity: str) -> float | None:
    """Return the runbook's alert response time for a severity (critical -> Critical, ...)."""
    priority = RESPONSE_BY_SEVERITY.get(severity.lower(), "medium")
    value: float | None = getattr(times, priority)
    return value


def mark_notified(*, db: Database, alert_id: int, now: datetime) -> None:
    """Record that people were notified of an alert (the response time starts)."""
    with db.transaction() as session:
        row = session.get(AlertRow, alert_id)
        if row is not None and row.notified_at is None:
            row.notified_at = naive(now)


def due_escalations(*, db: Database, runbook: Runbook, now: datetime) -> list[Notice]:
    """Return firing alerts nobody acknowledged within their response time (once each).

    Only a paged alert has `notified_at`: of an Alertmanager group, the one its page named."""
    notices: list[Notice] = []
    with db.transaction() as session:
        query = select(AlertRow).where(
            AlertRow.state == AlertState.FIRING.value,
            AlertRow.notified_at.is_not(None),
            AlertRow.escalated_at.is_(None),
        )
        for row in session.scalars(query):
            limit = response_time(runbook.response_times, row.severity)
            notified = utc(row.notified_at)
            if limit is None or notified is None or (now - notified).total_seconds() < limit:
                continue
            row.escalated_at = naive(now)
            note(
                session,
                row.id,
                "escalated",
                now,
                detail=f"not acknowledged within {limit:g}s; paging the backup contact",
            )
            match = match_alert(
                runbook,
                origin=row.origin,
                metric=row.metric,
                issue=row.issue,
                severity=row.severity,
            )
            rule = match.rule if match is not None else None
            notices.append(
                Notice(
                    NoticeKind.UNACKNOWLEDGED,
                    row.id,
                    row.name,
                    row.severity,
                    row.summary,
                    rule,
                    row.issue,
                )
            )
    return notices


def add_event(*, db: Database, alert_id: int, kind: str, detail: str, now: datetime) -> None:
    """Record what opsbook did about an alert (notified, ran, opened an incident)."""
    with db.transaction() as session:
        note(session, alert_id, kind, now, detail=detail)


def claim_run(*, db: Database, alert_id: int) -> bool:
    """Reserve the alert's one procedure run; False if it already has one (once per firing)."""
    claim = update(AlertRow).where(AlertRow.id == alert_id, AlertRow.run_id.is_(None))
    with db.transaction() as session:
        result = session.execute(
            claim.values(run_id=0), execution_options={"synchronize_session": False}
        )
        return bool(getattr(result, "rowcount", 0))


def attach_run(*, db: Database, alert_id: int, run_id: int, procedure: str, now: datetime) -> None:
    """Link the run an alert started, so each shows the other."""
    with db.transaction() as session:
        row = session.get(AlertRow, alert_id)
        if row is not None:
            row.run_id = run_id
            note(session, alert_id, "run", now, detail=f"started {procedure}: run {run_id}")
