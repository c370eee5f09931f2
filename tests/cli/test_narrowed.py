from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from opsbook.cli.app import app, narrowed

NAMES = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def _same(argv: list[str]) -> None:
    runner = CliRunner()
    whole = runner.invoke(app, argv, prog_name="opsbook")
    one = runner.invoke(narrowed(argv[0]), argv, prog_name="opsbook")
    assert (one.exit_code, one.output) == (whole.exit_code, whole.output)


def test_every_command_and_group_is_found() -> None:
    assert {"run", "resume", "check", "inspect", "serve", "runs", "incidents"} <= set(NAMES)
    for name in NAMES:
        assert narrowed(name) is not app, name


@pytest.mark.parametrize("name", NAMES)
def test_a_narrowed_command_helps_and_fails_as_in_the_whole_app(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only --help and a bad option: neither reaches the command (serve would serve, init write).
    monkeypatch.chdir(tmp_path)
    _same([name, "--help"])
    _same([name, "--no-such-option"])
    assert not list(tmp_path.iterdir())


def test_a_subcommand_of_a_group_is_the_same() -> None:
    _same(["runs", "show", "--help"])
    _same(["incidents", "open", "--no-such-option"])


def test_anything_else_gets_the_whole_app() -> None:
    for word in ("", "--help", "--version", "rnu", "-h"):
        assert narrowed(word) is app
