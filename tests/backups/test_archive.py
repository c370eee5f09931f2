"""The archive driver end to end: backup, drill, a planted 1-byte corruption detected by the
next drill and alerted through the monitoring domain, retention, the coverage ledger."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from opsbook.backups import service
from opsbook.backups.drills import DRILL_ALERT, run_drill
from opsbook.backups.monitoring_alerts import MonitoringAlerts
from opsbook.backups.settings import BackupSpec
from opsbook.backups.watch import RPO_ALERT, status, watch_rpo
from opsbook.monitoring.service import list_alerts
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.backups.conftest import make_tree, need, now

pytestmark = pytest.mark.process


@pytest.fixture(autouse=True)
def _zstd() -> None:
    need("zstd")


def _alerts(db: Database, name: str, state: str = "open") -> list[str]:
    return [a.summary for a in list_alerts(db=db, state=state).items if a.name == name]


def test_a_backup_holds_every_file_with_its_hash_and_a_drill_proves_it(
    database: Database, tmp_path: Path, spec_for: Callable[..., BackupSpec]
) -> None:
    files = make_tree(tmp_path)
    spec = spec_for(drill={"files": 100, "cover_within": 1})
    made = service.run_backup(db=database, spec=spec, clock=now)
    assert (made.state, made.files, made.driver) == ("ok", len(files), "archive")
    archive = spec.repository / str(made.location)
    assert archive.stat().st_mode & 0o077 == 0  # only its owner reads it
    assert not list(spec.repository.glob("*.partial"))
    # The archive is a real tar + zstd: the system's tar reads it back.
    need("tar")
    with tarfile.open(fileobj=_decompressed(archive), mode="r|") as tar:
        names = {m.name for m in tar if m.isfile()}
    assert names == set(files)
    drill = run_drill(
        db=database, spec=spec, clock=now, alerts=MonitoringAlerts(database, Runbook())
    )
    assert (drill.state, drill.checked, drill.matched) == ("passed", len(files), len(files))
    assert drill.coverage_proven == drill.coverage_files == len(files)
    listed = service.list_backups(db=database)
    assert [(b.id, b.drilled) for b in listed] == [(made.id, "passed")]


def _decompressed(archive: Path):  # type: ignore[no-untyped-def]
    import subprocess

    return subprocess.Popen(["zstd", "-dc", str(archive)], stdout=subprocess.PIPE).stdout


def test_one_byte_changed_in_the_archive_fails_the_next_drill_and_raises_an_alert(
    database: Database, tmp_path: Path, spec_for: Callable[..., BackupSpec]
) -> None:
    make_tree(tmp_path, files=30)
    spec = spec_for(drill={"files": 2, "cover_within": 10})
    made = service.run_backup(db=database, spec=spec, clock=now)
    alerts = MonitoringAlerts(database, Runbook())
    assert run_drill(db=database, spec=spec, clock=now, alerts=alerts).state == "passed"
    archive = spec.repository / str(made.location)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    drill = run_drill(db=database, spec=spec, clock=now, alerts=alerts)
    assert drill.state == "failed" and drill.alerted
    assert any("SHA-256" in p for p in drill.problems)
    fired = _alerts(database, DRILL_ALERT)
    assert len(fired) == 1 and f"restore drill #{drill.id} of backup data failed" in fired[0]
    # Another failing drill repeats the same alert rather than opening a second one.
    run_drill(db=database, spec=spec, clock=now, alerts=alerts)
    assert len(_alerts(database, DRILL_ALERT)) == 1
    # A good backup and a passing drill resolve it.
    service.run_backup(db=database, spec=spec, clock=now)
    assert run_drill(db=database, spec=spec, clock=now, alerts=alerts).state == "passed"
    assert _alerts(database, DRILL_ALERT) == []
    assert len(_alerts(database, DRILL_ALERT, state="resolved")) == 1


def test_a_file_changed_inside_the_archive_is_named_by_the_drill(
    db: Database, tmp_path: Path, spec_for: Callable[..., BackupSpec]
) -> None:
    """Even where the archive's own hash were rewritten, the manifest names the file."""
    files = make_tree(tmp_path, files=6)
    spec = spec_for(drill={"files": 100, "cover_within": 1})
    made = service.run_backup(db=db, spec=spec, clock=now)
    archive = spec.repository / str(made.location)
    # Rebuild the archive with one byte of one file changed, as an attacker or a bad disk
    # controller would, and record its new hash as if it had always been so.
    import subprocess

    victim = "var/data/items/f01.bin"
    (tmp_path / victim).write_bytes(b"X" + files[victim][1:])
    subprocess.run(
        f"tar -C {tmp_path} -cf - var/data | zstd -q -1 -f -o {archive}", shell=True, check=True
    )
    from opsbook.backups.manifest import file_sha256
    from opsbook.backups.tables import BackupRow

    with db.transaction() as session:
        session.get_one(BackupRow, made.id).sha256 = file_sha256(archive)
    drill = run_drill(db=db, spec=spec, clock=now, alerts=MonitoringAlerts(db, Runbook()))
    assert drill.state == "failed"
    assert drill.mismatched == (victim,) and drill.problems == ()


def test_retention_by_count_leaves_the_newest_archives_and_marks_the_rest_pruned(
    db: Database, tmp_path: Path, spec_for: Callable[..., BackupSpec]
) -> None:
    make_tree(tmp_path, files=3)
    spec = spec_for(keep={"last": 2})
    made = [service.run_backup(db=db, spec=spec, clock=now) for _ in range(4)]
    states = {b.id: b.state for b in service.list_backups(db=db)}
    assert states == {
        made[0].id: "pruned",
        made[1].id: "pruned",
        made[2].id: "ok",
        made[3].id: "ok",
    }
    on_disk = sorted(p.name for p in spec.repository.iterdir())
    assert on_disk == sorted(str(m.location) for m in made[2:])


def test_every_file_is_proven_within_cover_within_drills(
    db: Database, tmp_path: Path, spec_for: Callable[..., BackupSpec]
) -> None:
    files = make_tree(tmp_path, files=12)
    spec = spec_for(drill={"files": 1, "cover_within": 3})
    service.run_backup(db=db, spec=spec, clock=now)
    alerts = MonitoringAlerts(db, Runbook())
    drills = [run_drill(db=db, spec=spec, clock=now, alerts=alerts) for _ in range(3)]
    assert [d.checked for d in drills] == [4, 4, 4]
    assert drills[-1].coverage_proven == len(files)
    assert status(db=db, specs=[spec], rpo_seconds=3600, now=now())[0].coverage_proven == len(files)


def test_the_rpo_watch_alerts_until_a_backup_passes_a_drill(
    db: Database, tmp_path: Path, spec_for: Callable[..., BackupSpec]
) -> None:
    make_tree(tmp_path, files=3)
    spec = spec_for()
    alerts = MonitoringAlerts(db, Runbook())
    over = watch_rpo(db=db, specs=[spec], rpo_seconds=3600, now=now(), alerts=alerts)
    assert over[0].rpo_over and over[0].proven_age_seconds is None
    assert len(_alerts(db, RPO_ALERT)) == 1
    service.run_backup(db=db, spec=spec, clock=now)
    assert watch_rpo(db=db, specs=[spec], rpo_seconds=3600, now=now(), alerts=alerts)[0].rpo_over
    run_drill(db=db, spec=spec, clock=now, alerts=alerts)
    fine = watch_rpo(db=db, specs=[spec], rpo_seconds=3600, now=now(), alerts=alerts)[0]
    assert not fine.rpo_over and fine.proven_age_seconds is not None
    assert _alerts(db, RPO_ALERT) == []
