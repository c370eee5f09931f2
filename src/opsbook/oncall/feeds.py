"""Use cases of calendar feeds: a token for one feed, the feed a token opens, revoking it.

A feed's URL carries its token, as calendar programs need (they cannot send a header).
The token opens only the feed it was made for (that rotation, that person); only its
SHA-256 is stored, as for API tokens. A wrong, revoked or other feed's token is NotFound,
the same answer as no feed at all, so a guess learns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import select

from opsbook.access.credentials import new_token, token_hash
from opsbook.errors import BadInput, NotFound
from opsbook.inputs import check_text
from opsbook.oncall.calendar import feed_text
from opsbook.oncall.people import key
from opsbook.oncall.service import chosen
from opsbook.oncall.tables import FeedTokenRow
from opsbook.runbook.model import Runbook

if TYPE_CHECKING:
    from opsbook.store.database import Database

MAX_TOKEN = 200


@dataclass(frozen=True)
class FeedToken:
    """A feed's token (shown once) and the path to subscribe to."""

    id: int
    rotation: str
    person: str
    token: str
    path: str
    created_at: datetime


def feed_path(rotation: str, person: str, token: str) -> str:
    """Return the path of a feed with its token: /oncall/feeds/ops.ics?token=..."""
    path = f"/oncall/feeds/{quote(rotation, safe='')}.ics?token={quote(token, safe='')}"
    return path + (f"&person={quote(person, safe='')}" if person else "")


def create_feed_token(
    *,
    db: Database,
    runbook: Runbook,
    rotation: str,
    person: str | None,
    actor: str,
    now: datetime,
) -> FeedToken:
    """Make a token for the feed of a rotation (or one person's shifts in it)."""
    found = chosen(runbook, rotation)[0]
    who = check_text(person or "", field="the person", max_length=300).strip()
    if who and not _has_person(runbook, found.name, who):
        raise BadInput(f'"{who}" takes no turn in rotation {found.name}')
    token = new_token()
    with db.transaction() as session:
        row = FeedTokenRow(
            rotation=found.name,
            person=who,
            token_hash=token_hash(token),
            created_at=now,
            created_by=actor[:100],
        )
        session.add(row)
        session.flush()
        return FeedToken(row.id, found.name, who, token, feed_path(found.name, who, token), now)


def _has_person(runbook: Runbook, rotation: str, person: str) -> bool:
    found = chosen(runbook, rotation)[0]
    names = {key(m.name) for lyr in found.layers for p in lyr.patterns for m in p.people} | {
        key(m.address) for lyr in found.layers for p in lyr.patterns for m in p.people
    }
    return key(person) in names or any(key(o.who.name) == key(person) for o in found.overrides)


def revoke_feed_token(*, db: Database, token_id: int, now: datetime) -> None:
    """Revoke a feed token: its feed answers it no more."""
    with db.transaction() as session:
        row = session.get(FeedTokenRow, token_id)
        if row is None or row.revoked_at is not None:
            raise NotFound(f"no live feed token {token_id}")
        row.revoked_at = now


def feed_for_token(
    *,
    db: Database,
    runbook: Runbook,
    rotation: str,
    person: str | None,
    token: str,
    now: datetime,
) -> str:
    """Return the iCalendar text of the feed this token opens; NotFound for any other."""
    missing = NotFound("no such feed", "ask for a new feed link: opsbook oncall subscribe")
    if not token or len(token) > MAX_TOKEN:
        raise missing
    with db.transaction() as session:
        row = session.scalars(
            select(FeedTokenRow).where(FeedTokenRow.token_hash == token_hash(token))
        ).first()
        if row is None or row.revoked_at is not None:
            raise missing
        scope = (row.rotation, row.person)
    if scope[0].lower() != rotation.lower() or key(scope[1]) != key(person or ""):
        raise missing
    try:
        return feed_text(runbook=runbook, rotation=scope[0], person=scope[1] or None, now=now)
    except NotFound:
        raise missing from None
