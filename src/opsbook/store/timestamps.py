"""Timestamps as the store hands them back: SQLite gives naive datetimes, PostgreSQL aware."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime | None) -> datetime | None:
    """Return the moment as aware UTC (a naive value from SQLite is taken as UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """Return the moment as an ISO 8601 UTC string, or None."""
    aware = utc(moment)
    return aware.isoformat() if aware else None
