"""Read a runbook file from disk: the one I/O edge of the document domain."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import TYPE_CHECKING

from opsbook.runbook.problems import Problem, RunbookError

if TYPE_CHECKING:
    from opsbook.runbook.model import Runbook


def resolve_path(given: str | None, environ: dict[str, str] | os._Environ[str]) -> Path:
    """Pick the runbook: the path given, else $OPSBOOK_RUNBOOK, else ./RUNBOOK.md."""
    return Path(given or environ.get("OPSBOOK_RUNBOOK") or "RUNBOOK.md")


def load_runbook(path: Path, *, cache: Path | None = None) -> Runbook:
    """Read and parse a runbook file, raising RunbookError for a missing or bad file.

    With `cache` (see `parse_cache.py`) a file parsed before by the same code is not parsed
    again: the parser and markdown-it are then not even imported.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunbookError(
            [
                Problem(
                    0,
                    "no such file",
                    "give the runbook's path, set OPSBOOK_RUNBOOK, or run `opsbook init`",
                    str(path),
                )
            ]
        ) from None
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as exc:
        raise RunbookError([Problem(0, f"cannot read the file: {exc}", path=str(path))]) from None
    if cache is not None:
        from opsbook.runbook.parse_cache import cached_parse

        return cached_parse(text, str(path), cache, _parse)
    return _parse(text, str(path))


def _parse(text: str, path: str) -> Runbook:
    from opsbook.runbook.parser import parse_runbook

    # The parse makes some hundred thousand short-lived objects; the cyclic collector's
    # passes over them cost a fifth of `opsbook check` on a large runbook, and none of them
    # outlive the parse but the model, so the collector waits until it is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return parse_runbook(text, path)
    finally:
        if collecting:
            gc.enable()
