"""SQLite's trigram index of alerts, brought up to date in batches after alerts are stored.

Indexing each alert's trigrams inside the webhook's transaction cut its rate from about
84,000 to 12,000 rows a second, so the webhook stores alerts only and the index follows:
`alerts_search_mark` holds the highest alert id indexed, and `catch_up` indexes what came
after it, a batch per transaction so a writer never waits long. The server's worker calls
it every few seconds and a search calls it first, so a search never misses an alert. The
triggers of migration 0006 keep already indexed rows in step when they change.

PostgreSQL needs none of this: its pg_trgm indexes are kept by the database itself.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

BATCH = 5_000  # alerts indexed per transaction: about half a second of writing at most

_LOCK = text("UPDATE alerts_search_mark SET last_id = last_id WHERE id = 1")
_MARK = text("SELECT last_id FROM alerts_search_mark WHERE id = 1")
_INDEX = text(
    "INSERT INTO alerts_search (rowid, name, summary, issue) "
    "SELECT id, name, summary, issue FROM alerts WHERE id > :mark AND id <= :upto"
)
_UPTO = text("SELECT max(id) FROM (SELECT id FROM alerts WHERE id > :mark ORDER BY id LIMIT :n)")
_MOVE = text("UPDATE alerts_search_mark SET last_id = :upto WHERE id = 1")


def catch_up_batch(session: Session, batch: int = BATCH) -> int:
    """Index up to `batch` alerts stored since the mark; return how many (0: up to date).

    Call it first in a transaction of its own: the write lock is taken before the mark is
    read, so two callers never index the same alerts.
    """
    session.execute(_LOCK)
    mark = int(session.scalar(_MARK) or 0)
    upto = session.scalar(_UPTO, {"mark": mark, "n": batch})
    if upto is None:
        return 0
    indexed = session.execute(_INDEX, {"mark": mark, "upto": upto})
    session.execute(_MOVE, {"upto": upto})
    return int(getattr(indexed, "rowcount", 0) or 0)
