"""The first opening of a database: safe when many processes do it at once, and private."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from opsbook.store.database import open_database
from tests.postgres import fresh_schema
from tests.procedures.cli_support import OPSBOOK, cli_env, opsbook, write_runbook

PROCESSES = 8
QUICK = """
### Quick Procedure

**Steps**:
1. Say hello: `echo hello`
"""


@pytest.mark.process
def test_eight_first_runs_on_a_fresh_state_directory_all_succeed(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, QUICK)
    env = cli_env(tmp_path / "state")
    with ThreadPoolExecutor(PROCESSES) as pool:
        done = list(pool.map(lambda _: opsbook("run", str(book), "quick", env=env), range(8)))
    for result in done:
        assert result.returncode == 0, result.stdout + result.stderr
    listed = opsbook("runs", "list", "--json", env=env)
    assert listed.stdout.count('"status": "succeeded"') == PROCESSES, listed.stdout


MIGRATE = "from opsbook.store.database import open_database; open_database({url!r}).dispose()"


def migrate_at_once(url: str) -> None:
    """Open the database for the first time from several processes started together."""
    script = MIGRATE.format(url=url)
    processes = [
        subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err


@pytest.mark.process
def test_several_processes_migrate_one_fresh_sqlite_file(tmp_path: Path) -> None:
    migrate_at_once(f"sqlite:///{tmp_path / 'state' / 'opsbook.db'}")


@pytest.mark.pg
@pytest.mark.process
def test_several_processes_migrate_one_fresh_postgresql_schema() -> None:
    with fresh_schema("first_open") as url:
        migrate_at_once(url)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.process
def test_a_first_run_keeps_the_state_directory_and_database_from_other_users(
    tmp_path: Path,
) -> None:
    book = write_runbook(tmp_path, QUICK)
    state = tmp_path / "state"
    # A permissive umask, as many systems have: what opsbook makes must not follow it.
    done = subprocess.run(
        ["sh", "-c", 'umask 002 && exec "$@"', "sh", OPSBOOK, "run", str(book), "quick"],
        env=cli_env(state),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert mode(state) == 0o700
    assert mode(state / "opsbook.db") == 0o600


def test_the_database_and_its_wal_and_shm_files_are_private(tmp_path: Path) -> None:
    from sqlalchemy import text

    state = tmp_path / "new" / "state"
    before = os.umask(0o002)
    try:
        db = open_database(f"sqlite:///{state / 'opsbook.db'}")
        with db.engine.connect() as connection:  # WAL and shm exist while it is open
            connection.execute(text("SELECT 1 FROM alembic_version"))
            made = sorted(p.name for p in state.iterdir())
            modes = {name: mode(state / name) for name in made}
        db.dispose()
    finally:
        os.umask(before)
    assert made == ["opsbook.db", "opsbook.db-shm", "opsbook.db-wal"]
    assert modes == dict.fromkeys(made, 0o600)
    assert mode(state) == mode(state.parent) == 0o700
