"""Variables a command reads, and `<placeholders>` turned into quoted variables (real bash)."""

from __future__ import annotations

import subprocess

import pytest

from opsbook.procedures.shellvars import placeholders_as_variables, undeclared


def test_undeclared_variable_is_found_outside_single_quotes_only() -> None:
    assert undeclared('echo "$NOPE" ${ALSO_NOPE}', set(), {}) == ["ALSO_NOPE", "NOPE"]
    assert undeclared("awk '{print $NOPE}'", set(), {}) == []
    assert undeclared(r"echo \$NOPE", set(), {}) == []


def test_declared_assigned_guarded_and_environment_variables_are_not_undeclared() -> None:
    command = (
        'X=1; echo "$X $VERSION ${MAYBE:-none} $HOME"; for h in a b; do echo $h; done; '
        "read -r line other < /dev/null; echo $line $other $FROM_ENV $OPSBOOK_RUN_ID"
    )
    assert undeclared(command, {"VERSION"}, {"FROM_ENV": "1"}) == []


@pytest.mark.process
@pytest.mark.parametrize(
    "command",
    ["printf '%s' <value>", 'printf "%s" "<value>"', "printf '%s' '<value>'", "printf %s <value>"],
)
def test_placeholder_becomes_one_quoted_word_wherever_it_stands(command: str) -> None:
    value = "$(touch /nonexistent/x); two  words `id` 'q' \"d\""
    script = placeholders_as_variables(command)
    done = subprocess.run(
        ["bash", "-c", script], env={"value": value}, capture_output=True, text=True, check=True
    )
    assert done.stdout == value
