"""The on-call table: calendar feed tokens, stored as hashes, each for one feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.base import Base

TS = DateTime(timezone=True)


class FeedTokenRow(Base):
    """A token that opens one feed: a rotation's, or one person's shifts in it ("" person)."""

    __tablename__ = "oncall_feed_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rotation: Mapped[str] = mapped_column(String(60))
    person: Mapped[str] = mapped_column(String(300))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(TS, default=None)


class HandoffRow(Base):
    """A handoff announced: one row per rotation, layer and instant, so it is sent once."""

    __tablename__ = "oncall_handoffs"
    __table_args__ = (UniqueConstraint("rotation", "layer", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rotation: Mapped[str] = mapped_column(String(60))
    layer: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(TS)
    outgoing: Mapped[str] = mapped_column(String(300))
    incoming: Mapped[str] = mapped_column(String(300))
    announced_at: Mapped[datetime] = mapped_column(TS)
    outcome: Mapped[str] = mapped_column(Text)
