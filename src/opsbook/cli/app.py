"""The `opsbook` command: one Typer app, one module per command group.

Command modules import only Typer at the top; everything heavy is imported inside the
command functions, so `opsbook --help` stays fast.
"""

from __future__ import annotations

import typer

from opsbook import __version__
from opsbook.cli import alerts as alerts_command
from opsbook.cli import document, run
from opsbook.cli import export as export_command
from opsbook.cli import incidents as incidents_command
from opsbook.cli import serve as serve_command
from opsbook.cli import token as token_command

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
    app()
