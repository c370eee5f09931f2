"""The command driver on a real PostgreSQL: `pg_dump -Fc` backs a database up, a restore
drill restores it with `pg_restore` into a scratch database, and the rows are equal."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsbook.backups import service
from opsbook.backups.drills import run_drill
from opsbook.backups.settings import BackupSpec
from opsbook.store.database import Database
from tests.backups.conftest import RecordedAlerts, need, now

pytestmark = [pytest.mark.pg, pytest.mark.process]

HOST, USER = "127.0.0.1", "postgres"


def _connect(dbname: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host=HOST, user=USER, dbname=dbname, autocommit=True)


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """A source database with rows, and the name of a scratch one; both dropped afterwards."""
    from tests.tiers import note_outside

    note_outside("opened a PostgreSQL database", "pg")
    try:
        admin = _connect("test")
    except Exception as exc:  # an unreachable server
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    tag = uuid.uuid4().hex[:10]
    source, scratch = f"opsbook_bk_src_{tag}", f"opsbook_bk_scratch_{tag}"
    admin.execute(f'CREATE DATABASE "{source}"')
    with _connect(source) as conn:
        conn.execute(
            "CREATE TABLE items (id serial PRIMARY KEY, name text, price numeric, tags jsonb)"
        )
        conn.execute(
            "INSERT INTO items (name, price, tags) "
            "SELECT 'item ' || g, g * 1.25, jsonb_build_object('n', g) "
            "FROM generate_series(1, 2000) g"
        )
    try:
        yield source, scratch
    finally:
        for name in (source, scratch):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _rows(dbname: str) -> list[tuple[object, ...]]:
    with _connect(dbname) as conn:
        return list(conn.execute("SELECT id, name, price, tags FROM items ORDER BY id"))


def test_pg_dump_backup_restores_into_a_scratch_database_with_equal_rows(
    db: Database, tmp_path: Path, databases: tuple[str, str], spec_for: Callable[..., BackupSpec]
) -> None:
    need("pg_dump")
    need("pg_restore")
    source, scratch = databases
    spec = spec_for(
        driver="command",
        paths=[],
        command=f'pg_dump -Fc -h {HOST} -U {USER} -f "$OPSBOOK_BACKUP_OUTPUT" {source}',
        restore_command=(
            f"createdb -h {HOST} -U {USER} {scratch} && "
            f'pg_restore -h {HOST} -U {USER} -d {scratch} --exit-on-error "$OPSBOOK_RESTORE_INPUT"'
        ),
    )
    made = service.run_backup(db=db, spec=spec, clock=now)
    assert made.state == "ok" and made.files == 1 and (made.size or 0) > 0
    drill = run_drill(db=db, spec=spec, clock=now, alerts=RecordedAlerts())
    assert (drill.state, drill.matched) == ("passed", 1), drill.problems
    assert _rows(scratch) == _rows(source)
    assert len(_rows(scratch)) == 2000


def test_a_dump_changed_by_one_byte_fails_the_drill(
    db: Database, tmp_path: Path, databases: tuple[str, str], spec_for: Callable[..., BackupSpec]
) -> None:
    need("pg_dump")
    source, _ = databases
    spec = spec_for(
        driver="command",
        paths=[],
        command=f'pg_dump -Fc -h {HOST} -U {USER} -f "$OPSBOOK_BACKUP_OUTPUT" {source}',
    )
    made = service.run_backup(db=db, spec=spec, clock=now)
    dump = spec.repository / str(made.location)
    data = bytearray(dump.read_bytes())
    data[-10] ^= 0xFF
    dump.write_bytes(bytes(data))
    alerts = RecordedAlerts()
    drill = run_drill(db=db, spec=spec, clock=now, alerts=alerts)
    assert drill.state == "failed" and drill.mismatched == (made.location,)
    assert [key for key, _ in alerts.fired] == ["backup-drill:data"]


def test_a_failing_command_is_recorded_failed_never_ok(
    db: Database, spec_for: Callable[..., BackupSpec]
) -> None:
    spec = spec_for(
        driver="command", paths=[], command="echo cannot reach the database >&2; exit 3"
    )
    made = service.run_backup(db=db, spec=spec, clock=now)
    assert made.state == "failed" and "exited 3" in made.detail and "cannot reach" in made.detail
    assert not list(spec.repository.iterdir())
