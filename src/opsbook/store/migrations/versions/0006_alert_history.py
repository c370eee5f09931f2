"""Alert history that stays fast at a million alerts: indexes for the pages and the search.

The alerts page and `GET /api/v1/alerts` sort newest first (updated_at, then id) and filter
by state, group or text. Without these, a page of the newest 100 sorted the whole table
(1.5 s at a million alerts) and a search read every row.

Search is a substring match on name, summary and issue. On SQLite an external-content FTS5
table with the trigram tokenizer indexes those three columns (new alerts in batches after
they are stored, see below); on PostgreSQL
pg_trgm's GIN indexes serve ILIKE directly. Where pg_trgm cannot be created (no right to
create extensions), the search still works, by reading the table.

Revision ID: 0006_alert_history
Revises: 0004_monitoring
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

revision = "0006_alert_history"
down_revision = "0004_monitoring"
branch_labels = None
depends_on = None

_SEARCHED = ("name", "summary", "issue")
# Indexing an alert's trigrams as it is stored cost the webhook seven eighths of its rate,
# so new alerts are indexed in batches after they are stored (monitoring/alert_search.py
# `catch_up`), up to a high-water mark; the triggers keep only what is already indexed
# in step, and index at once the rare row that is stored below the mark.
_WHEN_INDEXED = "(SELECT last_id FROM alerts_search_mark WHERE id = 1)"
_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE alerts_search USING fts5(name, summary, issue, "
    "content='alerts', content_rowid='id', tokenize='trigram')",
    "CREATE TABLE alerts_search_mark (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "last_id INTEGER NOT NULL)",
    "INSERT INTO alerts_search_mark (id, last_id) VALUES (1, 0)",
    f"CREATE TRIGGER alerts_search_insert AFTER INSERT ON alerts WHEN new.id <= {_WHEN_INDEXED} "
    "BEGIN INSERT INTO alerts_search(rowid, name, summary, issue) "
    "VALUES (new.id, new.name, new.summary, new.issue); END",
    f"CREATE TRIGGER alerts_search_delete AFTER DELETE ON alerts WHEN old.id <= {_WHEN_INDEXED} "
    "BEGIN INSERT INTO alerts_search(alerts_search, rowid, name, summary, issue) "
    "VALUES ('delete', old.id, old.name, old.summary, old.issue); END",
    "CREATE TRIGGER alerts_search_update AFTER UPDATE OF name, summary, issue ON alerts "
    f"WHEN old.id <= {_WHEN_INDEXED} BEGIN "
    "INSERT INTO alerts_search(alerts_search, rowid, name, summary, issue) "
    "VALUES ('delete', old.id, old.name, old.summary, old.issue); "
    "INSERT INTO alerts_search(rowid, name, summary, issue) "
    "VALUES (new.id, new.name, new.summary, new.issue); END",
]


def upgrade() -> None:
    """Index the orders and filters of the alert pages; index the search."""
    op.create_index("ix_alerts_updated_at_id", "alerts", ["updated_at", "id"])
    op.create_index("ix_alerts_group_key_updated_at", "alerts", ["group_key", "updated_at", "id"])
    op.create_index("ix_alerts_issue_updated_at", "alerts", ["issue", "updated_at", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE_SEARCH:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        _postgresql_search(bind)


def _postgresql_search(connection: Connection) -> None:
    """Create pg_trgm's GIN indexes, in a savepoint: without the extension, skip them."""
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError:  # no right to create it: the search reads the table
        return
    # The extension may live in another schema than ours (it is created once per database).
    where = connection.scalar(
        text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    )
    for column in _SEARCHED:
        op.execute(
            f"CREATE INDEX ix_alerts_{column}_trgm ON alerts "
            f"USING gin ({column} {where}.gin_trgm_ops)"
        )


def downgrade() -> None:
    """Drop the search and the indexes."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS alerts_search_{name}")
        op.execute("DROP TABLE IF EXISTS alerts_search")
        op.execute("DROP TABLE IF EXISTS alerts_search_mark")
    elif bind.dialect.name == "postgresql":
        for column in _SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_alerts_{column}_trgm")
    op.drop_index("ix_alerts_issue_updated_at", "alerts")
    op.drop_index("ix_alerts_group_key_updated_at", "alerts")
    op.drop_index("ix_alerts_updated_at_id", "alerts")
