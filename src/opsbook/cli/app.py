"""The `opsbook` command: one Typer app, one module per command group.

Command modules import only Typer at the top; everything heavy is imported inside the
command functions, so `opsbook --help` stays fast. A command line that names a command
loads only the module that registers it (see `main`). A plain `opsbook run` command line
does not load Typer at all (see run_args.py).
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from opsbook import __version__
from opsbook.cli.heap import collect_again
from opsbook.cli.output import fail_domain
from opsbook.errors import DomainError

if TYPE_CHECKING:
    import typer
    from typer.models import CommandInfo

# The command modules, in the order `opsbook --help` lists their commands.
MODULES = (
    "document",
    "run",
    "serve",
    "token",
    "incidents",
    "alerts",
    "evidence",
    "backup",
    "dr",
    "maintenance",
    "deploy",
    "gate",
    "oncall",
    "export",
)
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
    "evidence": "evidence",
    "backup": "backup",
    "dr": "dr",
    "maintenance": "maintenance",
    "config": "deploy",
    "env": "deploy",
    "history": "deploy",
    "deployments": "deploy",
    "gate": "gate",
    "oncall": "oncall",
    "export": "export",
}


def _version(value: bool) -> None:
    # lazy: keeps typer off the start-up of a plain `opsbook run`
    import typer

    if value:
        typer.echo(f"opsbook {__version__}")
        raise typer.Exit()


def build(modules: Iterable[str] = MODULES) -> typer.Typer:
    """Return the opsbook app with the commands of these modules."""
    # lazy: keeps typer off the start-up of a plain `opsbook run`
    import typer

    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        """Operations runbooks that run."""

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
    # lazy: keeps gc off the start-up of `opsbook --help`
    import gc

    word = sys.argv[1] if len(sys.argv) > 1 else ""
    gc.disable()  # until the work starts: see cli/heap.py
    try:
        if word == "run":
            _run_directly(sys.argv[2:])
        module = REGISTERED_BY.get(word)
        one = narrowed(build([module]), word) if module else None
        app = one if one is not None else build()
        collect_again()
        app()
    except DomainError as exc:  # whatever command raised it: one message, one exit status
        fail_domain(exc)
    finally:
        # The process ends here. Python's collections while it shuts down would walk every
        # object of the start-up (Typer, the model, asyncio) for nothing: tens of ms. Frozen
        # objects in reference cycles are never finalized, so not when SQLAlchemy is loaded:
        # its pooled connections are closed only by those collections (a SQLite file keeps
        # its -wal beside it otherwise).
        if "sqlalchemy" not in sys.modules:
            gc.freeze()


def _run_directly(argv: list[str]) -> None:
    """Run a plain `opsbook run` command line without Typer and exit; return if it is not one.

    It ends as under Typer (typer.core._main): Ctrl-C exits with 130, the end of the input
    at a question says Aborted! and exits with 1, and so does a reader that went away.
    """
    # lazy: keeps cli.run_args off the start-up of `opsbook check`
    from opsbook.cli.run_args import parse_run_args

    args = parse_run_args(argv)
    # Typer answers a shell's completion request (_OPSBOOK_COMPLETE) before anything else.
    if args is None or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return
    # lazy: keeps cli.run off the start-up of `opsbook check`
    from opsbook.cli.run import run_procedure

    try:
        run_procedure(args)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        raise SystemExit(1) from None
    except BrokenPipeError:
        # What is left in stdout's buffer goes nowhere, not into a second error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    raise SystemExit(0)


def narrowed(app: typer.Typer, word: str) -> typer.Typer | None:
    """Return the app with only the command or group `word` names; None if it has none.

    Typer builds the parser of every command before it reads the arguments, which costs
    start-up time (docs/benchmarks.md); a command's parser, help and errors do not depend on
    the others, and only its own module need be imported and compiled.
    """
    # lazy: keeps typer off the start-up of a plain `opsbook run`
    from typer.main import get_command_name

    def name(command: CommandInfo) -> str:
        callback = command.callback
        return command.name or (get_command_name(callback.__name__) if callback else "")

    one = copy.copy(app)
    one.registered_commands = [c for c in app.registered_commands if name(c) == word]
    one.registered_groups = [g for g in app.registered_groups if g.name == word]
    return one if one.registered_commands or one.registered_groups else None
