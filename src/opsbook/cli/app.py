"""The `opsbook` command: one Typer app, one module per command group.

Command modules import only Typer at the top; everything heavy is imported inside the
command functions, so `opsbook --help` stays fast. A command line that names a command
loads only the module that registers it (see `main`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

import typer

from opsbook import __version__

if TYPE_CHECKING:
    from typer.models import CommandInfo

# The command modules, in the order `opsbook --help` lists their commands.
MODULES = ("document", "run", "serve", "token", "incidents", "alerts", "export")
# Which module registers each command or group. A name missing here still works, through
# the whole app; tests/cli/test_narrowed.py checks the table against the modules.
REGISTERED_BY = {
    "init": "document",
    "check": "document",
    "inspect": "document",
    "render": "document",
    "run": "run",
    "resume": "run",
    "runs": "run",
    "serve": "serve",
    "token": "token",
    "incidents": "incidents",
    "alerts": "alerts",
    "export": "export",
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opsbook {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Operations runbooks that run."""


def build(modules: Iterable[str] = MODULES) -> typer.Typer:
    """Return the opsbook app with the commands of these modules."""
    app = typer.Typer(
        name="opsbook",
        help="Operations runbooks that run. Reads your RUNBOOK.md and makes it executable.\n\n"
        "Example: opsbook check RUNBOOK.md",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for module in modules:
        importlib.import_module(f"opsbook.cli.{module}").register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    """Build the whole app (`from opsbook.cli.app import app`) on first use."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    whole = build()
    globals()["app"] = whole
    return whole


def main() -> None:
    """Run the opsbook command line."""
    import gc
    import sys

    word = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        module = REGISTERED_BY.get(word)
        one = narrowed(build([module]), word) if module else None
        (one if one is not None else build())()
    finally:
        # The process ends here. Python's collections while it shuts down would walk every
        # object of the start-up (Typer, the model, asyncio) for nothing: tens of ms. Frozen
        # objects in reference cycles are never finalized, so not when SQLAlchemy is loaded:
        # its pooled connections are closed only by those collections (a SQLite file keeps
        # its -wal beside it otherwise).
        if "sqlalchemy" not in sys.modules:
            gc.freeze()


def narrowed(app: typer.Typer, word: str) -> typer.Typer | None:
    """Return the app with only the command or group `word` names; None if it has none.

    Typer builds the parser of every command before it reads the arguments (about 15 ms for
    all of opsbook's); a command's parser, help and errors do not depend on the others, and
    only its own module need be imported and compiled.
    """
    import copy

    from typer.main import get_command_name

    def name(command: CommandInfo) -> str:
        callback = command.callback
        return command.name or (get_command_name(callback.__name__) if callback else "")

    one = copy.copy(app)
    one.registered_commands = [c for c in app.registered_commands if name(c) == word]
    one.registered_groups = [g for g in app.registered_groups if g.name == word]
    return one if one.registered_commands or one.registered_groups else None
