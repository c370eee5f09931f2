"""One error path: every DomainError a command meets becomes one message and one exit status.

The rule (docs/architecture.md): bad input, nothing done, exit 2 (not found, bad input, too
large); understood and refused, or beaten to it by someone else, exit 1 (refused, conflict).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from opsbook.cli.output import fail_domain
from opsbook.errors import BadInput, Conflict, DomainError, NotFound, Refused, TooLarge
from tests.procedures.cli_support import cli_env, opsbook, write_runbook


@pytest.mark.parametrize(
    ("error", "status"),
    [(NotFound, 2), (BadInput, 2), (TooLarge, 2), (Refused, 1), (Conflict, 1)],
)
def test_each_kind_exits_with_its_status_saying_the_message_and_the_hint(
    error: type[DomainError], status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        fail_domain(error("incident 3 is closed", "open a new one"))
    assert exited.value.code == status
    assert capsys.readouterr().err == "error: incident 3 is closed\n  hint: open a new one\n"


@pytest.mark.process
def test_a_command_reports_the_domain_errors_of_its_use_cases_through_the_one_mapping(
    tmp_path: Path,
) -> None:
    book = write_runbook(tmp_path, "### Hello Procedure\n\n**Steps**:\n1. Greet: `true`\n")
    env = cli_env(tmp_path / "state")

    def incidents(*args: str) -> subprocess.CompletedProcess[str]:
        return opsbook("incidents", *args, "-f", str(book), env=env)

    missing = incidents("show", "42")
    assert missing.returncode == 2, missing.stderr
    assert missing.stderr.splitlines() == [
        "error: no incident 42",
        "  hint: list them: opsbook incidents list",
    ]
    assert incidents("open", "-s", "SEV-3", "-t", "Slow").returncode == 0
    refused = incidents("close", "1")
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.startswith("error: incident 1: ")
    assert "Traceback" not in refused.stderr
    bad = opsbook("alerts", "silence", "no matcher", "--for", "1h", "-r", str(book), env=env)
    assert bad.returncode == 2, bad.stderr
    assert bad.stderr.startswith('error: matcher "no matcher" is not NAME=VALUE')
