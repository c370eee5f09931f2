"""PostgreSQL as the store of runs (OPSBOOK_DATABASE_URL), in a schema of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PG_URL, fresh_schema
from tests.procedures.cli_support import cli_env, opsbook, run_json, write_runbook

# psycopg's own URL form of the same server.
SERVER = PG_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_schema("proc") as url:
        yield url


def test_runs_are_recorded_in_postgresql(tmp_path: Path, pg_url: str) -> None:
    import psycopg

    book = write_runbook(
        tmp_path,
        """
### Startup Procedure

**Parameters**:
- `DEPLOY_TOKEN` (required): secret

**Steps**:
1. Start: `echo "started with $DEPLOY_TOKEN"`
2. Break: `exit 1`

**Rollback**:
1. Stop: `echo stopped`
""",
    )
    env = cli_env(tmp_path / "state", OPSBOOK_DATABASE_URL=pg_url)
    done = opsbook("run", str(book), "startup", "--param", "DEPLOY_TOKEN=sekrit-42", env=env)
    assert done.returncode == 1 and "rolled back" in done.stdout
    assert not (tmp_path / "state" / "opsbook.db").exists()
    runs = run_json("runs", "list", env=env)
    assert [(r["id"], r["status"]) for r in runs] == [(1, "rolled-back")]
    schema = pg_url.rsplit("%3D", 1)[1]
    with psycopg.connect(SERVER) as conn:
        rows = conn.execute(
            f'SELECT step_key, status, stdout FROM "{schema}".step_attempts ORDER BY id'
        ).fetchall()
    assert rows == [
        ("steps:1", "passed", "started with ****\n"),
        ("steps:2", "failed", ""),
        ("rollback:1", "passed", "stopped\n"),
    ]
