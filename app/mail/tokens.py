"""Signed, expiring tokens for the links in account emails.

Each purpose has its own salt, so a token made for one can never be used for another. Each token
also names the state it was made for (the password, the address), so it stops working once that
state changes: a reset link works once, a confirmation link only for the address it was sent to.
"""

import hmac

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.extensions import db
from app.models import User

RESET_PASSWORD = "reset-password"  # noqa: S105  (a purpose name, not a secret)
CONFIRM_EMAIL = "confirm-email"
CHANGE_EMAIL = "change-email"
MAX_AGE_SETTING = {
    RESET_PASSWORD: "RESET_TOKEN_MAX_AGE",
    CONFIRM_EMAIL: "CONFIRM_TOKEN_MAX_AGE",
    CHANGE_EMAIL: "EMAIL_CHANGE_TOKEN_MAX_AGE",
}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"chirp.{purpose}")


def make_token(purpose: str, **claims) -> str:
    """A URL-safe token carrying ``claims``, signed for ``purpose``."""
    return _serializer(purpose).dumps(claims)


def read_token(purpose: str, token: str) -> dict | None:
    """The claims of a ``purpose`` token, or None if it is forged, mangled or expired."""
    max_age = current_app.config[MAX_AGE_SETTING[purpose]]
    try:
        claims = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return claims if isinstance(claims, dict) else None


def valid_for(purpose: str) -> str:
    """How long a ``purpose`` link works, in words ("1 hour", "3 days")."""
    seconds = current_app.config[MAX_AGE_SETTING[purpose]]
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _user(claims: dict | None) -> User | None:
    if claims is None or not isinstance(claims.get("id"), int):
        return None
    return db.session.get(User, claims["id"])


def password_reset_token(user: User) -> str:
    """A reset link token for ``user``, valid until their password changes."""
    return make_token(RESET_PASSWORD, id=user.id, pw=user.password_fingerprint(), email=user.email)


def user_for_password_reset(token: str) -> User | None:
    """The user a valid reset token is for, while their password and address are unchanged.

    A link sent to an address the account has since moved away from no longer works.
    """
    claims = read_token(RESET_PASSWORD, token)
    user = _user(claims)
    if user is None or not hmac.compare_digest(user.password_fingerprint(), str(claims.get("pw"))):
        return None
    if claims.get("email") != user.email:
        return None
    return user


def email_confirmation_token(user: User) -> str:
    """A token confirming that ``user`` reads mail at their current address."""
    return make_token(CONFIRM_EMAIL, id=user.id, email=user.email)


def user_for_email_confirmation(token: str) -> User | None:
    """The user a confirmation token is for, if their address is still the one it was sent to."""
    claims = read_token(CONFIRM_EMAIL, token)
    user = _user(claims)
    if user is None or claims.get("email") != user.email:
        return None
    return user


def email_change_token(user: User, new_email: str) -> str:
    """A token that moves ``user`` from their current address to ``new_email``.

    It also names the password: whoever asked knew it, and once the owner changes it (say,
    because someone else learnt it) a pending link to another address must stop working.
    """
    return make_token(
        CHANGE_EMAIL, id=user.id, old=user.email, new=new_email, pw=user.password_fingerprint()
    )


def email_change(token: str) -> tuple[User, str] | None:
    """(user, new address) for a valid change token; None once the address or password changed."""
    claims = read_token(CHANGE_EMAIL, token)
    user = _user(claims)
    if user is None or claims.get("old") != user.email or not isinstance(claims.get("new"), str):
        return None
    if not hmac.compare_digest(user.password_fingerprint(), str(claims.get("pw"))):
        return None
    return user, claims["new"]
