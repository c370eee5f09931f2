"""Variables a command reads, and `<placeholders>` turned into quoted variables (real bash)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from opsbook.procedures.placeholders import placeholders_as_variables
from opsbook.procedures.shellvars import undeclared


def test_undeclared_variable_is_found_outside_single_quotes_only() -> None:
    assert undeclared('echo "$NOPE" ${ALSO_NOPE}', set(), {}) == ["ALSO_NOPE", "NOPE"]
    assert undeclared("awk '{print $NOPE}'", set(), {}) == []
    assert undeclared(r"echo \$NOPE", set(), {}) == []


def test_a_quote_in_a_comment_does_not_hide_or_invent_a_variable() -> None:
    assert undeclared("# don't forget\necho $NOPE", set(), {}) == ["NOPE"]
    assert undeclared("# it's $ALSO_PROSE\necho '$QUOTED'", set(), {}) == []
    assert undeclared("echo a#$NOT_A_COMMENT", set(), {}) == ["NOT_A_COMMENT"]


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


VALUES = ["*", "two  words", 'it\'s "quoted"', "$(touch /nonexistent/x) `id` $HOME", "a\nb"]


def run_with(command: str, value: str, cwd: Path) -> str:
    script = placeholders_as_variables(command)
    done = subprocess.run(
        ["bash", "-c", script],
        env={"value": value, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    return done.stdout


@pytest.mark.process
@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize(
    ("command", "shown"),
    [
        # A quote in a comment must not flip what follows into quoted text.
        ("# don't glob here\nprintf '[%s]' <value>", "[{}]"),
        ('# say "hi\nprintf "[%s]" <value>', "[{}]"),
        ("echo a # it's <value> here\nprintf '[%s]' <value>", "a\n[{}]"),
        # Heredocs: the value as it is, without quotes around it.
        ("cat <<EOF\nv: <value>\nEOF", "v: {}\n"),
        ("cat <<-EOF\n\tv: <value> 'x'\n\tEOF\nprintf '[%s]' <value>", "v: {} 'x'\n[{}]"),
        ('cat <<EOF; printf "[%s]" <value>\n<value>\nEOF', "{}\n[{}]"),
        # Command substitution and arithmetic inside double quotes.
        ('printf "[%s]" "$(printf %s <value>)"', "[{}]"),
        ("printf '[%s]' $(printf '%s' <value> | wc -c)", "[{len}]"),
        ("printf %s $'<<\\'' <value> $'\\'>>'", "<<'{}'>>"),
        # A shift in arithmetic is not a heredoc.
        ("printf '%s ' $(( 1 << 2 ))\nprintf '[%s]' <value>", "4 [{}]"),
    ],
)
def test_placeholders_expand_to_exactly_the_value_after_comments_in_heredocs_and_nesting(
    command: str, shown: str, value: str, tmp_path: Path
) -> None:
    (tmp_path / "file-a").touch()
    (tmp_path / "file-b").touch()
    expected = shown.replace("{len}", str(len(value.encode()))).replace("{}", value)
    assert run_with(command, value, tmp_path) == expected


@pytest.mark.process
def test_a_placeholder_in_a_quoted_heredoc_or_a_comment_is_left_as_written(
    tmp_path: Path,
) -> None:
    command = "cat <<'EOF'\n<value> $HOME\nEOF\n# <value>\nprintf '[%s]' <value>"
    assert run_with(command, "*", tmp_path) == "<value> $HOME\n[*]"
