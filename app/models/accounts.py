"""Finding accounts: by name, by email address (in any of its spellings), by the key of a login
session (on every request), and those who hold a role."""

from __future__ import annotations

import hmac
from functools import cache

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.email_address import email_spellings
from app.models.role import user_roles
from app.models.sessions import SESSION_ID_PATTERN, LoginSession, UserSession, secret_digest
from app.models.types import utcnow
from app.models.user import User


def user_by_username(username: str) -> User | None:
    """Find a user by name, ignoring case."""
    return db.session.scalar(_user_by_name_statement(), {"username_key": username.lower()})


@cache
def _user_by_name_statement() -> sa.Select[tuple[User]]:
    return sa.select(User).where(User.username_key == sa.bindparam("username_key", type_=sa.String))


def user_by_email(email: str) -> User | None:
    """Find a user by email address, ignoring case and how its domain is spelled."""
    return db.session.scalar(
        sa.select(User).where(User.email.in_(email_spellings(email))).order_by(User.id)
    )


def session_and_user(key: str) -> tuple[LoginSession, User] | None:
    """The live login session a cookie's ``key`` names, and its user (with their roles), or
    None.

    One statement, run on every request: the user and roles as entities, of the session only
    the few columns a request needs.
    """
    session_id, _, secret = key.partition(":")
    if not secret or not SESSION_ID_PATTERN.fullmatch(session_id):
        return None
    result = db.session.execute(_session_and_user_statement(), {"session_id": session_id})
    found = result.unique().one_or_none()
    if found is None:
        return None
    user, secret_hash, created_at, last_seen, expires_at, remember, renew = found
    if not hmac.compare_digest(secret_hash, secret_digest(secret)) or expires_at <= utcnow():
        return None
    login = LoginSession(
        session_id, user.id, created_at, last_seen, expires_at, remember, renew, key
    )
    return login, user


@cache
def _session_and_user_statement() -> sa.Select:
    # Built once. Every page asks the user's roles (the navigation, the controls on each
    # post), so they come in the same statement.
    return (
        sa.select(
            User,
            UserSession.secret_hash,
            UserSession.created_at,
            UserSession.last_seen,
            UserSession.expires_at,
            UserSession.remember,
            UserSession.renew,
        )
        .join(UserSession, UserSession.user_id == User.id)
        .options(so.joinedload(User.roles))
        .where(UserSession.id == sa.bindparam("session_id", type_=sa.String))
    )


def staff_members() -> sa.Select[tuple[User]]:
    """Users holding any role, alphabetically."""
    with_a_role = sa.select(user_roles.c.user_id)
    return sa.select(User).where(User.id.in_(with_a_role)).order_by(User.username_key)
