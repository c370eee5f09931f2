"""Disk clean-up by a stated rule: a dry run first, then only old matching regular files go."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsbook.maintenance import service
from opsbook.maintenance.disk_cleanup import cleanup, parse_rule
from opsbook.maintenance.perform import LocalPerformer
from opsbook.maintenance.tasks import task_specs
from opsbook.runbook.parser import parse_runbook
from opsbook.store.database import Database

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
BOOK = """# Demo

### Regular Maintenance Tasks

| Task | Frequency | Owner | Last Completed | Next Due | Rule |
|------|-----------|-------|----------------|----------|------|
| Disk cleanup | Weekly | ops | | | `var/tmp/**/*.tmp` older than 7 days |
"""


def _file(path: Path, days_old: float, text: str = "x" * 10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    moment = (NOW - timedelta(days=days_old)).timestamp()
    os.utime(path, (moment, moment))
    return path


def _tree(tmp_path: Path) -> dict[str, Path]:
    outside = tmp_path / "precious"
    made = {
        "old": _file(tmp_path / "var/tmp/a.tmp", 10),
        "new": _file(tmp_path / "var/tmp/b.tmp", 1),
        "other": _file(tmp_path / "var/tmp/keep.log", 30),
        "deep": _file(tmp_path / "var/tmp/sub/c.tmp", 8),
        "outside": _file(outside / "d.tmp", 100),
    }
    (tmp_path / "var/tmp/link").symlink_to(outside, target_is_directory=True)
    return made


def test_a_dry_run_first_then_only_old_matching_files_are_deleted(
    database: Database, tmp_path: Path
) -> None:
    made = _tree(tmp_path)
    (spec,) = task_specs(parse_runbook(BOOK, str(tmp_path / "RUNBOOK.md")))
    performer = LocalPerformer(tmp_path)

    def run() -> service.RunView:
        run_id = service.request_run(
            db=database, spec=spec, actor="ana", source="cli", now=NOW, queue=False
        )
        return service.perform_run(
            db=database, run_id=run_id, spec=spec, performer=performer, clock=lambda: NOW
        )

    first = run()
    assert first.state == "succeeded"
    assert first.detail.startswith(
        "dry run of rule var/tmp/**/*.tmp older than 7 days: would delete 2 file(s), 20 bytes"
    )
    assert str(made["old"]) in first.detail and str(made["deep"]) in first.detail
    assert "nothing deleted" in first.detail
    assert all(path.exists() for path in made.values())
    (view,) = service.list_tasks(db=database, specs=[spec], now=NOW)
    assert view.last_success is None  # a dry run is not the task done

    second = run()
    assert second.detail.startswith("rule var/tmp/**/*.tmp older than 7 days: deleted 2 file(s)")
    assert not made["old"].exists() and not made["deep"].exists()
    assert made["new"].exists() and made["other"].exists()
    assert made["outside"].exists()  # never through a symbolic link
    (view,) = service.list_tasks(db=database, specs=[spec], now=NOW)
    assert view.last_success == NOW


def test_a_dry_run_asked_for_deletes_nothing(tmp_path: Path) -> None:
    made = _tree(tmp_path)
    outcome = cleanup(parse_rule("var/tmp/*.tmp older than 2 days"), tmp_path, NOW, dry_run=True)
    assert outcome.ok and outcome.dry_run and "would delete 1 file(s)" in outcome.detail
    assert made["old"].exists()


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("var/tmp/*.tmp", "cannot read the clean-up rule"),
        ("var/tmp/*.tmp older than soon", "clean-up rule"),
    ],
)
def test_a_rule_that_cannot_be_read_says_how_to_write_one(rule: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_rule(rule)


def test_the_root_or_a_missing_folder_is_refused(tmp_path: Path) -> None:
    for rule in ("/*.tmp older than 1 day", "nowhere/*.tmp older than 1 day"):
        outcome = cleanup(parse_rule(rule), tmp_path, NOW, dry_run=False)
        assert not outcome.ok and "is not a folder it may clean" in outcome.detail
