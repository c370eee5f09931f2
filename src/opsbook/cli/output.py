"""What every command shares: the console, JSON output, and the exit codes."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

from opsbook.errors import DomainError, ErrorKind
from opsbook.moments import aware, relative, short

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console
    from rich.text import Text

    from opsbook.runbook.model import Runbook
    from opsbook.runbook.problems import RunbookError
    from opsbook.store.database import Database

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
# The exit status of each kind of DomainError: what was named or given is wrong, and nothing
# was done (2); or it was understood and refused, or lost a race (1). `main` maps them here.
EXIT_STATUS: dict[ErrorKind, int] = {
    ErrorKind.NOT_FOUND: EXIT_BAD_INPUT,
    ErrorKind.BAD_INPUT: EXIT_BAD_INPUT,
    ErrorKind.TOO_LARGE: EXIT_BAD_INPUT,
    ErrorKind.REFUSED: EXIT_FAILED,
    ErrorKind.FORBIDDEN: EXIT_FAILED,
    ErrorKind.CONFLICT: EXIT_FAILED,
}

# The codes click.style writes for the colours `say` is given.
_COLORS = {"black": 30, "red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35}
# What a terminal would act on rather than show: C0 controls but tab and newline (ESC starts
# CSI and OSC sequences, BEL rings, CR overwrites), DEL, C1 controls (0x9b is a one-byte CSI),
# and the bidirectional overrides and isolates that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def when(moment: datetime | str | None, *, due: bool = False) -> str:
    """Return a time as people read it here: local clock time and how long ago (or until).

    `due` reads a deadline: `14:59 (in 11 min)`, `14:40 (overdue by 4 min)`. `--json` keeps
    ISO 8601.
    """
    if moment is None or moment == "":
        return "—"
    now = datetime.now(UTC)
    zone = now.astimezone().tzinfo
    shown = aware(moment)
    return f"{short(shown, now, zone or UTC)} ({relative(shown, now, due=due)})"


def visible(text: str) -> str:
    """Return the text with control characters shown as escapes (`\\x1b`), never sent raw.

    Every human output path of the CLI passes text through here: `say`, and every string a
    Rich console renders (lines, markup, table cells, prompts). Text from outside (incident
    titles, alert names, step text, run output) then cannot clear the screen, retitle the
    window or hide a line. `--json` output is JSON, which escapes them itself.
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def console(stderr: bool = False) -> Console:
    """Return a Rich console: colour only on a terminal, never with NO_COLOR; text `visible`.

    Markup is off unless a call asks for it (`markup=True`, with outside text passed through
    `rich.markup.escape`): a table cell or line holding an alert name such as `[/x]` is shown
    as written, not read as a closing tag (which raised MarkupError) or a style.
    """
    return _visible_console()(
        stderr=stderr, no_color="NO_COLOR" in os.environ, highlight=False, markup=False
    )


@cache
def _visible_console() -> type[Console]:
    # lazy: keeps rich off the start-up of a plain `opsbook run`
    from rich.console import Console

    class VisibleConsole(Console):
        """A Console that renders every string through `visible` (markup is unaffected)."""

        def render_str(self, text: str, **options: Any) -> Text:
            return super().render_str(visible(text), **options)

    return VisibleConsole


def json_data(value: Any) -> Any:
    """Return a read model (frozen dataclasses, tuples, mappings, times) as JSON data.

    Times become ISO 8601 text with their offset, as the API's schemas write them, so a
    command's `--json` and the API answer the same fields in the same form.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_data(item) for item in value]
    if isinstance(value, Mapping):
        return {key: json_data(item) for key, item in value.items()}
    return value


def print_json(data: Any) -> None:
    """Write data as indented JSON to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def say(text: str, *, err: bool = False, **style: Any) -> None:
    """Print a line, styled (`fg="red"`, `bold=True`) only on a terminal without NO_COLOR.

    Plain output, not Rich: a message may hold user text such as `[x]` that Rich would
    read as markup, and the commands that only report need not import Rich. Written as
    typer.echo and typer.style would, without importing Typer (see run_args.py).
    """
    stream = sys.stderr if err else sys.stdout
    text = visible(text)
    if style and stream.isatty() and "NO_COLOR" not in os.environ:
        text = _styled(text, **style)
    stream.write(text + "\n")
    stream.flush()


def _styled(text: str, fg: str = "", bold: bool | None = None, dim: bool | None = None) -> str:
    """Return the text with the escape codes click.style gives these styles."""
    codes = [_COLORS[fg]] if fg else []
    codes += [1 if bold else 22] if bold is not None else []
    codes += [2 if dim else 22] if dim is not None else []
    return "".join(f"\033[{code}m" for code in codes) + text + "\033[0m"


def fail_bad_input(error: RunbookError, as_json: bool = False) -> NoReturn:
    """Report every problem in the runbook and exit with status 2."""
    if as_json:
        print_json(
            {
                "error": "invalid runbook",
                "problems": [
                    {"path": p.path, "line": p.line, "message": p.message, "hint": p.hint}
                    for p in error.problems
                ],
            }
        )
    else:
        for problem in error.problems:
            where = f"{problem.path}:{problem.line}" if problem.line else problem.path
            say(f"{where}: {problem.message}", err=True, fg="red", bold=True)
            if problem.hint:
                say(f"  hint: {problem.hint}", err=True, dim=True)
        count = len(error.problems)
        say(f"{count} problem{'s' if count != 1 else ''}; nothing was run or written.", err=True)
    raise SystemExit(EXIT_BAD_INPUT)


def fail(message: str, code: int = EXIT_BAD_INPUT, hint: str = "") -> NoReturn:
    """Print an error (and a hint) to stderr and exit."""
    say(f"error: {message}", err=True, fg="red", bold=True)
    if hint:
        say(f"  hint: {hint}", err=True, dim=True)
    raise SystemExit(code)


def fail_domain(error: DomainError) -> NoReturn:
    """Report a use case's refusal (message, hint) and exit with the status of its kind."""
    fail(error.message, EXIT_STATUS[error.kind], error.hint)


def write_output(output: Path, text: str) -> None:
    """Write a command's output file whole, or exit 2 saying why with nothing written.

    A missing directory is not created: a mistyped path should not leave new directories.
    """
    # lazy: keeps files off the start-up of a plain `opsbook run`
    from opsbook.files import write_atomically

    if output.is_dir():
        fail(f"cannot write {output}: it is a directory", hint="give a file name with -o")
    if not output.parent.is_dir():
        fail(
            f"cannot write {output}: the directory {output.parent} does not exist",
            hint="create it first, or give another path with -o",
        )
    try:
        write_atomically(output, text)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


def load_or_exit(path: Path | None, as_json: bool = False, *, cached: bool = False) -> Runbook:
    """Load the runbook named on the command line (or the default); exit 2 if it is bad.

    `cached`: keep the parsed runbook in the user's cache (see `runbook/parse_cache.py`).
    """
    # lazy: off the start-up of `opsbook --help`: runbook.loader, runbook.problems
    from opsbook.runbook.loader import load_runbook, resolve_path
    from opsbook.runbook.problems import RunbookError

    cache = None
    if cached:
        # lazy: keeps runbook.parse_cache off the start-up of `opsbook --help`
        from opsbook.runbook.parse_cache import cache_dir

        cache = cache_dir(os.environ)
    try:
        return load_runbook(resolve_path(str(path) if path else None, os.environ), cache=cache)
    except RunbookError as exc:
        fail_bad_input(exc, as_json)


def database_or_exit(runbook: Path | None) -> Database:
    """Open the database of the runbook named (or the default one); exit 2 if it cannot be."""
    # lazy: off the start-up of `opsbook --help`: runbook.loader, store.database
    from opsbook.runbook.loader import resolve_path
    from opsbook.store.database import open_for

    try:
        return open_for(resolve_path(str(runbook) if runbook else None, os.environ))
    except Exception as exc:  # a bad URL or unreachable database: say so, exit 2
        fail(
            f"cannot open the database: {exc}",
            EXIT_BAD_INPUT,
            hint="check OPSBOOK_DATABASE_URL or OPSBOOK_HOME",
        )
