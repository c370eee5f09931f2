"""The `opsbook` command: one Typer app, one module per command group.

Command modules import only Typer at the top; everything heavy is imported inside the
command functions, so `opsbook --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from opsbook import __version__
from opsbook.cli import alerts as alerts_command
from opsbook.cli import document, run
from opsbook.cli import export as export_command
from opsbook.cli import incidents as incidents_command
from opsbook.cli import serve as serve_command
from opsbook.cli import token as token_command

if TYPE_CHECKING:
    from typer.models import CommandInfo

app = typer.Typer(
    name="opsbook",
    help="Operations runbooks that run. Reads your RUNBOOK.md and makes it executable.\n\n"
    "Example: opsbook check RUNBOOK.md",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
document.register(app)
run.register(app)
serve_command.register(app)
token_command.register(app)
incidents_command.register(app)
alerts_command.register(app)
export_command.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opsbook {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Operations runbooks that run."""


def main() -> None:
    """Run the opsbook command line."""
    import gc
    import sys

    try:
        narrowed(sys.argv[1] if len(sys.argv) > 1 else "")()
    finally:
        # The process ends here. Python's collections while it shuts down would walk every
        # object of the start-up (Typer, the model, asyncio) for nothing: tens of ms. Frozen
        # objects in reference cycles are never finalized, so not when SQLAlchemy is loaded:
        # its pooled connections are closed only by those collections (a SQLite file keeps
        # its -wal beside it otherwise).
        if "sqlalchemy" not in sys.modules:
            gc.freeze()


def narrowed(word: str) -> typer.Typer:
    """Return the app with only the command or group `word` names; the whole app otherwise.

    Typer builds the parser of every command before it reads the arguments (about 15 ms for
    all of opsbook's); a command's parser, help and errors do not depend on the others.
    """
    import copy

    from typer.main import get_command_name

    def name(command: CommandInfo) -> str:
        callback = command.callback
        return command.name or (get_command_name(callback.__name__) if callback else "")

    one = copy.copy(app)
    one.registered_commands = [c for c in app.registered_commands if name(c) == word]
    one.registered_groups = [g for g in app.registered_groups if g.name == word]
    return one if one.registered_commands or one.registered_groups else app
