"""The restic driver with Debian's restic: backup with opsbook's own manifest, a drill that
restores and checks part of the repository, a 1-byte corruption of a pack file found by the
next drill and alerted, retention that forgets what the policy says."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from opsbook.backups import service
from opsbook.backups.drills import DRILL_ALERT, run_drill
from opsbook.backups.monitoring_alerts import MonitoringAlerts
from opsbook.backups.settings import BackupSpec
from opsbook.monitoring.service import list_alerts
from opsbook.runbook.model import Runbook
from opsbook.store.database import Database
from tests.backups.conftest import make_tree, need, now

pytestmark = pytest.mark.process


@pytest.fixture
def restic_spec(
    tmp_path: Path, spec_for: Callable[..., BackupSpec], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., BackupSpec]:
    need("restic")
    (tmp_path / "restic.pw").write_text("correct horse battery staple\n")
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(tmp_path / "restic-cache"))

    def make(**values: object) -> BackupSpec:
        return spec_for(
            driver="restic", repository="var/restic", password_file="restic.pw", **values
        )

    return make


def _snapshots(spec: BackupSpec) -> list[str]:
    out = subprocess.run(
        [
            "restic",
            "-r",
            str(spec.repository),
            "--password-file",
            str(spec.password_file),
            "snapshots",
            "--json",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return sorted(s["id"] for s in json.loads(out))


def test_a_restic_backup_keeps_its_own_manifest_and_a_drill_proves_it(
    database: Database, tmp_path: Path, restic_spec: Callable[..., BackupSpec]
) -> None:
    files = make_tree(tmp_path, files=10)
    spec = restic_spec(drill={"files": 100, "cover_within": 2})
    made = service.run_backup(db=database, spec=spec, clock=now)
    assert made.state == "ok" and made.files == len(files)
    assert [s[:8] for s in _snapshots(spec)] == [made.location]  # 0.14 gives the short id
    drill = run_drill(
        db=database, spec=spec, clock=now, alerts=MonitoringAlerts(database, Runbook())
    )
    assert (drill.state, drill.matched) == ("passed", len(files)), drill.problems


def test_one_byte_changed_in_a_pack_file_is_found_by_the_next_drill_and_alerted(
    db: Database, tmp_path: Path, restic_spec: Callable[..., BackupSpec]
) -> None:
    make_tree(tmp_path, files=10)
    spec = restic_spec(drill={"files": 100, "cover_within": 1})
    service.run_backup(db=db, spec=spec, clock=now)
    alerts = MonitoringAlerts(db, Runbook())
    assert run_drill(db=db, spec=spec, clock=now, alerts=alerts).state == "passed"
    packs = sorted(
        (spec.repository / "data").rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else 0
    )
    pack = packs[-1]  # the biggest: the file data
    pack.chmod(0o600)
    data = bytearray(pack.read_bytes())
    data[len(data) // 3] ^= 0x01
    pack.write_bytes(bytes(data))
    drill = run_drill(db=db, spec=spec, clock=now, alerts=alerts)
    assert drill.state == "failed"
    assert drill.problems or drill.mismatched or drill.missing
    fired = [a for a in list_alerts(db=db, state="open").items if a.name == DRILL_ALERT]
    assert len(fired) == 1 and "backup data failed" in fired[0].summary


def test_restic_retention_forgets_what_the_policy_does_not_keep(
    db: Database, tmp_path: Path, restic_spec: Callable[..., BackupSpec]
) -> None:
    make_tree(tmp_path, files=4)
    spec = restic_spec(keep={"last": 2})
    made = []
    for index in range(3):
        (tmp_path / "var/data/items/changing.txt").write_text(f"version {index}\n")
        made.append(service.run_backup(db=db, spec=spec, clock=now))
    assert [s[:8] for s in _snapshots(spec)] == sorted(str(m.location) for m in made[1:])
    states = [b.state for b in reversed(service.list_backups(db=db))]
    assert states == ["pruned", "ok", "ok"]
