from __future__ import annotations

from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.main import get_command
from typer.testing import CliRunner

from opsbook.cli import run as run_module
from opsbook.cli.app import build, narrowed
from opsbook.cli.run_args import FLAGS, VALUE_OPTIONS, RunArgs, parse_run_args

APP = narrowed(build(["run"]), "run")
COMMAND = get_command(APP).commands["run"]  # type: ignore[arg-type, attr-defined]
RUNNER = CliRunner()

# Words the command line is made of, the tricky ones among them.
WORDS = [
    *VALUE_OPTIONS,
    *FLAGS,
    "RUNBOOK.md",
    "startup",
    "VERSION=1.4",
    "--param=VERSION=1.4",
    "--param=",
    "--host=web",
    "--host=",
    "web",
    "--",
    "-",
    "",
    "=",
    "-h",
    "--help",
    "-yp",
    "-py",
    "-pVERSION=1",
    "-p=X",
    "--yes=1",
    "--json=",
    "--no-yes",
    "--hos",
    "--params",
    "--Param",
    "-Y",
    "-x",
    "--runbook",
    "---",
    "-1",
]

TRICKY = [
    [],
    ["RUNBOOK.md"],
    ["RUNBOOK.md", "startup"],
    ["RUNBOOK.md", "startup", "extra"],
    ["startup", "-p", "A=1", "--param", "B=2", "--param=C=3", "-y", "--dry-run", "--json"],
    ["-p", "A=1", "startup"],
    ["startup", "-p"],
    ["startup", "--host"],
    ["startup", "--host", "a", "--host", "b"],
    ["startup", "--host", "--yes"],
    ["startup", "--param", "--help"],
    ["startup", "--param", "--"],
    ["startup", "--help"],
    ["startup", "-h"],
    ["--help"],
    ["startup", "-yp", "A=1"],
    ["startup", "-pA=1"],
    ["startup", "--yes=1"],
    ["--", "--yes"],
    ["--", "-", "--"],
    ["startup", "--", "--json"],
    ["-", "startup"],
    ["", ""],
    ["startup", "--hos", "web"],
    ["startup", "--no-yes"],
    ["startup", "--param="],
    ["startup", "-1"],
]


def typer_reads(argv: list[str]) -> RunArgs | None:
    """Return what the real Typer command hands the run, or None if it runs nothing."""
    seen: list[RunArgs] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_module, "run_procedure", seen.append)
        done = RUNNER.invoke(APP, ["run", *argv], prog_name="opsbook")  # type: ignore[arg-type]
    return seen[0] if seen and done.exit_code == 0 else None


def assert_typer_agrees(argv: list[str]) -> None:
    fast = parse_run_args(argv)
    if fast is not None:
        assert typer_reads(argv) == fast, argv


@pytest.mark.parametrize("argv", TRICKY, ids=repr)
def test_what_the_fast_parser_reads_typer_reads_the_same(argv: list[str]) -> None:
    assert_typer_agrees(argv)


# Command lines of the known words only, which the fast parser mostly reads, and of any words.
PLAIN = [
    *VALUE_OPTIONS,
    *FLAGS,
    "--",
    "-",
    "RUNBOOK.md",
    "startup",
    "A=1",
    "--param=B=",
    "--host=db",
]
LINES = st.lists(st.sampled_from(PLAIN), max_size=8) | st.lists(
    st.sampled_from(WORDS) | st.text(max_size=6), max_size=8
)


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_typer_agrees_on_any_command_line_the_fast_parser_reads(argv: list[str]) -> None:
    assert_typer_agrees(argv)


def test_plain_command_lines_are_read_without_typer() -> None:
    assert parse_run_args(["RUNBOOK.md", "startup", "-p", "A=1", "--param=B=", "-y"]) == RunArgs(
        "RUNBOOK.md", "startup", ("A=1", "B="), yes=True
    )
    assert parse_run_args(["startup", "--host=web", "--json", "--dry-run"]) == RunArgs(
        "startup", host="web", dry_run=True, as_json=True
    )
    assert parse_run_args(["--", "-", "--yes"]) == RunArgs("-", "--yes")


def test_help_and_every_mistake_are_left_to_typer() -> None:
    for argv in (["startup", "--help"], ["-h"], ["startup", "-yp", "A=1"], ["startup", "-p"]):
        assert parse_run_args(argv) is None, argv
    for argv in ([], ["a", "b", "c"], ["startup", "--hos", "web"], ["startup", "--yes=1"]):
        assert parse_run_args(argv) is None, argv


def test_the_fast_parser_knows_the_options_of_the_typer_command_and_no_others() -> None:
    options = [p for p in COMMAND.params if p.param_type_name == "option"]
    named = {name: p.name for p in options for name in (*p.opts, *p.secondary_opts)}
    assert named == VALUE_OPTIONS | FLAGS
    assert {name for p in options if p.is_flag for name in p.opts} == set(FLAGS)
    assert [p.name for p in COMMAND.params] == [f.name for f in fields(RunArgs)]
