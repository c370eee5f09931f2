from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.procedures.cli_support import (
    OPSBOOK,
    cli_env,
    main_in_new_process,
    opsbook,
    recorded_runbook,
    write_runbook,
)

pytestmark = pytest.mark.process


def test_main_freezes_the_heap_before_the_process_ends() -> None:
    code = (
        "import gc, sys\n"
        "from opsbook.cli.app import main\n"
        "sys.argv = ['opsbook', '--version']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, gc.get_freeze_count() > 1000)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[-2] == "0 True", done.stdout + done.stderr


def test_a_run_leaves_its_database_closed_on_both_stores(tmp_path: Path) -> None:
    # SQLite removes the -wal file when the last connection closes: a file left behind
    # means a connection was left for the (frozen) collector.
    book = write_runbook(tmp_path, "### Hello Procedure\n\n**Steps**:\n1. Say: `echo hi`\n")
    env = cli_env(tmp_path / "state")
    for store in ("SQLAlchemy, first run", "sqlite3, later runs"):
        done = opsbook("run", str(book), "hello", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["opsbook.db"], store


def test_an_interrupted_run_leaves_its_database_closed(tmp_path: Path) -> None:
    book, env = recorded_runbook(
        tmp_path,
        "### Noop Procedure\n\n**Steps**:\n1. Nothing: `true`\n\n"
        "### Long Procedure\n\n**Steps**:\n1. Wait: `touch started; sleep 300`\n",
        "noop",
    )
    proc = subprocess.Popen(
        [OPSBOOK, "run", str(book), "long"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists():
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["opsbook.db"]


def test_a_plain_run_runs_without_typer_and_is_recorded(tmp_path: Path) -> None:
    # The first run creates the database (through SQLAlchemy); the second is on the light path.
    book, env = recorded_runbook(
        tmp_path,
        "### Hello Procedure\n\n**Parameters**:\n- `NAME` (required): who\n\n"
        '**Steps**:\n1. Greet: `echo "hi $NAME" > out.txt`\n',
        "hello",
        "-p",
        "NAME=me",
    )
    status, modules, out = main_in_new_process(["run", str(book), "hello", "--param=NAME=you"], env)
    assert status == 0 and "typer" not in modules, out
    assert "Run 2 succeeded" in out
    assert (tmp_path / "out.txt").read_text() == "hi you\n"
    with closing(sqlite3.connect(tmp_path / "state" / "opsbook.db")) as db:
        runs = db.execute("SELECT id, status, params FROM runs ORDER BY id").fetchall()
    assert [(i, status, json.loads(params)) for i, status, params in runs] == [
        (1, "succeeded", {"NAME": "me"}),
        (2, "succeeded", {"NAME": "you"}),
    ]


def test_help_and_mistakes_on_run_are_still_typer_s(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "state")
    helped = opsbook("run", "--help", env=env)
    assert helped.returncode == 0
    assert helped.stdout.startswith("Usage: opsbook run [OPTIONS] {RUNBOOK.md} [ID]")
    assert "--param" in helped.stdout and "--dry-run" in helped.stdout
    wrong = opsbook("run", "startup", "--yes=1", env=env)
    assert wrong.returncode == 2
    assert "Option '--yes' does not take a value." in wrong.stderr
