"""Drift against a real baseline on SQLite and PostgreSQL: by hand, by a run, mode, owner."""

from __future__ import annotations

import asyncio
import os
import pwd
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsbook.deploy import service
from opsbook.deploy.config_targets import config_targets
from opsbook.deploy.drift_alerts import ALERT_NAME
from opsbook.deploy.local_files import LocalFiles
from opsbook.deploy.masking import MASK, masker_for
from opsbook.deploy.views import DriftReport
from opsbook.monitoring.service import list_alerts
from opsbook.procedures.confirm import AutoConfirmer
from opsbook.procedures.engine import Plan, RunStatus
from opsbook.procedures.executors.local import LocalExecutor
from opsbook.procedures.executors.ssh_hosts import SshHosts
from opsbook.procedures.guard import Override
from opsbook.procedures.plan import build_plan
from opsbook.procedures.runner import QuietReporter
from opsbook.procedures.service import Me, execute_run, start_run
from opsbook.runbook.model import Runbook
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database

BOOK = """# Demo

## Standard Operating Procedures

### Release Procedure

**Steps**:
1. Say hello: `echo starting`
2. Write the release: `printf 'RELEASE=2\\nDB_PASSWORD=hunter22\\n' > etc/app.env` {unattended}

## Configuration Management

### Configuration Files

| File | Location | Purpose | Backup |
|------|----------|---------|--------|
| app.env | `etc/app.env` | Settings | kept by opsbook |
| tool | `bin/tool` | The tool | Git |

### Environment Variables

| Variable | Required | Default | Secret | Description |
|----------|----------|---------|--------|-------------|
| DB_PASSWORD | Yes | | Yes | The database password |
"""


def _now() -> datetime:
    return datetime.now(UTC)


def _setup(tmp_path: Path) -> Runbook:
    (tmp_path / "etc").mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "etc" / "app.env").write_text("RELEASE=1\nDB_PASSWORD=hunter22\n")
    (tmp_path / "bin" / "tool").write_text("#!/bin/sh\necho tool\n")
    (tmp_path / "bin" / "tool").chmod(0o755)
    path = tmp_path / "RUNBOOK.md"
    path.write_text(BOOK)
    return parse_runbook(BOOK, str(path))


def _check(db: Database, book: Runbook) -> DriftReport:
    return service.check_drift(
        db=db,
        runbook=book,
        targets=config_targets(book),
        reader=LocalFiles(),
        masker=masker_for(book, {}),
        now=_now(),
    )


def _baseline(db: Database, book: Runbook) -> None:
    service.record_baseline(
        db=db,
        targets=config_targets(book),
        reader=LocalFiles(),
        masker=masker_for(book, {}),
        actor="ana",
        now=_now(),
    )


def _drift_alerts(db: Database) -> list[str]:
    page = list_alerts(db=db, state="open")
    return sorted(a.labels["file"] for a in page.items if a.name == ALERT_NAME)


class AnyRunMayGo:
    def check(self, plan: Plan, now: datetime, override: Override | None) -> None:
        return None


def test_baseline_keeps_a_masked_copy_and_a_hand_edit_is_a_diff_and_one_alert(
    database: Database, tmp_path: Path
) -> None:
    book = _setup(tmp_path)
    _baseline(database, book)
    report = _check(database, book)
    assert [f.status for f in report.files] == ["unchanged", "unchanged"]
    assert report.alerts_raised == ()

    (tmp_path / "etc" / "app.env").write_text("RELEASE=9\nDB_PASSWORD=changed!\n")
    report = _check(database, book)
    app = report.files[0]
    assert app.status == "drifted" and [c.kind for c in app.changes] == ["content"]
    assert app.cause is None and report.unexplained == 1
    assert "-RELEASE=1\n+RELEASE=9\n" in app.diff
    assert "hunter22" not in app.diff and "changed!" not in app.diff and MASK in app.diff
    assert report.alerts_raised == (app.key,)
    assert _drift_alerts(database) == ["app.env"]
    # Checked again: the same drift raises nothing more.
    assert _check(database, book).alerts_raised == ()

    accepted = service.accept_drift(
        db=database,
        runbook=book,
        targets=config_targets(book),
        reader=LocalFiles(),
        masker=masker_for(book, {}),
        actor="ana",
        now=_now(),
    )
    assert [(v.version, v.reason) for v in accepted] == [
        (2, "accepted by ana: changed outside opsbook")
    ]
    assert _drift_alerts(database) == []
    assert [f.status for f in _check(database, book).files] == ["unchanged", "unchanged"]
    versions = service.list_versions(db=database, target=config_targets(book)[0])
    assert [v.version for v in versions] == [2, 1]  # the accepted version kept, and the old


def test_mode_and_owner_changes_are_drift(database: Database, tmp_path: Path) -> None:
    book = _setup(tmp_path)
    _baseline(database, book)
    tool = tmp_path / "bin" / "tool"
    tool.chmod(0o777)
    report = _check(database, book)
    assert [(c.kind, c.before, c.after) for c in report.files[1].changes] == [
        ("mode", "0755", "0777")
    ]
    tool.chmod(0o755)
    assert _check(database, book).drifted == 0
    assert _drift_alerts(database) == []  # put back: the alert resolved
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    nobody = pwd.getpwnam("nobody")
    me = pwd.getpwuid(os.getuid()).pw_name
    os.chown(tool, nobody.pw_uid, -1)
    report = _check(database, book)
    (change,) = report.files[1].changes
    assert change.kind == "owner" and change.before.startswith(f"{me}:")
    assert change.after.startswith("nobody:")
    assert _drift_alerts(database) == ["tool"]


def test_a_missing_file_is_drift(database: Database, tmp_path: Path) -> None:
    book = _setup(tmp_path)
    _baseline(database, book)
    (tmp_path / "bin" / "tool").unlink()
    report = _check(database, book)
    assert [c.kind for c in report.files[1].changes] == ["missing"]


@pytest.mark.process
def test_a_change_made_by_an_opsbook_run_names_the_run_and_step_and_raises_no_alert(
    database: Database, tmp_path: Path
) -> None:
    book = _setup(tmp_path)
    _baseline(database, book)
    plan = build_plan(book, target="release", params={}, environ={"DB_PASSWORD": "x"})
    me = Me("ana", "test-machine", 1, 0.0)
    run_id = start_run(db=database, plan=plan, me=me, now=_now, guard=AnyRunMayGo())
    end = asyncio.run(
        execute_run(
            db=database,
            plan=plan,
            run_id=run_id,
            confirmer=AutoConfirmer("ana"),
            reporter=QuietReporter(),
            local=LocalExecutor({"PATH": "/usr/bin:/bin"}),
            remote=SshHosts(book),
            now=_now,
        )
    )
    assert end.status is RunStatus.SUCCEEDED
    report = _check(database, book)
    app = report.files[0]
    assert app.status == "drifted"
    assert app.cause is not None
    assert (app.cause.run_id, app.cause.step, app.cause.names_file) == (run_id, "steps:2", True)
    assert "+RELEASE=2\n" in app.diff
    assert report.unexplained == 0 and report.alerts_raised == ()
    assert _drift_alerts(database) == []
    accepted = service.accept_drift(
        db=database,
        runbook=book,
        targets=config_targets(book),
        reader=LocalFiles(),
        masker=masker_for(book, {}),
        actor="ana",
        now=_now() + timedelta(seconds=1),
    )
    assert accepted[0].reason == (
        f"accepted by ana: changed by run {run_id} (release), step steps:2"
    )
