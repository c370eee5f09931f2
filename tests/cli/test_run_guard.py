"""A plain `opsbook run` passes the shutdown guard on either store, and stays light."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.procedures.cli_support import (
    main_in_new_process,
    opsbook,
    recorded_runbook,
    run_json,
)

pytestmark = pytest.mark.process

BOOK = (
    "### Hello Procedure\n\n**Steps**:\n1. Greet: `touch hello`\n\n"
    "### Shutdown Procedure\n\n**Steps**:\n1. Stop: `touch stopped`\n"
)


def test_a_shutdown_is_refused_during_a_security_incident_and_other_runs_stay_light(
    tmp_path: Path,
) -> None:
    book, env = recorded_runbook(tmp_path, BOOK, "hello")
    # An ordinary run asks the guard without opening the whole database (no SQLAlchemy).
    status, modules, out = main_in_new_process(["run", str(book), "hello"], env)
    assert status == 0 and "sqlalchemy" not in modules, out
    # A shutdown is the guard's business: it looks at the incidents, and it may run now.
    status, modules, out = main_in_new_process(["run", str(book), "shutdown"], env)
    assert status == 0 and "sqlalchemy" in modules, out
    (tmp_path / "stopped").unlink()
    opened = opsbook(
        "incidents",
        "open",
        "-s",
        "SEV-1",
        "-t",
        "Odd logins",
        "--security",
        "-f",
        str(book),
        env=env,
        cwd=tmp_path,
    )
    assert opened.returncode == 0, opened.stderr
    refused = opsbook("run", str(book), "shutdown", env=env, cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "DO NOT shut down systems — preserve evidence" in refused.stderr
    assert "opsbook incidents force-run 1 shutdown" in refused.stderr
    assert not (tmp_path / "stopped").exists()
    assert [r["procedure"] for r in run_json("runs", "list", env=env)] == [
        "shutdown",
        "hello",
        "hello",
    ]
    assert opsbook("run", str(book), "hello", env=env, cwd=tmp_path).returncode == 0
