"""`opsbook token create | list | revoke`: API tokens; only their hashes are stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from opsbook.cli.ids import limit_option
from opsbook.cli.options import either, json_option, old_runbook_option, runbook_option
from opsbook.cli.output import (
    EXIT_FAILED,
    console,
    database_or_exit,
    fail,
    json_data,
    print_json,
    when,
)

token_app = typer.Typer(
    help="Create, list and revoke API tokens for the server and its API.\n\n"
    "Example: opsbook token create --name ci --role operator",
    no_args_is_help=True,
)
RUNBOOK_OPT = runbook_option(
    "Runbook whose state holds the tokens (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md)."
)
OLD_RUNBOOK = old_runbook_option()
JSON_OPT = json_option()


def register(app: typer.Typer) -> None:
    """Add the token commands to the app."""
    app.add_typer(token_app, name="token")


@token_app.command(
    help="Create a token and print it once.\n\n"
    "Example: opsbook token create --name alice --role operator"
)
def create(
    name: str = typer.Option(..., "--name", help="Who or what uses the token."),
    role: str = typer.Option(..., "--role", help="viewer, operator, admin or ingest."),
    runbook: Path | None = RUNBOOK_OPT,
    old_runbook: Path | None = OLD_RUNBOOK,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: off the start-up of `opsbook --help`: access, access.roles
    from opsbook.access import service
    from opsbook.access.roles import parse_role

    parsed = parse_role(role)
    # lazy: keeps getpass off the start-up of `opsbook --help`
    import getpass

    info, token = service.create_token(
        database_or_exit(either(runbook, old_runbook)),
        name=name,
        role=parsed,
        created_by=getpass.getuser(),
        now=datetime.now(UTC),
    )
    if as_json:
        print_json({"token": token, **json_data(info)})
        return
    out = console()
    out.print(f"Created {parsed.value} token [bold]{info.name}[/] (id {info.id}):", markup=True)
    out.print(token, markup=False, soft_wrap=True)
    out.print(
        "[dim]Copy it now: only its hash is stored, it cannot be shown again.[/]", markup=True
    )


@token_app.command(
    "list", help="List tokens (never the tokens themselves).\n\nExample: opsbook token list --json"
)
def list_(
    runbook: Path | None = RUNBOOK_OPT,
    old_runbook: Path | None = OLD_RUNBOOK,
    include_revoked: bool = typer.Option(False, "--all", help="Include revoked tokens."),
    limit: int = limit_option("How many tokens, newest first."),
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: keeps access off the start-up of `opsbook --help`
    from opsbook.access import service

    db = database_or_exit(either(runbook, old_runbook))
    tokens = service.list_tokens(db, include_revoked=include_revoked)[:limit]
    if as_json:
        print_json(json_data(tokens))
        return
    # lazy: keeps rich off the start-up of `opsbook --help`
    from rich.table import Table

    table = Table("id", "name", "role", "created", "last used", "state", box=None)
    for t in tokens:
        table.add_row(
            str(t.id),
            t.name,
            t.role.value,
            when(t.created_at),
            when(t.last_used_at) if t.last_used_at else "never",
            "active" if t.active else "revoked",
        )
    out = console()
    if tokens:
        out.print(table)
    else:
        out.print("No tokens. Create one: opsbook token create --name NAME --role operator")


@token_app.command(
    help="Revoke a token by id, or every active token with a name. It stops "
    "working at once.\n\nExample: opsbook token revoke 3"
)
def revoke(
    ident: str = typer.Argument(..., metavar="ID|NAME", help="The token's id or name."),
    runbook: Path | None = RUNBOOK_OPT,
    old_runbook: Path | None = OLD_RUNBOOK,
    as_json: bool = JSON_OPT,
) -> None:
    # lazy: off the start-up of `opsbook --help`: access, ...
    from opsbook.access import service
    from opsbook.inputs import MAX_ID

    by_id = ident.isascii() and ident.isdigit()
    if by_id and not 1 <= int(ident) <= MAX_ID:
        fail(f"no token {ident}: token ids run from 1 to {MAX_ID}", hint="see `opsbook token list`")
    db = database_or_exit(either(runbook, old_runbook))
    now = datetime.now(UTC)
    if by_id:
        revoked = service.revoke_token(db, token_id=int(ident), now=now)
    else:
        revoked = service.revoke_token(db, name=ident, now=now)
    if as_json:
        print_json(json_data(revoked))
    if not revoked:
        if not as_json:
            fail(
                f"no active token with id or name {ident!r}",
                EXIT_FAILED,
                hint="see `opsbook token list`",
            )
        raise typer.Exit(EXIT_FAILED)
    if not as_json:
        for t in revoked:
            console().print(f"Revoked token {t.id} ({t.name}, {t.role.value}).")
