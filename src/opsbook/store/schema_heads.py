"""The one reader of Alembic heads and revisions: what the migrations build, what a database is at.

Read without importing Alembic, which costs more than most commands: `migrate.upgrade`
compares the two and loads Alembic only when the schema is behind, and `opsbook run` hands
the heads to the light store, which opens the SQLite file only when its schema is current.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]+)?=\s*(.+)$", re.MULTILINE)


def migration_heads(versions: Path) -> set[str]:
    """Return the head revisions of the migration files in a folder."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        values = {k: v for k, v in _ASSIGNMENT.findall(path.read_text(encoding="utf-8"))}
        if "revision" not in values:
            continue
        revisions.add(str(ast.literal_eval(values["revision"].strip())))
        down = ast.literal_eval(values.get("down_revision", "None").strip())
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(d) for d in down)
    return revisions - parents


def current_heads() -> set[str]:
    """Return the head revisions of opsbook's own migrations."""
    return migration_heads(VERSIONS)


def applied_revisions(connection: Connection) -> set[str]:
    """Return the revisions a database is at: none before its first upgrade."""
    # lazy: keeps sqlalchemy off the start-up of a plain `opsbook run`
    from sqlalchemy import inspect, text

    # Looks before it selects: on PostgreSQL a failed statement would end the transaction.
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


def light_revisions(connection: sqlite3.Connection) -> set[str]:
    """Return the revisions a SQLite file is at, read with the standard library (light store)."""
    try:
        return {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.Error:  # no table yet
        return set()
