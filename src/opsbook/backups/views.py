"""What the backup use cases return: frozen views, the same for `--json` and the API."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackupView:
    """One backup: when, how long, how big, what it holds, where, and how it ended."""

    id: int
    name: str
    driver: str
    state: str  # running, ok, failed, interrupted, pruned
    started_at: str
    finished_at: str | None
    duration_seconds: float | None
    size: int | None
    files: int | None
    sha256: str | None
    location: str | None
    detail: str
    drilled: str | None = None  # the state of the newest drill of this backup, if any


@dataclass(frozen=True)
class DrillView:
    """One restore drill: which backup, what it restored, what matched and what did not."""

    id: int
    name: str
    seq: int
    backup_id: int
    state: str  # running, passed, failed, interrupted
    started_at: str
    finished_at: str | None
    duration_seconds: float | None
    checked: int
    matched: int
    mismatched: tuple[str, ...]
    missing: tuple[str, ...]
    problems: tuple[str, ...]
    mismatch_count: int
    missing_count: int
    coverage_files: int = 0
    coverage_proven: int = 0
    coverage_window: int = 0
    alerted: bool = False


@dataclass(frozen=True)
class StatusView:
    """A backup set at a glance: its newest backup, its newest proven one, RPO, coverage."""

    name: str
    driver: str
    last_backup: BackupView | None
    last_drill: DrillView | None
    newest_proven_at: str | None
    proven_age_seconds: float | None
    rpo_seconds: float | None
    rpo_over: bool
    coverage_files: int
    coverage_proven: int
    coverage_window: int


@dataclass(frozen=True)
class PrunedView:
    """What retention removed."""

    name: str
    removed: tuple[int, ...]
    kept: int


@dataclass(frozen=True)
class DrStepView:
    """One step of a DR drill: what ran, how long it took, how it ended."""

    number: int
    text: str
    command: str | None
    seconds: float
    outcome: str  # passed, failed, manual (a person's step, not run), skipped
    output: str = ""


@dataclass(frozen=True)
class DrDrillView:
    """A DR drill's report: steps timed, RTO and RPO measured beside the runbook's targets."""

    id: int
    state: str  # passed, failed
    started_at: str
    finished_at: str | None
    rto_seconds: float | None
    rpo_seconds: float | None
    rto_target: float | None
    rpo_target: float | None
    steps: tuple[DrStepView, ...]
    report: str
