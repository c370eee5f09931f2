"""`opsbook run` keeps the parsed runbook: a second run of the same file reads it back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.procedures.cli_support import cli_env, opsbook, write_runbook

pytestmark = pytest.mark.process


def _shown(output: str) -> str:
    """Return the output without what differs between two runs: the run id, the durations."""
    return re.sub(r"\d+\.\d\ds", "N.NNs", output.replace("Run 2", "Run 1"))


BOOK = """
### Startup Procedure

**Steps**:
1. Say hello: `echo hello > said`
"""


def test_a_second_run_reads_the_parsed_runbook_and_a_changed_file_is_read_anew(
    tmp_path: Path,
) -> None:
    book = write_runbook(tmp_path, BOOK)
    env = cli_env(tmp_path / "state")
    first = opsbook("run", str(book), "startup", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    (entry,) = (tmp_path / "state-cache" / "opsbook" / "parsed").glob("*.pickle")
    kept = entry.read_bytes()
    second = opsbook("run", str(book), "startup", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _shown(second.stdout) == _shown(first.stdout)
    assert entry.read_bytes() == kept, "a hit leaves the entry alone"
    book.write_text(book.read_text().replace("Say hello", "Say goodbye"))
    third = opsbook("run", str(book), "startup", env=env)
    assert third.returncode == 0 and "Say goodbye" in third.stdout, third.stdout
    assert entry.read_bytes() != kept


def test_no_cache_when_turned_off(tmp_path: Path) -> None:
    book = write_runbook(tmp_path, BOOK)
    env = cli_env(tmp_path / "state", OPSBOOK_PARSE_CACHE="0")
    assert opsbook("run", str(book), "startup", env=env).returncode == 0
    assert not (tmp_path / "state-cache").exists()
