"""Log rotation while a real process writes lines continuously: none lost, none twice."""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.maintenance.log_rotation import Rotation, rotate, rotation_of

pytestmark = pytest.mark.process  # the writer is a real process

# Holds its log open (as daemons do) and reopens it on SIGHUP; or opens it for each line.
WRITER = r"""
import os, signal, sys, time
path, held = sys.argv[1], sys.argv[2] == "held"
reopen = False
def hup(*_):
    global reopen
    reopen = True
signal.signal(signal.SIGHUP, hup)
with open(path + ".pid", "w") as f:
    f.write(str(os.getpid()))
out = open(path, "a", buffering=1) if held else None
n = 0
while not os.path.exists(path + ".stop"):
    if held:
        if reopen:
            out.close()
            out = open(path, "a", buffering=1)
            reopen = False
        out.write(f"line {n}\n")
    else:
        with open(path, "a") as each:
            each.write(f"line {n}\n")
    n += 1
    if n % 50 == 0:
        time.sleep(0.001)
if out:
    out.close()
print(n)
"""


def _all_lines(log: Path) -> list[str]:
    lines = log.read_text().splitlines()
    for copy in log.parent.glob(log.name + ".*"):
        if copy.name.endswith(".gz"):
            lines += gzip.decompress(copy.read_bytes()).decode().splitlines()
        elif copy.name.endswith(".1"):
            lines += copy.read_text().splitlines()
    return lines


@pytest.mark.parametrize("mode", ["held", "per-line"])
def test_rotating_while_writing_loses_no_line(tmp_path: Path, mode: str) -> None:
    log = tmp_path / "app.log"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(log), mode], stdout=subprocess.PIPE, text=True
    )
    try:
        while not (tmp_path / "app.log.pid").exists() or log.stat().st_size < 10_000:
            time.sleep(0.01)
        reopen = "kill -HUP $(cat app.log.pid)" if mode == "held" else ""
        rule = Rotation(keep=50, reopen=reopen, settle=0.2, wait=10)
        results = []
        for _ in range(5):
            results.append(rotate(log, rule, now=time.time(), folder=tmp_path))
            time.sleep(0.05)
    finally:
        (tmp_path / "app.log.stop").touch()
        written = int(writer.communicate(timeout=30)[0])
    assert all(ok for ok, _ in results), results
    assert sorted(p.name for p in tmp_path.glob("app.log.*.gz")) == [
        f"app.log.{n}.gz" for n in range(1, 6)
    ]
    lines = _all_lines(log)
    assert written > 10_000
    assert len(lines) == written  # none lost, none twice
    assert sorted(int(line.split()[1]) for line in lines) == list(range(written))


def test_a_writer_that_never_reopens_keeps_its_file_uncompressed(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(log), "held"], stdout=subprocess.PIPE, text=True
    )
    try:
        while not log.exists() or log.stat().st_size < 1000:
            time.sleep(0.01)
        ok, said = rotate(log, Rotation(settle=0.1, wait=0.5), now=time.time(), folder=tmp_path)
    finally:
        (tmp_path / "app.log.stop").touch()
        written = int(writer.communicate(timeout=30)[0])
    assert not ok and "still writes to it; kept uncompressed" in said
    assert not list(tmp_path.glob("*.gz"))
    assert len(_all_lines(log)) == written


def test_size_and_age_rules_and_keep(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    rule = rotation_of({"max size": "1k", "keep": "2"})
    assert rule.max_bytes == 1024 and rule.keep == 2
    now = datetime(2026, 12, 2, tzinfo=UTC).timestamp()
    log.write_text("x" * 100)
    assert rotate(log, rule, now=now, folder=tmp_path, sleep=lambda _: None) == (
        True,
        f"{log}: not due (100 bytes)",
    )
    for round_ in range(3):
        log.write_text(f"{round_}" * 2000)
        ok, _ = rotate(log, rule, now=now, folder=tmp_path, sleep=lambda _: None)
        assert ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "app.log.1.gz", "app.log.2.gz"]
    assert gzip.decompress((tmp_path / "app.log.1.gz").read_bytes()) == b"2" * 2000
    with pytest.raises(ValueError, match="not a size"):
        rotation_of({"max size": "lots"})


def test_a_reader_holding_the_log_does_not_stop_its_compression(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("line 0\n" * 100)
    reader = subprocess.Popen(["tail", "-f", str(log)], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.3)  # tail has the file open
        ok, said = rotate(log, Rotation(settle=0.1, wait=2), now=time.time(), folder=tmp_path)
    finally:
        reader.kill()
        reader.wait()
    assert ok and "compressed to app.log.1.gz" in said, said
