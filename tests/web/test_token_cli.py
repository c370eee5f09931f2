"""`opsbook token create | list | revoke` against the runbook's real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process

OPSBOOK = str(Path(sys.executable).parent / "opsbook")


def opsbook(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSBOOK_HOME": str(home), "NO_COLOR": "1"}
    env.pop("OPSBOOK_DATABASE_URL", None)
    return subprocess.run([OPSBOOK, *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "state"


def test_create_prints_the_token_once_and_list_never_shows_it(home: Path) -> None:
    created = opsbook("token", "create", "--name", "ci", "--role", "operator", "--json", home=home)
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["token"].startswith("opsb_") and data["role"] == "operator"
    listed = opsbook("token", "list", "--json", home=home)
    assert data["token"] not in listed.stdout
    assert [t["name"] for t in json.loads(listed.stdout)] == ["ci"]
    human = opsbook("token", "create", "--name", "bob", "--role", "viewer", home=home)
    assert "opsb_" in human.stdout and "cannot be shown again" in human.stdout


def test_revoke_by_name_then_list_all_shows_it_revoked(home: Path) -> None:
    opsbook("token", "create", "--name", "ci", "--role", "viewer", home=home)
    revoked = opsbook("token", "revoke", "ci", "--json", home=home)
    assert revoked.returncode == 0 and json.loads(revoked.stdout)[0]["active"] is False
    assert json.loads(opsbook("token", "list", "--json", home=home).stdout) == []
    everything = json.loads(opsbook("token", "list", "--all", "--json", home=home).stdout)
    assert everything[0]["revoked_at"] is not None


def test_bad_role_is_bad_input(home: Path) -> None:
    result = opsbook("token", "create", "--name", "x", "--role", "root", home=home)
    assert result.returncode == 2 and "unknown role" in result.stderr


def test_revoking_an_unknown_token_fails(home: Path) -> None:
    result = opsbook("token", "revoke", "99", home=home)
    assert result.returncode == 1 and "no active token" in result.stderr


def test_a_bad_token_name_is_bad_input_through_the_one_mapping(home: Path) -> None:
    result = opsbook("token", "create", "--name", "   ", "--role", "viewer", home=home)
    assert result.returncode == 2, result.stderr
    assert result.stderr == "error: a name must be 1 to 100 characters\n"
    assert json.loads(opsbook("token", "list", "--json", home=home).stdout) == []
