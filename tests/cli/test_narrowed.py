from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from opsbook.cli.app import MODULES, REGISTERED_BY, app, build, narrowed

NAMES = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def _one(name: str) -> object:
    return narrowed(build([REGISTERED_BY[name]]), name)


def _same(argv: list[str]) -> None:
    runner = CliRunner()
    whole = runner.invoke(app, argv, prog_name="opsbook")
    one = runner.invoke(_one(argv[0]), argv, prog_name="opsbook")  # type: ignore[arg-type]
    assert (one.exit_code, one.output) == (whole.exit_code, whole.output)


def test_every_command_and_group_is_in_the_table_with_its_module() -> None:
    assert {"run", "resume", "check", "inspect", "serve", "runs", "incidents"} <= set(NAMES)
    assert sorted(REGISTERED_BY) == NAMES
    assert set(REGISTERED_BY.values()) == set(MODULES)
    for name in NAMES:
        assert _one(name) is not None, name


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


def test_anything_else_is_not_narrowed() -> None:
    for word in ("", "--help", "--version", "rnu", "-h"):
        assert narrowed(app, word) is None


@pytest.mark.process
def test_a_command_line_loads_only_the_module_of_its_command() -> None:
    code = (
        "import json, sys\n"
        "from opsbook.cli.app import main\n"
        "sys.argv = ['opsbook', 'run', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    print(json.dumps(sorted(m for m in sys.modules if m.startswith('opsbook.cli.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert "opsbook.cli.run" in loaded
    assert not {"opsbook.cli.incidents", "opsbook.cli.serve", "opsbook.cli.alerts"} & set(loaded)
