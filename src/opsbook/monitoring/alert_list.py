"""The alert list's query: its filters, its text search and its order, newest first.

The order is (updated_at, id) descending and a page continues strictly after the last row
shown (`opsbook.paging`); migration 0006 indexes exactly these orders and filters, so a
page costs the same at a million alerts as at a hundred.

The search finds `text` anywhere in the name, summary or issue, ignoring case, through a
trigram index: `alerts_search` (FTS5) on SQLite, pg_trgm's indexes under ILIKE on
PostgreSQL. A trigram index needs three characters, so a search does too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    TextClause,
    column,
    func,
    or_,
    select,
    table,
    text,
    tuple_,
)

from opsbook.errors import BadInput
from opsbook.monitoring.lifecycle import OPEN
from opsbook.monitoring.tables import AlertRow
from opsbook.paging import encode_cursor

_TRIGRAM = 3  # the shortest text a trigram index can find
COUNT_CAP = 10_000  # a total beyond this is given as "at least"; counting on costs a scan
_FTS = table("alerts_search", column("rowid", Integer))
_MATCH = text("alerts_search MATCH :phrase")


@dataclass(frozen=True)
class AlertFilter:
    """What the list is narrowed to; None everywhere lists every alert."""

    state: str | None = None  # a state name, or "open" for every open state
    text: str | None = None
    origin: str | None = None
    group: str | None = None
    issue: str | None = None  # the troubleshooting issue the alert links to


@dataclass(frozen=True)
class ListQuery:
    """The statements of one page: its rows (one more than asked) and its bounded total."""

    rows: Select[AlertRow]
    count: Select[Any]


def list_query(
    where: AlertFilter, dialect: str, after: tuple[datetime | None, int] | None, limit: int
) -> ListQuery:
    """Return the page's statements: newest first, strictly after the cursor's key.

    A list is ordered by the last change (updated_at, then id); a search by when the alert
    was first stored (id), the order the trigram index reads in, so a page of a search
    that matches a third of a million alerts costs one page of reading, not a sort.
    """
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
    if where.text is None:
        order: tuple[Any, ...] = (AlertRow.updated_at, AlertRow.id)  # columns, ORM or core
    elif dialect == "sqlite":
        query = query.join(_FTS, _FTS.c.rowid == AlertRow.id).where(_match(where.text))
        order = (_FTS.c.rowid,)
    else:
        query = query.where(_contains(where.text))
        order = (AlertRow.id,)
    # Counting ids lets the planner read a covering index instead of the rows.
    ids = query.with_only_columns(AlertRow.id).limit(COUNT_CAP + 1)
    counted = select(func.count()).select_from(ids.subquery())
    if after is not None:
        query = query.where(_after(order, after))
    rows = query.order_by(*(key.desc() for key in order)).limit(limit + 1)
    return ListQuery(rows, counted)


def cursor_after(row: AlertRow, where: AlertFilter) -> str:
    """Return the cursor of the page after `row`, in the order `list_query` reads."""
    return encode_cursor(None if where.text else row.updated_at, row.id)


def _after(order: tuple[Any, ...], after: tuple[datetime | None, int]) -> ColumnElement[bool]:
    at, row_id = after
    if len(order) == 1 or at is None:
        last: ColumnElement[int] = order[-1]
        return last < row_id
    return tuple_(*order) < tuple_(at.replace(tzinfo=UTC), row_id)


def _match(words: str) -> TextClause:
    """Return the trigram index's condition: the phrase, quotes doubled, as plain text."""
    _check_length(words)
    return _MATCH.bindparams(phrase='"' + words.replace('"', '""') + '"')


def _contains(words: str) -> ColumnElement[bool]:
    """Return 'name, summary or issue contains `words`, ignoring case' for ILIKE."""
    _check_length(words)
    like = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        AlertRow.name.ilike(like, escape="\\"),
        AlertRow.summary.ilike(like, escape="\\"),
        AlertRow.issue.ilike(like, escape="\\"),
    )


def _check_length(words: str) -> None:
    if len(words) < _TRIGRAM:
        raise BadInput(
            f"search for at least {_TRIGRAM} characters, not {words!r}",
            hint="a shorter text matches too much to be useful; add a character or two",
        )
