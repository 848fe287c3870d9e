"""The browser's side of login sessions (the rows are :class:`app.models.UserSession`).

Flask-Login keeps a session key (``"<id>:<secret>"``) in the signed session cookie and, with
"Remember me", in the remember-me cookie; :func:`user_for_session_key` turns it back into the
user on each request, and refuses it once its row is gone or has expired. Whenever the login
changes (logging in, a new password, a role granted or taken away) the browser gets a new key and
a new CSRF secret, so a cookie or form token taken before does not work after; logging out
deletes the row and empties the session cookie.

A view writes the rows (:func:`start_session`, :func:`renew_session`, :func:`end_session`),
commits, and only then changes the cookies (:func:`log_in`, :func:`switch_session`,
:func:`log_out`): if the commit fails (a read-only database, a full disk), the browser keeps the
login it had rather than a key whose row was rolled back, and a logout that did not happen does
not look as if it had.
"""

from datetime import datetime
from typing import NamedTuple

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from flask_login.utils import decode_cookie

from app.models import LoginSession, User, prune_sessions, session_and_user
from app.models.types import utcnow


def _csrf_field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _remember_cookie() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


# Writing the rows (before the view commits) ...


def start_session(user: User, remember: bool) -> LoginSession:
    """Write a new login session of ``user`` for this browser, and note the login."""
    now = utcnow()
    prune_sessions(user.id, now)
    user.last_login_at = now
    return LoginSession.start(
        user.id, remember, request.remote_addr, request.user_agent.string, now
    )


def renew_session(user: User) -> LoginSession:
    """Write this browser's login under a new key; the old key stops working.

    For a new password, after :meth:`User.set_password` has ended every session (this one
    too): the browser that changed it goes on, as the same login.
    """
    old = user.login_session
    old.end()
    return _successor(old, utcnow())


def _successor(old: LoginSession, now: datetime) -> LoginSession:
    return old.successor(request.remote_addr, request.user_agent.string, now)


def end_session() -> None:
    """Delete this browser's login session: its cookies, and every copy of them, stop working."""
    login = getattr(current_user, "login_session", None)
    if login is not None:
        login.end()


# ... then the cookies (once committed: they must never name a row a failed commit took back).


def log_in(user: User, login: LoginSession) -> None:
    """Make this browser's cookies name ``login`` (committed), a new login of ``user``.

    Everything the session cookie held before is dropped, its CSRF secret above all: someone
    who planted a cookie in this browser knows that secret, and must not get a working token
    for the account.
    """
    session.clear()
    switch_session(user, login)


def switch_session(user: User, login: LoginSession) -> None:
    """Make this browser's cookies name ``login`` (committed), with a new CSRF secret."""
    session.pop(_csrf_field(), None)
    g.pop(_csrf_field(), None)  # Flask-WTF's token for this request, made from the old secret
    user.login_session = login
    # force: whether the account may log in was checked already (by the form, or the loader);
    # asking again would reload the user the commit expired.
    if login.remember:
        # The cookie ends when the session does.
        duration = login.expires_at - utcnow()
        login_user(user, remember=True, duration=duration, force=True)
        return
    login_user(user, force=True)
    if _remember_cookie() in request.cookies:
        session["_remember"] = "clear"  # left from an earlier login, which has ended


def log_out() -> None:
    """Empty this browser's session cookie (its CSRF secret too: the next login starts from
    nothing) and have its remember-me cookie deleted."""
    session.clear()
    g.pop(_csrf_field(), None)
    logout_user()


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


class Activity(NamedTuple):
    """What :func:`record_activity` wrote."""

    written: bool  # anything at all: the caller commits
    renewed: LoginSession | None  # once committed, the caller switches to it (switch_session)


def record_activity(user: User) -> Activity:
    """What a logged-in request writes: when the account and this session were last active,
    and from where (at most once a minute), or this session's renewal after a role change."""
    now = utcnow()
    seen = user.touch_last_seen(now)
    login = user.login_session
    if not login.renew:
        return Activity(
            login.touch(request.remote_addr, request.user_agent.string, now) or seen, None
        )
    if not login.end():
        return Activity(seen, None)  # ended meanwhile: the next request is logged out
    return Activity(True, _successor(login, now))


def current_session_id() -> str | None:
    """The id of this browser's login session, if it is logged in."""
    login = getattr(current_user, "login_session", None)
    return login.id if login is not None else None
