"""The store code of baselines: read the current ones, add a version. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from opsbook.deploy.config_targets import ConfigTarget
from opsbook.deploy.file_state import FileState
from opsbook.deploy.tables import ConfigBaselineRow
from opsbook.deploy.views import BaselineView
from opsbook.store.timestamps import utc


def current_baselines(session: Session, keys: Iterable[str]) -> dict[str, ConfigBaselineRow]:
    """Return the baseline of each key that has one, locked for this transaction."""
    wanted = list(keys)
    if not wanted:
        return {}
    rows = session.scalars(
        select(ConfigBaselineRow)
        .where(ConfigBaselineRow.key.in_(wanted), ConfigBaselineRow.current.is_(True))
        .with_for_update()
    )
    return {row.key: row for row in rows}


def add_version(
    session: Session,
    target: ConfigTarget,
    state: FileState,
    text: str | None,
    *,
    actor: str,
    reason: str,
    now: datetime,
    previous: ConfigBaselineRow | None,
) -> ConfigBaselineRow:
    """Make this state the file's baseline, keeping the previous versions."""
    if previous is not None:
        session.execute(
            update(ConfigBaselineRow)
            .where(ConfigBaselineRow.key == target.key, ConfigBaselineRow.current.is_(True))
            .values(current=False)
            .execution_options(synchronize_session=False)
        )
    row = ConfigBaselineRow(
        key=target.key,
        host=target.host,
        path=target.path,
        version=(previous.version + 1) if previous is not None else 1,
        current=True,
        exists=state.exists,
        sha256=state.sha256,
        mode=state.mode,
        owner=state.owner,
        grp=state.group,
        size=state.size,
        text=text,
        recorded_at=now.astimezone(UTC).replace(tzinfo=None),
        recorded_by=actor,
        reason=reason,
    )
    session.add(row)
    session.flush()
    return row


def versions_of(session: Session, key: str) -> list[ConfigBaselineRow]:
    """Return every accepted version of a file, newest first."""
    return list(
        session.scalars(
            select(ConfigBaselineRow)
            .where(ConfigBaselineRow.key == key)
            .order_by(ConfigBaselineRow.version.desc())
        )
    )


def state_of(row: ConfigBaselineRow) -> FileState:
    """Return the file's state as the baseline recorded it."""
    return FileState(
        exists=row.exists,
        sha256=row.sha256,
        mode=row.mode,
        owner=row.owner,
        group=row.grp,
        size=row.size,
        text=row.text,
    )


def baseline_view(row: ConfigBaselineRow) -> BaselineView:
    """Return a baseline row as its view."""
    recorded = utc(row.recorded_at)
    assert recorded is not None
    return BaselineView(
        key=row.key,
        host=row.host,
        path=row.path,
        version=row.version,
        exists=row.exists,
        sha256=row.sha256,
        mode=f"{row.mode:04o}",
        owner=row.owner,
        group=row.grp,
        copy_kept=row.text is not None,
        recorded_at=recorded,
        recorded_by=row.recorded_by,
        reason=row.reason,
    )
