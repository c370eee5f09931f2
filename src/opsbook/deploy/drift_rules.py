"""Compare a file as it is now with its baseline: what changed, and a diff of its text."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from opsbook.deploy.file_state import FileState

MAX_DIFF_LINES = 400


@dataclass(frozen=True)
class Change:
    """One way a file differs from its baseline: content, mode, owner, missing, appeared."""

    kind: str
    before: str
    after: str


def changes(before: FileState, after: FileState) -> list[Change]:
    """Return how `after` differs from `before` (empty: no drift)."""
    if before.exists and not after.exists:
        return [Change("missing", before.sha256, "")]
    if not before.exists and after.exists:
        return [Change("appeared", "", after.sha256)]
    if not before.exists:
        return []
    out: list[Change] = []
    if before.sha256 != after.sha256:
        out.append(Change("content", before.sha256, after.sha256))
    if before.mode != after.mode:
        out.append(Change("mode", f"{before.mode:04o}", f"{after.mode:04o}"))
    if (before.owner, before.group) != (after.owner, after.group):
        out.append(
            Change("owner", f"{before.owner}:{before.group}", f"{after.owner}:{after.group}")
        )
    return out


def unified_diff(before: str | None, after: str | None, path: str) -> str:
    """Return a unified diff of two (masked) texts; empty when either copy is missing."""
    if before is None or after is None:
        return ""
    lines = list(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"{path} (baseline)",
            tofile=f"{path} (now)",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
