"""kill -9 in the middle of a backup, in a real child process: nothing is recorded as good,
and the next backup of the set marks the killed one interrupted and clears its leftovers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.backups.conftest import need

pytestmark = pytest.mark.process

RUNBOOK = """---
backups:
  data:
    driver: {driver}
    paths: [var/data]
    repository: var/backups
{extra}
---
# Crash test
"""


def _opsbook(tmp_path: Path, *args: str, **popen: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPSBOOK_HOME": str(tmp_path / "state")}
    command = [sys.executable, "-m", "opsbook", *args, "-f", str(tmp_path / "RUNBOOK.md")]
    return subprocess.Popen(command, env=env, start_new_session=True, **popen)  # type: ignore[call-overload]


def _listed(tmp_path: Path) -> list[dict[str, object]]:
    child = _opsbook(tmp_path, "backup", "list", "--json", stdout=subprocess.PIPE)
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    return list(json.loads(out))


def _kill_when(tmp_path: Path, child: subprocess.Popen[bytes], sign: Path | str) -> None:
    """SIGKILL the child's whole process group as soon as the sign of a started backup shows."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (
            list((tmp_path / "var/backups").glob(str(sign)))
            if isinstance(sign, str)
            else sign.exists()
        ):
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return
        assert child.poll() is None, "the backup finished before it could be killed"
        time.sleep(0.002)
    raise AssertionError("the backup never started")


def test_kill_9_mid_archive_leaves_no_good_backup_and_the_next_one_marks_it_interrupted(
    tmp_path: Path,
) -> None:
    need("zstd")
    (tmp_path / "RUNBOOK.md").write_text(RUNBOOK.format(driver="archive", extra=""))
    data = tmp_path / "var/data"
    data.mkdir(parents=True)
    for index in range(40):  # 160 MiB of text: seconds of work to kill in the middle of
        (data / f"{index}.txt").write_bytes((f"line {index} " * 100 + "\n").encode() * 4096)
    child = _opsbook(tmp_path, "backup", "run", "data", stdout=subprocess.DEVNULL)
    _kill_when(tmp_path, child, "*.partial")
    rows = _listed(tmp_path)
    assert [r["state"] for r in rows] == ["running"]
    assert not [p for p in (tmp_path / "var/backups").iterdir() if p.name.endswith(".tar.zst")]
    again = _opsbook(tmp_path, "backup", "run", "data", stdout=subprocess.DEVNULL)
    assert again.wait(timeout=120) == 0
    states = {r["id"]: r["state"] for r in _listed(tmp_path)}
    assert states == {rows[0]["id"]: "interrupted", int(str(rows[0]["id"])) + 1: "ok"}
    left = sorted(p.name for p in (tmp_path / "var/backups").iterdir())
    assert len(left) == 1 and left[0].endswith(".tar.zst")


def test_kill_9_while_the_command_driver_writes_leaves_no_good_backup(tmp_path: Path) -> None:
    started = tmp_path / "started"
    command = f'printf partial > "$OPSBOOK_BACKUP_OUTPUT"; touch {started}; sleep 60'
    extra = f"    command: '{command}'"
    (tmp_path / "RUNBOOK.md").write_text(RUNBOOK.format(driver="command", extra=extra))
    (tmp_path / "var/data").mkdir(parents=True)
    child = _opsbook(tmp_path, "backup", "run", "data", stdout=subprocess.DEVNULL)
    _kill_when(tmp_path, child, started)
    assert [r["state"] for r in _listed(tmp_path)] == ["running"]
    assert [p.name.endswith(".partial") for p in (tmp_path / "var/backups").iterdir()] == [True]


def test_kill_9_mid_drill_leaves_it_interrupted_never_passed(tmp_path: Path) -> None:
    started = tmp_path / "restoring"
    extra = (
        "    command: 'printf dump > \"$OPSBOOK_BACKUP_OUTPUT\"'\n"
        f"    restore_command: 'touch {started}; sleep 60'"
    )
    (tmp_path / "RUNBOOK.md").write_text(RUNBOOK.format(driver="command", extra=extra))
    (tmp_path / "var/data").mkdir(parents=True)
    assert _opsbook(tmp_path, "backup", "run", "data", stdout=subprocess.DEVNULL).wait(60) == 0
    child = _opsbook(tmp_path, "backup", "drill", "data", stdout=subprocess.DEVNULL)
    _kill_when(tmp_path, child, started)
    started.unlink()

    def drills() -> list[str]:
        listing = _opsbook(tmp_path, "backup", "drills", "--json", stdout=subprocess.PIPE)
        out, _ = listing.communicate(timeout=60)
        return [d["state"] for d in json.loads(out)]

    assert drills() == ["running"]
    # The next drill (its restore command now fails fast) marks the killed one interrupted.
    text = (tmp_path / "RUNBOOK.md").read_text().replace("sleep 60", "exit 4")
    (tmp_path / "RUNBOOK.md").write_text(text)
    assert _opsbook(tmp_path, "backup", "drill", "data", stdout=subprocess.DEVNULL).wait(60) == 1
    assert drills() == ["failed", "interrupted"]
