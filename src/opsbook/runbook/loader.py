"""Read a runbook file from disk: the one I/O edge of the document domain."""

from __future__ import annotations

import gc
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from opsbook.runbook.problems import Problem, RunbookError

if TYPE_CHECKING:
    from opsbook.runbook.model import Runbook

# The most a runbook file may hold: many times the largest real runbook, and still parsed
# in seconds (figures in docs/benchmarks.md); a bigger file is refused rather than read.
MAX_RUNBOOK_BYTES = 2**20


def resolve_path(given: str | None, environ: dict[str, str] | os._Environ[str]) -> Path:
    """Pick the runbook: the path given, else $OPSBOOK_RUNBOOK, else ./RUNBOOK.md."""
    return Path(given or environ.get("OPSBOOK_RUNBOOK") or "RUNBOOK.md")


def load_runbook(path: Path, *, cache: Path | None = None) -> Runbook:
    """Read and parse a runbook file, raising RunbookError for a missing or bad file.

    With `cache` (see `parse_cache.py`) a file parsed before by the same code is not parsed
    again: the parser and markdown-it are then not even imported.
    """
    text = read_runbook_text(path)
    if cache is not None:
        # lazy: keeps runbook.parse_cache off the start-up of `opsbook check`
        from opsbook.runbook.parse_cache import cached_parse

        return cached_parse(text, str(path), cache, _parse)
    return _parse(text, str(path))


def load_folder(root: Path) -> tuple[Runbook, list[Problem]]:
    """Read every runbook under a folder as one (`combined.py`); files that fail are skipped.

    Returns the combined runbook and the problems of the files left out. RunbookError when
    the folder holds no Markdown file, or none that could be read.
    """
    # lazy: only `opsbook serve DIR` reads a folder
    from opsbook.runbook.combined import combine
    from opsbook.runbook.repository import runbook_files

    files = runbook_files(root)
    read: list[tuple[str, Runbook]] = []
    problems: list[Problem] = []
    for path in files:
        try:
            read.append((path.relative_to(root).as_posix(), load_runbook(path)))
        except RunbookError as exc:
            problems.extend(exc.problems)
    if not read:
        message = "holds no runbook that could be read" if files else "holds no Markdown files"
        raise RunbookError([*problems, Problem(0, message, "", str(root))])
    return combine(str(root.resolve()), read), problems


def read_runbook_text(path: Path) -> str:
    """Return the text of a runbook file: a regular file of at most MAX_RUNBOOK_BYTES of UTF-8.

    A FIFO, a device (`/dev/zero`) or a directory is refused before it is read, and a file
    that grows past the limit while it is read is refused once the limit is passed, so
    nothing is ever read without bound.
    """
    try:
        kind = _special_kind(os.stat(path).st_mode)
        if kind is None:
            # O_NONBLOCK: should the path become a FIFO meanwhile, opening it does not wait.
            descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(descriptor, "rb") as file:
                kind = _special_kind(os.fstat(file.fileno()).st_mode)
                data = b"" if kind else file.read(MAX_RUNBOOK_BYTES + 1)
    except FileNotFoundError:
        hint = "give the runbook's path, set OPSBOOK_RUNBOOK, or run `opsbook init`"
        raise _unreadable(path, "no such file", hint) from None
    except OSError as exc:
        raise _unreadable(path, f"cannot read the file: {exc.strerror or exc}") from None
    if kind is not None:
        raise _unreadable(
            path, f"is {kind}, not a regular file", "give the path of the runbook's Markdown file"
        )
    if len(data) > MAX_RUNBOOK_BYTES:
        raise _unreadable(
            path,
            f"is larger than {MAX_RUNBOOK_BYTES // 2**20} MiB, the most a runbook may be",
            "split it, or move long reference material out of the runbook and link to it",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable(
            path, f"is not UTF-8 text (byte {exc.start}: {exc.reason})", "save it as UTF-8"
        ) from None


def _special_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _unreadable(path: Path, message: str, hint: str = "") -> RunbookError:
    return RunbookError([Problem(0, message, hint, str(path))])


def _parse(text: str, path: str) -> Runbook:
    # lazy: keeps runbook.parser off the start-up of a plain `opsbook run`
    from opsbook.runbook.parser import parse_runbook

    # The parse makes some hundred thousand short-lived objects; the cyclic collector's
    # passes over them are a large share of `opsbook check` on a large runbook (figures in
    # docs/benchmarks.md), and none of them
    # outlive the parse but the model, so the collector waits until it is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return parse_runbook(text, path)
    finally:
        if collecting:
            gc.enable()
