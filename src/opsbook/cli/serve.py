"""`opsbook serve`: the dashboard, the REST API and the background worker in one process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsbook.cli.output import EXIT_BAD_INPUT, console, fail, fail_bad_input

if TYPE_CHECKING:
    from opsbook.web.state import AppState


def register(app: typer.Typer) -> None:
    """Add `opsbook serve` to the app."""
    app.command(
        help="Serve the dashboard and REST API for a runbook, with the background worker.\n\n"
        "Example: opsbook serve RUNBOOK.md --port 8080\n\n"
        "Given a folder, serves every runbook in it (an alert links to its file by "
        "runbook_url or alert name): opsbook serve runbooks/"
    )(serve)


def serve(
    path: Path | None = typer.Argument(
        None,
        help="Runbook file, or a folder of runbooks (default: $OPSBOOK_RUNBOOK, else "
        "./RUNBOOK.md).",
        show_default=False,
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="Port to listen on."),
    bootstrap_admin: str = typer.Option(
        "",
        "--bootstrap-admin",
        metavar="NAME",
        help="Replace the admin token NAME with a new one and print it (for `make run`).",
    ),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Jobs run at once."),
    trusted_proxy: list[str] = typer.Option(
        [],
        "--trusted-proxy",
        envvar="OPSBOOK_TRUSTED_PROXIES",
        metavar="ADDRESS",
        help="A reverse proxy (address or network, repeatable) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed. Default: none, whatever connects is the client.",
    ),
) -> None:
    # lazy: off the start-up of `opsbook serve --help`: errors, ...
    from opsbook.errors import BadInput
    from opsbook.runbook.loader import resolve_path
    from opsbook.runbook.problems import RunbookError
    from opsbook.store.database import open_for
    from opsbook.web.proxies import parse_trusted_proxies
    from opsbook.web.server import ServeOptions, build_state
    from opsbook.web.server import serve as run_server

    try:
        proxies = parse_trusted_proxies(trusted_proxy)
    except BadInput as exc:
        fail(f"--trusted-proxy: {exc.message}", EXIT_BAD_INPUT, hint=exc.hint)
    runbook_path = resolve_path(str(path) if path else None, os.environ)
    try:
        db = open_for(runbook_path)
    except Exception as exc:  # a bad URL or an unreachable database: say so, exit 2
        fail(
            f"cannot open the database: {exc}",
            EXIT_BAD_INPUT,
            hint="check OPSBOOK_DATABASE_URL or OPSBOOK_HOME",
        )
    try:
        state = build_state(runbook_path, db)
    except RunbookError as exc:
        fail_bad_input(exc)
    if state.worker is not None:
        state.worker.concurrency = concurrency
    state.trusted_proxies = proxies
    out = console()
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    if bootstrap_admin:
        token = _bootstrap_admin(state, bootstrap_admin)
        out.print(f"Admin token ({bootstrap_admin}): [bold]{token}[/]", markup=True)
    for problem in state.source.skipped:
        out.print(f"left out: {problem}", style="yellow", markup=False, soft_wrap=True)
    if runbook_path.is_dir():
        rb = state.source.runbook
        out.print(
            f"Read {len(rb.troubleshooting)} troubleshooting issues and "
            f"{len(rb.procedures)} procedures from {runbook_path}"
            + (f"; {len(state.source.skipped)} files left out" if state.source.skipped else "")
        )
    name = state.source.runbook.system.name or runbook_path.name
    out.print(
        f"Serving [bold]{name}[/] on [link]http://{shown}:{port}/[/] "
        f"(runbook {runbook_path}; Ctrl-C to stop)",
        markup=True,
    )
    run_server(state, ServeOptions(host=host, port=port, concurrency=concurrency))


def _bootstrap_admin(state: AppState, name: str) -> str:
    # lazy: off the start-up of `opsbook --help`: access, access.roles
    from opsbook.access import service
    from opsbook.access.roles import Role

    now = state.clock()
    service.revoke_token(state.db, name=name, now=now)
    _, token = service.create_token(
        state.db, name=name, role=Role.ADMIN, created_by="serve", now=now
    )
    return token
