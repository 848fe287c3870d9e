"""The reader's CSRF token, signed once a minute per session and process, not on every page.

Flask-WTF keeps a secret in the session cookie and puts a signed copy of it in each form:
it signs it afresh on every request that shows a form (HMAC, JSON and base64 through
itsdangerous), 0.07-0.1 ms of CPU, and every logged-in page shows one (the navigation's
log-out button; home's post box, the cards' Like buttons). The signature covers the secret
and the time it was made: one made a minute ago is as good, since Chirp's tokens do not
expire by age (``WTF_CSRF_TIME_LIMIT`` is None; with a limit, a kept token would be valid
for at most :data:`REUSE_SECONDS` less). Each process keeps the signed token under the
session's secret (and the signing key): a new login has a new secret
(:func:`app.web.sessions.switch_session`), so never the token of the one before.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from app.web.memo import Memo

REUSE_SECONDS = 60
"""How long a process hands out the same signed token for a session."""

# What never shows a form: as app.main.routes.record_last_seen, no look-up for them.
_NO_FORMS = frozenset({"static", "main.avatar", "main.healthz"})

_SIGNED: Memo[str] = Memo("csrf_signed", seconds=REUSE_SECONDS)


def _field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def kept_signed_token() -> None:
    """Before a request: give Flask-WTF this session's signed token (in ``g``, where it
    keeps the one it made for the request), signed at most :data:`REUSE_SECONDS` ago.

    Only for a session that has a CSRF secret already (a visitor without one gets it as
    before, from the first form that needs it).
    """
    if request.endpoint in _NO_FORMS:
        return
    field = _field()
    secret = session.get(field)
    if secret is None or field in g:
        return
    key = (secret, current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key)
    setattr(g, field, _SIGNED.get(key, generate_csrf))


def init_app(app: Flask) -> None:
    """Sign each session's token at most once a minute in ``app``'s process."""
    app.before_request(kept_signed_token)
