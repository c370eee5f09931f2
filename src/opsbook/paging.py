"""Pages of a long list: the items, the total, and an opaque cursor to the next page.

Lists are read newest first by a key that only goes down (a time, then the id that breaks
ties), so the next page starts strictly after the last item shown: rows added meanwhile
do not shift it, as an OFFSET would. The cursor is that last key, encoded so nobody
depends on its form; one this server did not give is bad input.

    page = Page(items=(a, b), total=250, next_cursor=encode_cursor(b.updated_at, b.id))
    decode_cursor(page.next_cursor)  ->  (b.updated_at, b.id)
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from opsbook.errors import BadInput

T = TypeVar("T")
CURSOR_MAX = 200  # characters; a real one is about 40


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, how many there are in all, where the next page starts.

    A total past what is worth counting is given as a lower bound (`total_exact` False):
    "10,000+" costs a bounded read where the exact figure would cost a scan.
    """

    items: tuple[T, ...]
    total: int
    next_cursor: str | None
    total_exact: bool = True


def encode_cursor(at: datetime | None, row_id: int) -> str:
    """Return the cursor that continues after the row with this time and id."""
    when = at.replace(tzinfo=None).isoformat() if at else ""
    return base64.urlsafe_b64encode(f"{when}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, int]:
    """Return the time (naive UTC, as stored) and id a cursor continues after."""
    refused = BadInput("cursor is not one opsbook gave", hint="start again from the first page")
    if len(cursor) > CURSOR_MAX:
        raise refused
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, row_id = text.rpartition("|")
        at = datetime.fromisoformat(when) if when else None
        number = int(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise refused from None
    if (at is not None and at.tzinfo is not None) or not 0 < number < 2**63:
        raise refused
    return at, number
