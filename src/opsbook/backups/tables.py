"""Backup tables: backups and their manifests, restore drills, the coverage ledger, DR drills.

Times are stored as UTC; SQLite hands them back naive, `utc()` makes them aware again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.base import Base

_TS = DateTime(timezone=True)


class BackupRow(Base):
    """One backup: `running` until its data is whole on disk, then `ok` (or failed)."""

    __tablename__ = "backups"
    __table_args__ = (Index("ix_backups_name_started_at", "name", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    driver: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(_TS)
    finished_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    duration_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    files: Mapped[int | None] = mapped_column(Integer, default=None)
    sha256: Mapped[str | None] = mapped_column(String(100), default=None)
    location: Mapped[str | None] = mapped_column(String(500), default=None)
    detail: Mapped[str] = mapped_column(Text, default="")
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    pruned_at: Mapped[datetime | None] = mapped_column(_TS, default=None)


class BackupFileRow(Base):
    """One file of a backup's manifest, as it was when backed up."""

    __tablename__ = "backup_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backup_id: Mapped[int] = mapped_column(ForeignKey("backups.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mode: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class DrillRow(Base):
    """One restore drill: what it restored, what matched, what did not, how long it took."""

    __tablename__ = "backup_drills"
    __table_args__ = (Index("ix_backup_drills_name_seq", "name", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)  # this backup set's drill number: 1, 2, ...
    backup_id: Mapped[int] = mapped_column(ForeignKey("backups.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(_TS)
    finished_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    duration_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    mismatched: Mapped[list[Any]] = mapped_column(JSON, default=list)
    missing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    mismatch_count: Mapped[int] = mapped_column(Integer, default=0)
    missing_count: Mapped[int] = mapped_column(Integer, default=0)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))


class CoverageRow(Base):
    """The coverage ledger: the last drill that restored a file and found it equal."""

    __tablename__ = "backup_coverage"
    __table_args__ = (UniqueConstraint("name", "path", name="uq_backup_coverage_name_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(Integer)
    checked_at: Mapped[datetime] = mapped_column(_TS)


class WatchRow(Base):
    """Per backup set: since when its RPO alert and its drill alert are open (None: not)."""

    __tablename__ = "backup_watch"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    rpo_alert_since: Mapped[datetime | None] = mapped_column(_TS, default=None)
    drill_alert_since: Mapped[datetime | None] = mapped_column(_TS, default=None)


class DrDrillRow(Base):
    """One disaster recovery drill: each step timed, RTO and RPO measured against targets."""

    __tablename__ = "dr_drills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(_TS)
    finished_at: Mapped[datetime | None] = mapped_column(_TS, default=None)
    rto_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    rpo_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    rto_target: Mapped[float | None] = mapped_column(Float, default=None)
    rpo_target: Mapped[float | None] = mapped_column(Float, default=None)
    steps: Mapped[list[Any]] = mapped_column(JSON, default=list)
    report: Mapped[str] = mapped_column(Text, default="")
