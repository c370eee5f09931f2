"""The options every command group spells the same way: the runbook, --json, --since.

One grammar: `-f`/`--runbook` names the runbook in every group (`-r`, which `alerts` and
`token` once used, still works, hidden, so old scripts keep running); every list command
takes `--json`, `--limit` (cli/ids.py), `--cursor` where lists grow long, and, where they
apply, `--status`, `--since` and `--procedure`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from opsbook.cli.output import EXIT_BAD_INPUT, fail, say

if TYPE_CHECKING:
    from opsbook.paging import Page

RUNBOOK_HELP = "Runbook whose state holds them (default: $OPSBOOK_RUNBOOK, else ./RUNBOOK.md)."


def runbook_option(help: str = RUNBOOK_HELP) -> Any:
    """Return the `--runbook`/`-f` option."""
    return typer.Option(None, "--runbook", "-f", help=help, show_default=False)


def old_runbook_option() -> Any:
    """Return `-r`, the old spelling of `-f` in `alerts` and `token`, hidden from help."""
    return typer.Option(None, "-r", hidden=True, help="Old spelling of -f.")


def either(runbook: Path | None, old: Path | None) -> Path | None:
    """Return the runbook given by `-f` or by the old `-r`."""
    return runbook if runbook is not None else old


def json_option() -> Any:
    """Return the `--json` flag."""
    return typer.Option(False, "--json", help="Print JSON for scripts.")


def since_option(what: str) -> Any:
    """Return the `--since` option: a time ago (`2h`, `1 day`) or a moment (`2026-12-01`)."""
    return typer.Option(
        None,
        "--since",
        help=f"Only {what} since then: 30m, 2h, 1 day ago, or a date or time "
        "(2026-12-01, 2026-12-01T14:00; UTC unless it says).",
        show_default=False,
    )


def since_moment(text: str, now: datetime) -> datetime:
    """Return the moment `--since` names; ValueError saying what to write if it names none."""
    # lazy: keeps runbook.durations off the start-up of `opsbook --help`
    from opsbook.runbook.durations import parse_duration
    from opsbook.runbook.problems import ValueProblem

    raw = text.strip().removesuffix(" ago")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        pass
    else:
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return now - timedelta(seconds=parse_duration(raw))
    except (ValueProblem, ValueError, OverflowError):
        raise ValueError(
            "write a time ago (30m, 2h, 1 day) or a date or time (2026-12-01T14:00)"
        ) from None


def since_or_exit(text: str | None) -> datetime | None:
    """Return the moment `--since` names, None without one; exit 2 saying why if it is wrong."""
    if text is None:
        return None
    try:
        return since_moment(text, datetime.now(UTC))
    except ValueError as exc:
        fail(f'--since "{text}": {exc}', EXIT_BAD_INPUT)


def cursor_option() -> Any:
    """Return `--cursor`: where a page starts, as the line under the page before says."""
    return typer.Option(
        None,
        "--cursor",
        help="Start after the page before: the cursor its last line gave.",
        show_default=False,
    )


def say_more(page: Page[Any], shown: int) -> None:
    """Say, on stderr, how many matched and how to ask for the next page, if there is one."""
    if page.next_cursor is None:
        return
    total = f"{page.total:,}" + ("" if page.total_exact else "+")
    say(f"{shown} of {total} shown; next page: --cursor {page.next_cursor}", err=True, dim=True)
