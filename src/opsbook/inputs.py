"""Values from outside, checked at the edge: text, integers and times.

Pure. Every face (CLI, API, forms, webhooks, resume, alert-started runs) passes outside text
through `check_text` before it is stored or reaches a shell, so nothing stored can break a later
read: no NUL (PostgreSQL refuses it, and it would end a field on the session shell's wire), no
lone surrogate (not encodable as UTF-8), and a bounded length.
"""

from __future__ import annotations

from datetime import UTC, datetime

from opsbook.errors import BadInput, TooLarge

# Bounds a database column and an SQLite INTEGER both hold: PostgreSQL's INTEGER is 32-bit.
MAX_ID = 2**31 - 1
# Times outside these years are not times anything of ours happened at.
EARLIEST_YEAR = 1970
LATEST_YEAR = 9000


def text_problem(value: str) -> str | None:
    """Return why a text cannot be stored or passed on (NUL, lone surrogate), or None."""
    if "\0" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def check_text(value: str, *, field: str, max_length: int) -> str:
    """Return the value if it is valid Unicode without NUL and at most max_length long."""
    problem = text_problem(value)
    if problem is not None:
        raise BadInput(f"{field} {problem}", "send valid UTF-8 text without NUL characters")
    if len(value) > max_length:
        raise TooLarge(
            f"{field} is {len(value)} characters long; at most {max_length} are accepted"
        )
    return value


def check_id(value: int, *, field: str) -> int:
    """Return the value if it can name a stored row (1 to 2^31-1)."""
    if not 1 <= value <= MAX_ID:
        raise BadInput(f"{field} must be between 1 and {MAX_ID}, not {value}")
    return value


def check_time(moment: datetime, *, field: str) -> datetime:
    """Return the moment as aware UTC if it is a sane time (1970 to 9000; naive means UTC)."""
    try:
        aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 has no UTC form
        aware = datetime.min.replace(tzinfo=UTC)
    if not EARLIEST_YEAR <= aware.year <= LATEST_YEAR:
        raise BadInput(
            f"{field} {moment.isoformat()} is not a usable time",
            f"times must fall between {EARLIEST_YEAR} and {LATEST_YEAR}",
        )
    return aware
