"""A block of several commands fails when any of them fails, in either shell mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.procedures.cli_support import cli_env, opsbook

pytestmark = pytest.mark.process

BOOK = """\
---
shell: {mode}
---
# Blocks

## Standard Operating Procedures

### Clean Procedure

**Steps**:
1. Prepare and check:

   ```sh
   touch before
   false
   touch after
   ```

2. Go on: `touch next`
"""


@pytest.mark.parametrize("mode", ["session", "per-step"])
def test_a_failing_command_in_the_middle_fails_the_step(tmp_path: Path, mode: str) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(BOOK.format(mode=mode), encoding="utf-8")
    done = opsbook("run", str(book), "clean", env=cli_env(tmp_path / "state"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert (tmp_path / "before").exists()
    assert not (tmp_path / "after").exists() and not (tmp_path / "next").exists()


def test_a_passed_block_leaves_its_variables_not_set_e_to_the_next_step(tmp_path: Path) -> None:
    book = tmp_path / "RUNBOOK.md"
    book.write_text(
        BOOK.format(mode="session")
        .replace("false\n", "NAME=kept\n")
        .replace("`touch next`", '`false; touch "$NAME"`'),
        encoding="utf-8",
    )
    done = opsbook("run", str(book), "clean", env=cli_env(tmp_path / "state"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "kept").exists()
