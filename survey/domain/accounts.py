"""Users, roles, API tokens and browser sessions.

Passwords are stored as argon2 hashes; tokens and session ids only as SHA-256 digests, so a copy
of the database gives no one a way in. A :class:`Principal` is who is asking, with their roles.
:func:`server_secret` keeps the secrets every worker must share (the CSRF signing key) in the database.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from msgspec import Struct
from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from survey.store.models import ROLES, ApiToken, AuditLog, Membership, Secret, Session, User, utcnow

_HASHER = PasswordHasher()


class AccountError(ValueError):
    """A request about accounts that cannot be done (unknown role, taken username…)."""


class TooManyFailures(AccountError):
    """Sign-ins under this name failed too often lately: the password is not even checked."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        super().__init__(f"too many failed sign-ins under this name: try again in {minutes} minutes")


FAILED_SIGN_INS = 10
SIGN_IN_WINDOW = timedelta(minutes=15)
"""At most ``FAILED_SIGN_INS`` failed sign-ins under one name in ``SIGN_IN_WINDOW``; then none
until the oldest of them is that old. Each failure is in the audit log, which every worker
shares; counting by name (known or not) says nothing about which names exist."""


class Principal(Struct, frozen=True):
    """Who is asking: the user and the roles they hold (in any assessment, for now)."""

    user_id: int
    username: str
    roles: frozenset[str]
    via: str  # "session" or "token"

    def has(self, *roles: str) -> bool:
        """True when the principal holds any of ``roles`` (admins hold every role)."""
        return "admin" in self.roles or any(r in self.roles for r in roles)


class SignIn(Struct, frozen=True):
    """A browser login: the session cookie value (shown once) and who signed in."""

    cookie: str
    principal: Principal


def digest(secret: str) -> str:
    """The SHA-256 of a token or session id, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An argon2 hash of ``password``."""
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    """True when ``password`` matches the stored hash."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


USERNAME_MAX = 100  # the length the database keeps


def check_role(role: str) -> None:
    """Raise :class:`AccountError` unless ``role`` is one of :data:`ROLES`."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (one of: {', '.join(ROLES)})")


def add_user(db: DbSession, username: str, password: str, role: str, *, by: int | None = None) -> User:
    """Create a user with one role (in every assessment); the role change is audited."""
    check_role(role)
    if not username.strip() or len(password) < 8:
        raise AccountError("a user needs a name and a password of at least 8 characters")
    if len(username) > USERNAME_MAX:
        raise AccountError(f"a user name has at most {USERNAME_MAX} characters")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"a user named {username!r} already exists")
    user = User(username=username, display_name=username, password_hash=hash_password(password))
    db.add(user)
    db.flush()
    grant(db, user.id, role, by=by)
    return user


def grant(
    db: DbSession, user_id: int, role: str, *, assessment_id: int | None = None, by: int | None = None
) -> None:
    """Give a user a role, and write it to the audit log."""
    check_role(role)
    db.add(Membership(user_id=user_id, assessment_id=assessment_id, role=role))
    db.add(AuditLog(user_id=by, action="role.grant", target=f"user:{user_id}", detail={"role": role}))


def roles_of(db: DbSession, user_id: int) -> frozenset[str]:
    """Every role the user holds."""
    return frozenset(db.scalars(select(Membership.role).where(Membership.user_id == user_id)))


def create_token(db: DbSession, username: str, name: str = "") -> str:
    """A new API token for ``username``; the token itself is returned once and never stored."""
    user = db.scalar(select(User).where(User.username == username, User.active))
    if user is None:
        raise AccountError(f"no active user named {username!r}")
    token = secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, name=name or username, token_hash=digest(token)))
    return token


def authenticate(db: DbSession, username: str, password: str) -> User | None:
    """The active user with this name and password, else None."""
    user = db.scalar(select(User).where(User.username == username, User.active))
    if user is None:
        check_password(_unknown_user_hash(), password)  # as slow as a real check: names stay private
        return None
    return user if check_password(user.password_hash, password) else None


@cache
def _unknown_user_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _sign_in_target(username: str) -> str:
    return f"sign-in:{username}"[:300]


def _note_failure(db: DbSession, username: str) -> None:
    """A wrong password (or name) given for ``username``: counted by `_check_failures`."""
    db.add(AuditLog(action="login.failed", target=_sign_in_target(username), detail={}))


def _check_failures(db: DbSession, username: str) -> None:
    """TooManyFailures when ``username`` failed `FAILED_SIGN_INS` times within `SIGN_IN_WINDOW`."""
    now = utcnow()
    query = (
        select(AuditLog.at)
        .where(AuditLog.action == "login.failed", AuditLog.target == _sign_in_target(username))
        .where(AuditLog.at >= now - SIGN_IN_WINDOW)
        .order_by(AuditLog.at.desc())
        .limit(FAILED_SIGN_INS)
    )
    recent = list(db.scalars(query))
    if len(recent) < FAILED_SIGN_INS:
        return
    oldest = recent[-1] if recent[-1].tzinfo else recent[-1].replace(tzinfo=UTC)  # SQLite: naive UTC
    seconds = (oldest + SIGN_IN_WINDOW - now).total_seconds()
    raise TooManyFailures(max(1, math.ceil(seconds / 60)))


def authenticate_limited(
    db: DbSession, username: str, password: str, writer: Callable[[], DbSession] | None = None
) -> User | None:
    """`authenticate` under the limit on failed sign-ins; TooManyFailures when it is reached.

    A failure is written in ``db``, or, when ``db`` only reads, in a session of ``writer``
    committed at once (ODK Collect's Basic sign-in is checked by a guard that only reads).
    """
    _check_failures(db, username)
    user = authenticate(db, username, password)
    if user is not None:
        return user
    if writer is None:
        _note_failure(db, username)
        return None
    with writer() as session, session.begin():
        _note_failure(session, username)
    return None


def sign_in(
    db: DbSession, username: str, password: str, hours: int, *, replaces: str | None = None
) -> SignIn | None:
    """Check the password and open a session of ``hours``; None when either is wrong.

    The session this browser had before (``replaces``) and the user's expired ones are closed,
    so a session id planted before sign-in is worth nothing after it.
    """
    user = authenticate_limited(db, username, password)
    if user is None:
        return None
    if replaces:
        close_session(db, replaces)
    db.execute(delete(Session).where(Session.user_id == user.id, Session.expires_at <= utcnow()))
    principal = Principal(user.id, user.username, roles_of(db, user.id), "session")
    return SignIn(open_session(db, user.id, hours), principal)


def open_session(db: DbSession, user_id: int, hours: int) -> str:
    """Start a browser session; returns the cookie value (only its digest is stored)."""
    value = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=hours)
    db.add(Session(id=digest(value), user_id=user_id, expires_at=expires))
    return value


def close_session(db: DbSession, value: str) -> None:
    """End the session with this cookie value."""
    db.execute(delete(Session).where(Session.id == digest(value)))


def principal_from_session(db: DbSession, value: str, now: datetime | None = None) -> Principal | None:
    """Who owns this session cookie, if it is current."""
    row = db.execute(
        select(User.id, User.username, Session.expires_at)
        .join(Session, Session.user_id == User.id)
        .where(Session.id == digest(value), User.active)
    ).first()
    if row is None or _aware(row.expires_at) <= (now or utcnow()):
        return None
    return Principal(row.id, row.username, roles_of(db, row.id), "session")


_BY_TOKEN = (
    select(User.id, User.username, Membership.role)
    .select_from(ApiToken)
    .join(User, ApiToken.user_id == User.id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active)
)
"""The owner of an unrevoked token and each of their roles, one row per role: built once, so every
request reuses its compiled form (asked on every API call, it cost more than the rest of the guard)."""


def principal_from_token(db: DbSession | Connection, token: str) -> Principal | None:
    """Who owns this bearer token, if it is valid: one query on the token's (unique) digest."""
    rows = db.execute(_BY_TOKEN, {"token_hash": digest(token)}).all()
    if not rows:
        return None
    roles = frozenset(row.role for row in rows if row.role is not None)
    return Principal(rows[0].id, rows[0].username, roles, "token")


def server_secret(db: DbSession, name: str) -> str:
    """The secret called ``name``: made by the first worker to ask, then read by every other."""
    value = db.scalar(select(Secret.value).where(Secret.name == name))
    if value is not None:
        return value
    try:
        with db.begin_nested():
            db.add(Secret(name=name, value=secrets.token_hex(32)))
    except IntegrityError:  # another worker made it first; theirs is the one
        pass
    return db.scalars(select(Secret.value).where(Secret.name == name)).one()


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone columns; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
