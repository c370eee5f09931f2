"""The alert list's query: its filters, its text search and its order, newest first.

The order is (updated_at, id) descending and a page continues strictly after the last row
shown (`opsbook.paging`); migration 0006 indexes exactly these orders and filters, so a
page costs the same at a million alerts as at a hundred.

The search finds `text` anywhere in the name, summary or issue, ignoring case. On SQLite
it asks the trigram index `alerts_search` (FTS5), which needs three characters at least;
shorter texts, and PostgreSQL (whose pg_trgm indexes serve ILIKE itself), use ILIKE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Integer, Select, column, or_, select, text, tuple_

from opsbook.monitoring.lifecycle import OPEN
from opsbook.monitoring.tables import AlertRow

_TRIGRAM = 3  # the shortest text the trigram index can find
_SEARCH = text("SELECT rowid FROM alerts_search WHERE alerts_search MATCH :phrase")


@dataclass(frozen=True)
class AlertFilter:
    """What the list is narrowed to; None everywhere lists every alert."""

    state: str | None = None  # a state name, or "open" for every open state
    text: str | None = None
    origin: str | None = None
    group: str | None = None
    issue: str | None = None  # the troubleshooting issue the alert links to


def filtered(where: AlertFilter, dialect: str) -> Select[AlertRow]:
    """Return the alerts that pass the filter, unordered."""
    query = select(AlertRow)
    if where.group:
        query = query.where(AlertRow.group_key == where.group)
    if where.state == "open":
        query = query.where(AlertRow.state.in_([s.value for s in OPEN]))
    elif where.state:
        query = query.where(AlertRow.state == where.state)
    if where.issue:
        query = query.where(AlertRow.issue == where.issue)
    if where.origin:
        query = query.where(AlertRow.origin == where.origin)
    if where.text:
        query = query.where(search(where.text, dialect))
    return query


def search(words: str, dialect: str) -> ColumnElement[bool]:
    """Return the condition 'name, summary or issue contains `words`, ignoring case'."""
    if dialect == "sqlite" and len(words) >= _TRIGRAM:
        phrase = '"' + words.replace('"', '""') + '"'
        return AlertRow.id.in_(_SEARCH.bindparams(phrase=phrase).columns(column("rowid", Integer)))
    like = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        AlertRow.name.ilike(like, escape="\\"),
        AlertRow.summary.ilike(like, escape="\\"),
        AlertRow.issue.ilike(like, escape="\\"),
    )


def newest_first(
    query: Select[AlertRow], after: tuple[datetime | None, int] | None, limit: int
) -> Select[AlertRow]:
    """Order newest first and return `limit` rows after the cursor's key."""
    if after is not None:
        at, row_id = after
        if at is None:
            query = query.where(AlertRow.id < row_id)
        else:
            key = tuple_(AlertRow.updated_at, AlertRow.id)
            query = query.where(key < tuple_(at.replace(tzinfo=UTC), row_id))
    return query.order_by(AlertRow.updated_at.desc(), AlertRow.id.desc()).limit(limit)
