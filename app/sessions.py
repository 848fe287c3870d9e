"""The browser's side of login sessions (the rows are :class:`app.models.sessions.UserSession`).

Flask-Login keeps a session key (``"<id>:<secret>"``) in the signed session cookie and, with
"Remember me", in the remember-me cookie; :func:`user_for_session_key` turns it back into the
user on each request, and refuses it once its row is gone or has expired. Whenever the login
changes (logging in, a new password, a role granted or taken away) the browser gets a new key and
a new CSRF secret, so a cookie or form token taken before does not work after; logging out
deletes the row and empties the session cookie.

Views call these and commit.
"""

from datetime import datetime

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from flask_login.utils import decode_cookie

from app.models import User
from app.models.sessions import LoginSession, prune_sessions, session_and_user
from app.types import utcnow


def _csrf_field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _remember_cookie() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def log_in(user: User, remember: bool) -> None:
    """Start a new login session of ``user`` in this browser.

    Everything the session cookie held before is dropped, its CSRF secret above all: someone
    who planted a cookie in this browser knows that secret, and must not get a working token
    for the account.
    """
    now = utcnow()
    prune_sessions(user.id, now)
    login = LoginSession.start(
        user.id, remember, request.remote_addr, request.user_agent.string, now
    )
    user.last_login_at = now
    session.clear()
    _continue_with(user, login, now)


def log_out() -> None:
    """End this browser's login session: its cookies, and every copy of them, stop working."""
    login = getattr(current_user, "login_session", None)
    if login is not None:
        login.end()
    session.clear()  # the CSRF secret too: the next login starts from nothing
    g.pop(_csrf_field(), None)
    logout_user()  # and it has the remember-me cookie deleted


def renew_session(user: User) -> None:
    """Give this browser's login a new key and CSRF secret; the old key stops working.

    For a new password, after :meth:`User.set_password` has ended every session (this one
    too): the browser that changed it goes on, as the same login.
    """
    now = utcnow()
    old = user.login_session
    old.end()
    _continue_with(user, _successor(old, now), now)


def _successor(old: LoginSession, now: datetime) -> LoginSession:
    return old.successor(request.remote_addr, request.user_agent.string, now)


def _continue_with(user: User, login: LoginSession, now: datetime) -> None:
    """Make ``login`` (just written) this browser's login session, with a new CSRF secret."""
    session.pop(_csrf_field(), None)
    g.pop(_csrf_field(), None)  # Flask-WTF's token for this request, made from the old secret
    user.login_session = login
    if login.remember:
        # The cookie ends when the session does.
        login_user(user, remember=True, duration=login.expires_at - now)
        return
    login_user(user)
    if _remember_cookie() in request.cookies:
        session["_remember"] = "clear"  # left from an earlier login, which has ended


def user_for_session_key(key: str) -> User | None:
    """Flask-Login's user loader: the user whose live session ``key`` names, else None.

    One statement reads the session, the user and their roles.
    """
    found = session_and_user(key)
    if found is None or not found[1].is_active:
        _forget(key)
        return None
    login, user = found
    user.login_session = login
    return user


def _forget(key: str) -> None:
    """Take a key whose session has ended out of this browser's cookies, so that its next
    requests do not look it up again."""
    session.pop("_user_id", None)
    cookie = request.cookies.get(_remember_cookie())
    if cookie is not None and decode_cookie(cookie) == key:
        session["_remember"] = "clear"


def record_activity(user: User) -> bool:
    """What a logged-in request writes: when the account and this session were last active,
    and from where (at most once a minute), or this session's renewal after a role change.

    Returns True if anything was written: the caller commits.
    """
    now = utcnow()
    seen = user.touch_last_seen(now)
    login = user.login_session
    if not login.renew:
        return login.touch(request.remote_addr, request.user_agent.string, now) or seen
    if not login.end():
        return seen  # ended meanwhile: the next request is logged out
    _continue_with(user, _successor(login, now), now)
    return True


def current_session_id() -> str | None:
    """The id of this browser's login session, if it is logged in."""
    login = getattr(current_user, "login_session", None)
    return login.id if login is not None else None
