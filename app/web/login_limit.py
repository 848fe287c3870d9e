"""Failed logins per account, from every address at once (credential stuffing).

The login limit per client address (``RATELIMIT_LOGIN``) does nothing against a guesser spread
over thousands of addresses. This one counts failed logins per name tried, wherever they come
from (``RATELIMIT_LOGIN_ACCOUNT``), in the rate limits' store, so all workers share it when the
store is shared (Redis).

A limit per account lets anyone who knows a name lock its owner out by failing on purpose. So:

- Only failures count: the right password never uses up the allowance.
- A browser that has logged in to the account before (or reset its password) carries a signed
  cookie naming it, and is spared: the owner's own browsers are never locked out; while an
  attack goes on, only a browser new to the account must wait (or reset the password, which
  makes it known).
- The count is kept per name as typed, normalised (a username lower-cased, an address as
  accounts store it), never per account found: a count shared between a username and an
  address would tell a guesser that they belong together. So a guesser gets the allowance
  twice, once per spelling. Names are stored as keyed hashes, not in the clear.
"""

import hashlib
import hmac
from datetime import timedelta

from flask import Response, after_this_request, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException

from app.models import User, normalize_email
from app.web.form_pages import FormPage
from app.web.ratelimits import rate_limit

KNOWN_BROWSER_COOKIE = "chirp_known_browser"
KNOWN_BROWSER_MAX_AGE = timedelta(days=365)
# Accounts one browser is known for (a shared family computer has a few).
KNOWN_NAMES_KEPT = 10
# Longer than any username or email address: the rest cannot change which account it names.
_NAME_MAX_LENGTH = 320


def _fingerprint(name: str) -> str:
    """A keyed hash of a normalised login name: equal names match, the name itself is not kept."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"login-name:" + name.encode(), hashlib.sha256).hexdigest()[:32]


def _typed_name() -> str:
    """The name this login form was sent with, normalised as accounts are looked up."""
    try:
        name = request.form.get("username", "")
    except HTTPException:
        return ""  # the body is too large; the view answers that (a 413)
    name = name.strip()[:_NAME_MAX_LENGTH]
    return normalize_email(name) if "@" in name else name.lower()


def _names_of(user: User) -> list[str]:
    """Both names ``user`` can log in with, normalised like :func:`_typed_name`."""
    return [user.username.lower(), normalize_email(user.email)]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-browser")


def _known_fingerprints() -> list[str]:
    """The names this browser has logged in with (as fingerprints), from its signed cookie."""
    cookie = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not cookie:
        return []
    try:
        known = _serializer().loads(cookie, max_age=KNOWN_BROWSER_MAX_AGE.total_seconds())
    except BadSignature:
        return []
    return [name for name in known if isinstance(name, str)] if isinstance(known, list) else []


def _known_browser() -> bool:
    """True if this browser has logged in with the name typed: the limit spares it."""
    return _fingerprint(_typed_name()) in _known_fingerprints()


def _login_failed(_response: Response) -> bool:
    return g.get("login_failed", False)


def login_failed() -> None:
    """Count this login against the name tried: the password was wrong, or no account has it."""
    g.login_failed = True


def remember_browser(user: User) -> None:
    """Make this browser known for ``user`` (it has just proved it holds the account): the
    per-account limit spares it from now on. The cookie goes out with this request's response.
    """
    known = [_fingerprint(name) for name in _names_of(user)]
    known += [name for name in _known_fingerprints() if name not in known]
    value = _serializer().dumps(known[:KNOWN_NAMES_KEPT])

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(
            KNOWN_BROWSER_COOKIE,
            value,
            max_age=KNOWN_BROWSER_MAX_AGE,
            path="/auth/",  # only the login form reads it
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response


def limit_failures_per_account(page: FormPage):
    """Decorator for the login view: refuse a name tried and failed ``RATELIMIT_LOGIN_ACCOUNT``
    times (from anywhere), unless this browser is known for it, with the login ``page`` again
    (the same words whether or not an account has that name).

    The view calls :func:`login_failed` on a wrong password; nothing else counts.
    """
    return rate_limit(
        "RATELIMIT_LOGIN_ACCOUNT",
        key=lambda: "login-name:" + _fingerprint(_typed_name()),
        page=page,
        refusal="Too many failed attempts to log in with this name",
        retry="try again, or use “Forgot your password?”",
        deduct_when=_login_failed,
        exempt_when=_known_browser,
    )
