"""Login sessions, kept in the database so that ending one ends it everywhere at once.

Each login makes a :class:`UserSession` row. The browser's session cookie and its remember-me
cookie carry only the row's id and a random secret (the *key*, ``"<id>:<secret>"``); the row
keeps a hash of the secret, so reading the table does not give anybody a working cookie.
Deleting the row (logging out, a new password, a suspension, a deleted account, "log out" on the
sessions list) makes every copy of those cookies worthless on their next request.

A request holds its own session as a :class:`LoginSession`; :class:`UserSession` is the table,
for listing one's sessions. The session a cookie names is read with its user by
:func:`app.models.user.session_and_user`; this module names the user only in annotations.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.extensions import db
from app.models.base import LAST_SEEN_INTERVAL
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User

# Logging in drops an account's least recently used sessions beyond this many, so nobody's
# sessions list (or the table) grows without end.
MAX_SESSIONS_PER_USER = 50
# Expired rows each login deletes on its way (whoever they belong to): bounded work per login,
# and more than enough to keep up, since each login adds only one row.
PRUNE_BATCH = 100
# What secrets.token_urlsafe(16) makes; anything else (from a URL, say) names no session and
# is not sent to the database.
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
AGENT_MAX_LENGTH = 512
ADDRESS_MAX_LENGTH = 45  # the longest text form of an IPv6 address


def secret_digest(secret: str) -> str:
    """What a session row keeps of its secret: a hash, so that the table gives nobody a cookie."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _clipped(ip_address: str | None, user_agent: str | None) -> tuple[str | None, str | None]:
    """The address and user agent as stored: cut to their columns, None when not sent."""
    address = (ip_address or "")[:ADDRESS_MAX_LENGTH]
    agent = (user_agent or "")[:AGENT_MAX_LENGTH]
    return address or None, agent or None


def remember_lifetime() -> timedelta:
    """How long a "Remember me" login lasts: the remember-me cookie's lifetime too."""
    return timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])


def idle_lifetime() -> timedelta:
    """How long a login without "Remember me" lasts without a request."""
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


class UserSession(db.Model):
    """One login: a browser (or a copy of its cookies) acting as the account ``user_id`` until
    the row is deleted or expires."""

    __tablename__ = "user_session"

    # Random, so that ids say nothing about other sessions; shown in the owner's own forms.
    id: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    # Indexed for the account's sessions list, and for deleting them all at once.
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    secret_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_seen: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # A "Remember me" login ends a fixed time after it began, like its cookie; any other one
    # once idle for long (moved on by every last_seen write). Indexed for pruning.
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    remember: so.Mapped[bool] = so.mapped_column(default=False)
    # Set when the account's roles change: its next request gets a new id, secret and CSRF
    # secret, so a cookie copied before the change does not carry the new powers.
    renew: so.Mapped[bool] = so.mapped_column(default=False)
    # Where and with what the session was last used (at login, then with each last_seen write).
    ip_address: so.Mapped[str | None] = so.mapped_column(sa.String(ADDRESS_MAX_LENGTH))
    user_agent: so.Mapped[str | None] = so.mapped_column(sa.String(AGENT_MAX_LENGTH))

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of {self.user_id}>"


@dataclass(frozen=True)
class LoginSession:
    """A login session as one request holds it: read with its user
    (:func:`app.models.user.session_and_user`) or just written, and changed only by statements
    of its own, never through the ORM's unit of work, so that a session another request ends
    meanwhile never fails this one.

    ``key`` is what the cookies carry; only this request knows its secret.
    """

    id: str
    user_id: int
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    remember: bool
    renew: bool
    key: str

    @classmethod
    def start(
        cls,
        user_id: int,
        remember: bool,
        ip_address: str | None,
        user_agent: str | None,
        now: datetime | None = None,
    ) -> LoginSession:
        """A new login of the account ``user_id``, written (the view commits)."""
        now = now or utcnow()
        expires_at = now + (remember_lifetime() if remember else idle_lifetime())
        return cls._write(user_id, remember, now, expires_at, ip_address, user_agent, now)

    def successor(
        self, ip_address: str | None, user_agent: str | None, now: datetime | None = None
    ) -> LoginSession:
        """The same login under a new id and secret, written: what the browser goes on with
        once this one is deleted. It began when this one did and ends when it would have."""
        now = now or utcnow()
        expires_at = self.expires_at if self.remember else now + idle_lifetime()
        return self._write(
            self.user_id, self.remember, self.created_at, expires_at, ip_address, user_agent, now
        )

    @classmethod
    def _write(
        cls,
        user_id: int,
        remember: bool,
        created_at: datetime,
        expires_at: datetime,
        ip_address: str | None,
        user_agent: str | None,
        now: datetime,
    ) -> LoginSession:
        session_id, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        address, agent = _clipped(ip_address, user_agent)
        db.session.execute(
            sa.insert(UserSession).values(
                id=session_id,
                user_id=user_id,
                secret_hash=secret_digest(secret),
                created_at=created_at,
                last_seen=now,
                expires_at=expires_at,
                remember=remember,
                renew=False,
                ip_address=address,
                user_agent=agent,
            )
        )
        key = f"{session_id}:{secret}"
        return cls(session_id, user_id, created_at, now, expires_at, remember, False, key)

    def touch(self, ip_address: str | None, user_agent: str | None, now: datetime) -> bool:
        """Note a request (from where, with what); True if it was written.

        At most once per :data:`LAST_SEEN_INTERVAL`. If the session has ended meanwhile
        (logged out from another device), the UPDATE finds nothing, and nothing goes wrong.
        """
        if now - self.last_seen < LAST_SEEN_INTERVAL:
            return False
        address, agent = _clipped(ip_address, user_agent)
        values = {"last_seen": now, "ip_address": address, "user_agent": agent}
        if not self.remember:
            values["expires_at"] = now + idle_lifetime()
        db.session.execute(
            sa.update(UserSession).where(UserSession.id == self.id).values(values),
            execution_options={"synchronize_session": False},
        )
        return True

    def end(self) -> bool:
        """Delete this session; False if it had ended already (another request deleted it)."""
        result = db.session.execute(
            sa.delete(UserSession).where(UserSession.id == self.id),
            execution_options={"synchronize_session": False},
        )
        return result.rowcount > 0


def sessions_of(user: User) -> sa.Select[tuple[UserSession]]:
    """``user``'s sessions that have not expired, the most recently active first."""
    return (
        sa.select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen.desc(), UserSession.id)
    )


def end_sessions_of(user_id: int, keep: str | None = None) -> None:
    """Delete every session of the account ``user_id`` (but ``keep``)."""
    condition = UserSession.user_id == user_id
    if keep is not None:
        condition = sa.and_(condition, UserSession.id != keep)
    db.session.execute(sa.delete(UserSession).where(condition))


def end_session_of(user_id: int, session_id: str) -> bool:
    """Delete the session ``session_id`` if it is one of ``user_id``'s; True if it was."""
    if not SESSION_ID_PATTERN.fullmatch(session_id):
        return False
    condition = sa.and_(UserSession.user_id == user_id, UserSession.id == session_id)
    return db.session.execute(sa.delete(UserSession).where(condition)).rowcount > 0


def mark_sessions_for_renewal(user_id: int) -> None:
    """Have each session of ``user_id`` renewed on its next request (see ``renew``)."""
    db.session.execute(
        sa.update(UserSession).where(UserSession.user_id == user_id).values(renew=True),
        execution_options={"synchronize_session": False},
    )


def prune_sessions(user_id: int, now: datetime | None = None) -> None:
    """Make room for a new login of ``user_id``, and clean up on the way.

    Deletes up to :data:`PRUNE_BATCH` expired sessions of anybody, and the account's least
    recently used ones beyond :data:`MAX_SESSIONS_PER_USER` - 1: two statements, each reading
    an index range, however large the table.
    """
    expired = (
        sa.select(UserSession.id)
        .where(UserSession.expires_at <= (now or utcnow()))
        .order_by(UserSession.expires_at)
        .limit(PRUNE_BATCH)
    )
    db.session.execute(
        sa.delete(UserSession).where(UserSession.id.in_(expired.scalar_subquery())),
        execution_options={"synchronize_session": False},
    )
    newest = (
        sa.select(UserSession.id)
        .where(UserSession.user_id == user_id)
        .order_by(UserSession.last_seen.desc(), UserSession.id)
        .limit(MAX_SESSIONS_PER_USER - 1)
    )
    db.session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user_id, UserSession.id.not_in(newest.scalar_subquery())
        ),
        execution_options={"synchronize_session": False},
    )
