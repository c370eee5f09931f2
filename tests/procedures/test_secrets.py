"""Secret values never appear: terminal, stored output, audit rows, JSON, the database file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.procedures.cli_support import cli_env, opsbook, write_runbook

pytestmark = pytest.mark.process

PASSWORD = "pw-9f8e7d6c5b"
TOKEN = "tok-1a2b3c4d5e"
BOOK = """
### Rotate Procedure

**Parameters**:
- `API_TOKEN` (required): token for the API
- `REGION` (default: eu-1): where

**Steps**:
1. Use them: `echo "db=$DB_PASSWORD api=$API_TOKEN region=$REGION"; echo "err $DB_PASSWORD" >&2`
2. Fail loudly: `echo "still $API_TOKEN"; echo "$DB_PASSWORD" >&2; exit 1`

**Rollback**:
1. Undo: `echo "undo with $API_TOKEN"`
"""
ENV_TABLE = """
| Variable | Required | Default | Description |
|---|---|---|---|
| DB_PASSWORD | yes | | database password |
"""


def test_secret_values_are_masked_everywhere_they_could_leak(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, BOOK, ENV_TABLE)
    env = cli_env(tmp_path / "state", DB_PASSWORD=PASSWORD)
    outputs = []
    run = opsbook("run", str(book), "rotate", "--param", f"API_TOKEN={TOKEN}", env=env)
    assert run.returncode == 1
    assert "db=**** api=**** region=eu-1" not in run.stdout, "passing steps show no output"
    assert "still ****" in run.stdout, "the failure tail shows, masked"
    outputs += [run.stdout, run.stderr]
    for args in (
        ["runs", "show", "1"],
        ["runs", "show", "1", "--json"],
        ["runs", "list", "--json"],
        ["run", str(book), "rotate", "--param", f"API_TOKEN={TOKEN}", "--dry-run"],
        ["run", str(book), "rotate", "--param", f"API_TOKEN={TOKEN}", "--dry-run", "--json"],
        ["run", str(book), "rotate", "--param", f"API_TOKEN={TOKEN}", "--json"],
    ):
        done = opsbook(*args, env=env)
        outputs += [done.stdout, done.stderr]
    shown = opsbook("runs", "show", "1", "--json", env=env).stdout
    assert "db=**** api=**** region=eu-1" in shown and '"API_TOKEN": "****"' in shown
    for text in outputs:
        assert PASSWORD not in text and TOKEN not in text
    for stored in (tmp_path / "state").iterdir():
        data = stored.read_bytes()
        assert PASSWORD.encode() not in data and TOKEN.encode() not in data, stored
