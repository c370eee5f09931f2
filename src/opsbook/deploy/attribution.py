"""Which opsbook run changed a file: the step that was running when the file changed.

A file's status change time (ctime) moves on every write, chmod and chown, and no one can
set it back. A step whose attempt ran on the file's host while that moment passed (with a
little slack for the file system's clock granularity) changed it; of several, one whose
command names the file is preferred, then the latest.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

SLACK_BEFORE = timedelta(seconds=1)
SLACK_AFTER = timedelta(seconds=2)


@dataclass(frozen=True)
class StepTouch:
    """An attempt of a run's step: where and when it ran, and its command."""

    run_id: int
    procedure: str
    step_key: str
    text: str
    command: str | None
    host: str
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class Cause:
    """The run and step that changed a file."""

    run_id: int
    procedure: str
    step: str
    text: str
    names_file: bool


def changed_since(changed_at: datetime, recorded: datetime) -> bool:
    """Say whether a file changed at or after its baseline was recorded.

    Compared in whole seconds: a host's change time comes in whole seconds (`stat %Z`),
    so a change half a second after the baseline reads as up to a second before it.
    """
    return changed_at >= recorded.replace(microsecond=0)


def cause_of(
    *,
    host: str,
    path: str,
    changed_at: datetime | None,
    touches: Iterable[StepTouch],
    now: datetime,
) -> Cause | None:
    """Return the run step that was running on `host` when the file changed; None: no run."""
    if changed_at is None:
        return None
    name = posixpath.basename(path)
    best: tuple[bool, datetime, StepTouch] | None = None
    for touch in touches:
        if touch.host != host:
            continue
        end = touch.finished_at or now
        if not touch.started_at - SLACK_BEFORE <= changed_at <= end + SLACK_AFTER:
            continue
        command = touch.command or ""
        mentions = path in command or (bool(name) and name in command)
        rank = (mentions, touch.started_at, touch)
        if best is None or rank[:2] > best[:2]:
            best = rank
    if best is None:
        return None
    mentions, _, touch = best
    return Cause(touch.run_id, touch.procedure, touch.step_key, touch.text, mentions)
