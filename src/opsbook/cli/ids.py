"""Ids and limits on the command line, bounded as a stored row's id is.

A number past what the database holds (`runs show 99999999999999999999`) reached SQLite as an
integer it cannot bind and ended in a traceback; Click now refuses it with exit status 2 and
the range, before anything is opened.
"""

from __future__ import annotations

from typing import Any

import typer

from opsbook.inputs import MAX_ID

MAX_LIMIT = 10_000


def id_argument(help: str) -> Any:
    """Return a Typer argument for a row's id: a whole number from 1 to MAX_ID."""
    return typer.Argument(..., min=1, max=MAX_ID, help=help, show_default=False)


def limit_option(help: str, default: int = 50) -> Any:
    """Return the `--limit`/`-n` option: how many rows, 1 to MAX_LIMIT."""
    return typer.Option(default, "--limit", "-n", min=1, max=MAX_LIMIT, help=help)
