"""Fixtures of the backup tests: a tree of mixed files, backup specs, the programs they need.

A program the tests need (zstd, restic, pg_dump) that is missing skips the test, or fails
it under CI=true: CI must never pass by leaving the real tools out.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opsbook.backups.settings import BackupSpec, backup_specs


def need(program: str) -> str:
    """Return the program's path; skip the test without it, or fail it under CI=true."""
    found = shutil.which(program)
    if found:
        return found
    reason = f"{program} is not installed (sh scripts/system-deps.sh installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; CI needs it")
    pytest.skip(reason)


def now() -> datetime:
    return datetime.now(UTC)


def make_tree(root: Path, files: int = 12) -> dict[str, bytes]:
    """Write mixed files (text, random bytes, empty, nested) under root/var/data."""
    written: dict[str, bytes] = {}
    for index in range(files):
        folder = root / "var" / "data" / ("items" if index % 2 else "blobs/deep")
        folder.mkdir(parents=True, exist_ok=True)
        if index % 3 == 0:
            data = os.urandom(1000 + index * 997)
        elif index % 3 == 1:
            data = (f"item {index}\n" * (index + 1)).encode()
        else:
            data = b""
        path = folder / f"f{index:02}.bin"
        path.write_bytes(data)
        written[path.relative_to(root).as_posix()] = data
    return written


@pytest.fixture
def spec_for(tmp_path: Path) -> Callable[..., BackupSpec]:
    """Return a maker of one backup spec `data` under tmp_path, from front matter values."""

    def make(**values: Any) -> BackupSpec:
        settings = {"backups": {"data": {"paths": ["var/data"], **values}}}
        return backup_specs(settings, tmp_path)["data"]

    return make


class RecordedAlerts:
    """An AlertSink that keeps what it was told (for tests that check the calls themselves)."""

    def __init__(self) -> None:
        self.fired: list[tuple[str, str]] = []
        self.resolved: list[str] = []

    def fire(
        self,
        *,
        key: str,
        name: str,
        summary: str,
        labels: dict[str, str],
        since: datetime,
        now: datetime,
    ) -> None:
        self.fired.append((key, summary))

    def resolve(
        self, *, key: str, name: str, labels: dict[str, str], since: datetime, now: datetime
    ) -> None:
        self.resolved.append(key)
