"""Access use cases: tokens, users, logins and sessions. Each owns its transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, select, update

from opsbook.access.credentials import (
    check_password,
    hash_password,
    new_secret,
    new_token,
    same,
    token_hash,
)
from opsbook.access.model import Principal, TokenInfo, UserInfo
from opsbook.access.roles import Role
from opsbook.access.tables import SessionRow, TokenRow, UserRow
from opsbook.errors import BadInput, Conflict

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from opsbook.store.database import Database

SESSION_TTL = timedelta(hours=12)
# Writing last_used_at on every request would turn each read into a write.
_TOUCH_EVERY = timedelta(minutes=1)
_NAME_MAX = 100


# The per-request lookups, built once: SQLAlchemy rebuilds a new statement's result
# metadata on every execution even on a cache hit, which cost three times the read.
_TOKEN_BY_HASH = select(
    TokenRow.id,
    TokenRow.name,
    TokenRow.role,
    TokenRow.token_hash,
    TokenRow.revoked_at,
    TokenRow.last_used_at,
).where(TokenRow.token_hash == bindparam("digest"))
_SESSION_BY_HASH = (
    select(
        SessionRow.principal,
        SessionRow.role,
        SessionRow.csrf,
        SessionRow.expires_at,
        SessionRow.token_id,
        SessionRow.user_id,
        TokenRow.revoked_at,
        UserRow.disabled_at,
    )
    .outerjoin(TokenRow, TokenRow.id == SessionRow.token_id)
    .outerjoin(UserRow, UserRow.id == SessionRow.user_id)
    .where(SessionRow.session_hash == bindparam("digest"))
)


def _naive(moment: datetime) -> datetime:
    # Stored as UTC without an offset (SQLite keeps no offset); compare like with like.
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > _NAME_MAX:
        raise BadInput(f"a name must be 1 to {_NAME_MAX} characters")
    return name


def _token_info(row: TokenRow) -> TokenInfo:
    created = _aware(row.created_at)
    assert created is not None
    return TokenInfo(
        row.id,
        row.name,
        Role(row.role),
        created,
        row.created_by,
        _aware(row.revoked_at),
        _aware(row.last_used_at),
        row.revoked_at is None,
    )


def create_token(
    db: Database, *, name: str, role: Role, created_by: str, now: datetime
) -> tuple[TokenInfo, str]:
    """Create an API token; return its record and the token, which is never stored."""
    token = new_token()
    with db.transaction() as session:
        row = TokenRow(
            name=_check_name(name),
            role=role.value,
            token_hash=token_hash(token),
            created_at=_naive(now),
            created_by=created_by,
        )
        session.add(row)
        session.flush()
        return _token_info(row), token


def list_tokens(db: Database, *, include_revoked: bool = True) -> list[TokenInfo]:
    """List tokens, newest first."""
    with db.transaction() as session:
        query = select(TokenRow).order_by(TokenRow.id.desc())
        if not include_revoked:
            query = query.where(TokenRow.revoked_at.is_(None))
        return [_token_info(row) for row in session.scalars(query)]


def revoke_token(
    db: Database, *, now: datetime, token_id: int | None = None, name: str | None = None
) -> list[TokenInfo]:
    """Revoke the token with this id, or every active token with this name; end their sessions."""
    with db.transaction() as session:
        query = select(TokenRow).where(TokenRow.revoked_at.is_(None))
        if token_id is not None:
            query = query.where(TokenRow.id == token_id)
        elif name is not None:
            query = query.where(TokenRow.name == name)
        else:
            raise BadInput("say which token: its id or its name")
        rows = list(session.scalars(query))
        for row in rows:
            row.revoked_at = _naive(now)
        if rows:
            session.execute(delete(SessionRow).where(SessionRow.token_id.in_([r.id for r in rows])))
        session.flush()
        return [_token_info(row) for row in rows]


def authenticate_token(db: Database, *, token: str, now: datetime) -> Principal | None:
    """Return the principal an API token stands for, or None if unknown or revoked."""
    found = find_token(db, token=token, now=now)
    if found is None:
        return None
    principal, token_id = found
    if token_id is not None:
        touch_token(db, token_id=token_id, now=now)
    return principal


def find_token(db: Database, *, token: str, now: datetime) -> tuple[Principal, int | None] | None:
    """Look a token up without writing: its principal, and its id if `last_used_at` is due.

    A Core connection, not an ORM session: this runs on every API request, and a session's
    bookkeeping costs more than the indexed lookup itself.
    """
    digest = token_hash(token)
    with db.engine.connect() as connection:
        row = connection.execute(_TOKEN_BY_HASH, {"digest": digest}).first()
    if row is None or row.revoked_at is not None or not same(row.token_hash, digest):
        return None
    stale = row.last_used_at is None or _naive(now) - _naive(row.last_used_at) > _TOUCH_EVERY
    return Principal(row.name, Role(row.role), "token"), row.id if stale else None


def touch_token(db: Database, *, token_id: int, now: datetime) -> None:
    """Record when a token was last used."""
    with db.transaction() as session:
        session.execute(
            update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=_naive(now))
        )


def create_user(db: Database, *, name: str, role: Role, password: str, now: datetime) -> UserInfo:
    """Create a user who signs in with a name and password."""
    if len(password) < 8:
        raise BadInput("a password must be at least 8 characters")
    name = _check_name(name)
    with db.transaction() as session:
        if session.scalars(select(UserRow).where(UserRow.name == name)).first():
            raise Conflict(f"a user named {name!r} already exists")
        row = UserRow(
            name=name,
            role=role.value,
            password_hash=hash_password(password),
            created_at=_naive(now),
        )
        session.add(row)
        session.flush()
        created = _aware(row.created_at)
        assert created is not None
        return UserInfo(row.id, row.name, role, created, False)


def list_users(db: Database) -> list[UserInfo]:
    """List users by name."""
    with db.transaction() as session:
        rows = list(session.scalars(select(UserRow).order_by(UserRow.name)))
        return [_user_info(r) for r in rows]


def _user_info(row: UserRow) -> UserInfo:
    created = _aware(row.created_at)
    assert created is not None
    return UserInfo(row.id, row.name, Role(row.role), created, row.disabled_at is not None)


def disable_user(db: Database, *, user_id: int, now: datetime) -> UserInfo | None:
    """Disable a user at once: no more sign-ins, and their sessions end."""
    with db.transaction() as session:
        row = session.get(UserRow, user_id)
        if row is None or row.disabled_at is not None:
            return None
        row.disabled_at = _naive(now)
        session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
        session.flush()
        return _user_info(row)


def _open_session(
    session: Session,
    principal: Principal,
    now: datetime,
    *,
    token_id: int | None,
    user_id: int | None,
) -> tuple[Principal, str]:
    session_id = new_secret()
    csrf = new_secret()
    moment = _naive(now)
    session.execute(delete(SessionRow).where(SessionRow.expires_at < moment))
    session.add(
        SessionRow(
            session_hash=token_hash(session_id),
            principal=principal.name,
            role=principal.role.value,
            csrf=csrf,
            token_id=token_id,
            user_id=user_id,
            created_at=moment,
            expires_at=moment + SESSION_TTL,
        )
    )
    session.flush()
    return Principal(principal.name, principal.role, "session", csrf), session_id


def login(db: Database, *, name: str, secret: str, now: datetime) -> tuple[Principal, str] | None:
    """Sign in with an access token (name ignored) or a name and password; open a session."""
    with db.transaction() as session:
        if secret.startswith("opsb_"):
            digest = token_hash(secret)
            token = session.scalars(select(TokenRow).where(TokenRow.token_hash == digest)).first()
            if token is None or token.revoked_at is not None:
                return None
            who = Principal(token.name, Role(token.role), "token")
            return _open_session(session, who, now, token_id=token.id, user_id=None)
        user = session.scalars(select(UserRow).where(UserRow.name == name.strip())).first()
        if user is None:
            hash_password(secret)  # the same work either way: no timing hint that a name exists
            return None
        if user.disabled_at is not None or not check_password(secret, user.password_hash):
            return None
        who = Principal(user.name, Role(user.role), "session")
        return _open_session(session, who, now, token_id=None, user_id=user.id)


def authenticate_session(db: Database, *, session_id: str, now: datetime) -> Principal | None:
    """Return the principal of a live browser session, or None (one read, no writes)."""
    digest = token_hash(session_id)
    with db.engine.connect() as connection:
        row = connection.execute(_SESSION_BY_HASH, {"digest": digest}).first()
    if row is None or _naive(row.expires_at) <= _naive(now):
        return None
    if row.token_id is not None and row.revoked_at is not None:
        return None
    if row.user_id is not None and row.disabled_at is not None:
        return None
    return Principal(row.principal, Role(row.role), "session", row.csrf)


def logout(db: Database, *, session_id: str) -> None:
    """End a browser session."""
    with db.transaction() as session:
        session.execute(delete(SessionRow).where(SessionRow.session_hash == token_hash(session_id)))
