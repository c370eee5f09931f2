"""Ids and limits past what the database holds: exit 2 with the range, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.procedures.cli_support import opsbook, recorded_runbook

pytestmark = pytest.mark.process

HUGE = "99999999999999999999"  # past SQLite's 2^63 and PostgreSQL's 2^31
QUICK = "### Quick Procedure\n\n**Steps**:\n1. Say: `echo hi`\n"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A runbook whose database exists (a first run made it), so a bad id would reach it."""
    directory = tmp_path_factory.mktemp("recorded")
    return recorded_runbook(directory, QUICK, "quick")


@pytest.mark.parametrize(
    "command",
    [
        ["runs", "show", HUGE],
        ["runs", "show", HUGE, "--json"],
        ["runs", "show", "2147483648"],
        ["runs", "show", "0"],
        ["runs", "list", "--limit", HUGE],
        ["resume", HUGE, "--yes"],
        ["alerts", "show", HUGE],
        ["alerts", "ack", HUGE],
        ["alerts", "list", "--limit", HUGE],
        ["incidents", "show", HUGE],
        ["incidents", "ack", HUGE],
        ["incidents", "list", "--limit", HUGE],
        ["token", "revoke", HUGE],
    ],
)
def test_an_id_or_limit_past_the_database_range_exits_2_with_the_range(
    recorded: tuple[Path, dict[str, str]], command: list[str]
) -> None:
    book, env = recorded
    done = opsbook(*command, "--runbook", str(book), env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "OverflowError" not in done.stderr
    assert "2147483647" in done.stderr or "10000" in done.stderr, done.stderr
