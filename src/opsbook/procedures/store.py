"""Open the runs database quickly: skip Alembic when the schema is already at every head.

Alembic costs a few hundred milliseconds per command just to find that there is nothing to
do; `opsbook run` is started often (CI, scripts, benchmarks), so it first compares the
revisions in the migrations folder with the database's `alembic_version` and only upgrades
when they differ.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsbook.store.database import Database

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
    from opsbook.store import database

    return migration_heads(Path(database.__file__).parent / "migrations" / "versions")


def open_runs_database(runbook_path: Path, environ: Mapping[str, str]) -> Database:
    """Open the runbook's database, upgrading the schema only when it is behind."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from opsbook.store import database

    url = database.database_url(database.state_dir(runbook_path, environ), environ)
    versions = Path(database.__file__).parent / "migrations" / "versions"
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return database.open_database(url)
    db = database.open_database(url, migrate=False)
    try:
        with db.engine.connect() as connection:
            current = {
                r[0] for r in connection.execute(text("SELECT version_num FROM alembic_version"))
            }
    except SQLAlchemyError:
        current = set()
    if current == migration_heads(versions):
        return db
    db.dispose()
    return database.open_database(url)
