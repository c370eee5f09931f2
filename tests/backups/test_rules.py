"""The pure rules of backups: retention, coverage, the verdict, the RPO, the settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsbook.backups.comparison import judge
from opsbook.backups.coverage import coverage, pick
from opsbook.backups.dr_report import measured_against
from opsbook.backups.dr_settings import dr_plan
from opsbook.backups.manifest import ManifestEntry
from opsbook.backups.retention import Candidate, to_remove
from opsbook.backups.rpo import read_rpo
from opsbook.backups.settings import DrillPlan, Retention, backup_specs
from opsbook.errors import BadInput

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _day(n: int) -> datetime:
    return NOW - timedelta(days=n)


def test_retention_by_count_keeps_the_newest_good_ones() -> None:
    backups = [Candidate(i, _day(10 - i), True) for i in range(1, 11)]
    assert to_remove(backups, Retention(last=3), NOW) == [1, 2, 3, 4, 5, 6, 7]


def test_retention_by_age_keeps_those_younger_and_either_rule_keeps() -> None:
    backups = [Candidate(i, _day(10 - i), True) for i in range(1, 11)]
    assert to_remove(backups, Retention(within_seconds=3.5 * 86400), NOW) == [1, 2, 3, 4, 5, 6]
    both = Retention(last=5, within_seconds=2.5 * 86400)
    assert to_remove(backups, both, NOW) == [1, 2, 3, 4, 5]


def test_retention_never_removes_the_newest_good_backup_and_drops_old_failures() -> None:
    backups = [
        Candidate(1, _day(40), True),
        Candidate(2, _day(30), False),
        Candidate(3, _day(1), False),
    ]
    assert to_remove(backups, Retention(within_seconds=86400), NOW) == []  # 1 is the newest good
    backups.append(Candidate(4, _day(20), True))
    assert to_remove(backups, Retention(within_seconds=86400), NOW) == [1, 2]
    assert to_remove([], Retention(last=1), NOW) == []


def test_each_drill_takes_the_least_recently_proven_so_all_are_proven_within_cover_within() -> None:
    paths = [f"f{i:02}" for i in range(10)]
    plan = DrillPlan(files=1, cover_within=3)
    ledger: dict[str, int] = {}
    for seq in (1, 2, 3):
        chosen = pick(paths, ledger, plan)
        assert len(chosen) == 4
        ledger.update({p: seq for p in chosen})
    assert set(ledger) == set(paths)
    assert coverage(paths, ledger, 3, 3).complete
    assert coverage(paths, ledger, 4, 3).proven == 8  # two files of drill 1 fell out of it
    assert coverage(paths, {}, 0, 3).never == 10


def test_a_drill_never_restores_fewer_than_the_plan_asks_nor_more_than_there_are() -> None:
    assert len(pick(["a", "b"], {}, DrillPlan(files=20, cover_within=4))) == 2
    assert len(pick([str(i) for i in range(100)], {}, DrillPlan(files=30, cover_within=4))) == 30


def test_the_verdict_names_files_that_differ_and_files_missing() -> None:
    wanted = [
        ManifestEntry("a", 1, 0o644, "aa"),
        ManifestEntry("b", 1, 0o644, "bb"),
        ManifestEntry("c", 1, 0o644, "cc"),
    ]
    verdict = judge(wanted, {"a": "aa", "b": "XX"}, [])
    assert (verdict.matched, verdict.mismatched, verdict.missing) == (1, ("b",), ("c",))
    assert not verdict.passed
    assert "1 differ (b)" in verdict.summary()
    assert judge(wanted[:1], {"a": "aa"}, []).passed
    assert not judge(wanted[:1], {"a": "aa"}, ["zstd could not decompress it"]).passed


def test_the_rpo_is_over_when_the_newest_proven_backup_is_older_or_none_is_proven() -> None:
    assert not read_rpo(NOW - timedelta(hours=2), 86400, NOW).over
    assert read_rpo(NOW - timedelta(hours=25), 86400, NOW).over
    assert read_rpo(None, 86400, NOW).over
    assert not read_rpo(None, None, NOW).over


def test_front_matter_backups_are_read_and_bad_ones_named_by_field(tmp_path: Path) -> None:
    settings = {
        "backups": {
            "data": {"paths": "var/data", "keep": {"last": 3, "within": "7 days"}},
            "db": {"driver": "command", "command": 'pg_dump -Fc -f "$OPSBOOK_BACKUP_OUTPUT" app'},
        }
    }
    specs = backup_specs(settings, tmp_path)
    assert specs["data"].paths == ("var/data",)
    assert specs["data"].keep == Retention(last=3, within_seconds=7 * 86400)
    assert specs["data"].repository == tmp_path / ".opsbook/backups/data"
    assert specs["db"].driver == "command"
    assert backup_specs({}, tmp_path) == {}
    restic = {"driver": "restic", "paths": ["x"], "keep": {"daily": 7, "monthly": 12}}
    kept = backup_specs({"backups": {"r": restic}}, tmp_path)["r"].keep
    assert kept == Retention(daily=7, monthly=12) and not kept.keeps_all
    bad = [
        ({"data": {"driver": "tape", "paths": ["x"]}}, "backups.data.driver"),
        ({"data": {"paths": ["../etc"]}}, "backups.data.paths"),
        ({"data": {"driver": "archive"}}, "backups.data.paths"),
        ({"data": {"driver": "command"}}, "backups.data.command"),
        ({"data": {"paths": ["x"], "keep": {"last": 0}}}, "backups.data.keep.last"),
        ({"data": {"paths": ["x"], "colour": "red"}}, "backups.data.colour"),
        ({"Bad Name": {"paths": ["x"]}}, "backups.Bad Name"),
        ({"data": {"paths": ["x"], "keep": {"daily": 7}}}, "backups.data.keep.daily"),
        ({"data": {"paths": ["x"], "keep": {"hourly": 7}}}, "backups.data.keep"),
        (
            {"data": {"driver": "restic", "paths": ["x"], "keep": {"weekly": "4"}}},
            "backups.data.keep.weekly",
        ),
    ]
    for raw, field in bad:
        with pytest.raises(BadInput) as caught:
            backup_specs({"backups": raw}, tmp_path)
        assert f"`{field}`" in caught.value.message


def test_dr_front_matter_is_read_and_checked() -> None:
    plan = dr_plan({"dr": {"env": {"DATA": "var/dr"}, "validate": "true", "timeout": "2m"}})
    assert plan.env == {"DATA": "var/dr"} and plan.validate == ("true",)
    assert plan.timeout_seconds == 120
    with pytest.raises(BadInput):
        dr_plan({"dr": {"env": {"BAD-NAME": "x"}}})
    with pytest.raises(BadInput):
        dr_plan({"dr": {"stepz": []}})


def test_the_report_sets_each_measure_beside_its_target() -> None:
    assert measured_against(250, 900).endswith("(target 15 min: met)")
    assert "MISSED" in measured_against(1000, 900)
    assert "not measured" in measured_against(None, 900)
