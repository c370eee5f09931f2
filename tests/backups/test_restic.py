"""The restic driver with Debian's restic: backup with opsbook's own manifest, a drill that
restores and checks part of the repository, a 1-byte corruption of a pack file found by the
next drill and alerted, retention by restic's own keep-* rules that leaves what they say."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.backups import service
from opsbook.backups.drills import DRILL_ALERT, run_drill
from opsbook.backups.drivers.restic import keep_options, removed_snapshots
from opsbook.backups.monitoring_alerts import MonitoringAlerts
from opsbook.backups.settings import BackupSpec, Retention
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


@pytest.fixture
def local_time_is_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """restic's days and weeks are local ones: make them UTC's, here and in restic."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_is_utc")
def test_restic_keeps_by_its_own_daily_weekly_monthly_and_within_rules_and_opsbook_agrees(
    db: Database, tmp_path: Path, restic_spec: Callable[..., BackupSpec]
) -> None:
    make_tree(tmp_path, files=3)
    spec = restic_spec(keep={"last": 1, "daily": 2, "weekly": 2, "monthly": 3, "within": "40h"})
    # 2026-01-05 and 2026-02-09 are Mondays: weeks of 5 Jan, 19 Jan and 9 Feb.
    times = {
        "dec": datetime(2025, 12, 15, 10, tzinfo=UTC),  # the newest of December: monthly
        "jan-a": datetime(2026, 1, 5, 10, tzinfo=UTC),  # older than jan-b in January: goes
        "jan-b": datetime(2026, 1, 20, 10, tzinfo=UTC),  # newest of January and of its week
        "feb-10a": datetime(2026, 2, 10, 9, tzinfo=UTC),  # 47 h before the newest: goes
        "feb-10b": datetime(2026, 2, 10, 18, tzinfo=UTC),  # 38 h before: within 40h keeps it
        "feb-11": datetime(2026, 2, 11, 8, tzinfo=UTC),  # the second newest day: daily
        "feb-12": datetime(2026, 2, 12, 8, tzinfo=UTC),  # the newest: every rule
    }
    made: dict[str, str] = {}
    for name, moment in times.items():
        (tmp_path / "var/data/items/changing.txt").write_text(f"{name}\n")
        view = service.run_backup(db=db, spec=spec, clock=lambda moment=moment: moment)
        assert view.state == "ok"
        made[str(view.location)] = name
    kept = {"dec", "jan-b", "feb-10b", "feb-11", "feb-12"}
    assert sorted(made[s[:8]] for s in _snapshots(spec)) == sorted(kept)
    states = {made[str(b.location)]: b.state for b in service.list_backups(db=db)}
    assert states == {name: "ok" if name in kept else "pruned" for name in times}


def test_restic_keep_options_are_the_policy_written_and_its_forget_output_is_read() -> None:
    keep = Retention(last=3, within_seconds=90 * 60, daily=7, weekly=4, monthly=12)
    assert keep_options(keep) == [
        "--keep-last", "3", "--keep-daily", "7", "--keep-weekly", "4",
        "--keep-monthly", "12", "--keep-within", "2h",
    ]  # fmt: skip
    said = json.dumps(
        [{"keep": [{"id": "aa"}], "remove": [{"id": "bb"}, {"id": "cc"}]}, {"remove": None}]
    )
    assert removed_snapshots(said + "\n") == ["bb", "cc"]
