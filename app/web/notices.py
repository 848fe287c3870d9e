"""Notices: a fixed message shown once on the next page, as ``flash()`` shows one, kept in a
small cookie of its own instead of the session cookie.

``flash()`` keeps its message in the session cookie, so the redirect after a post signed the
whole session again (tagged JSON, zlib, HMAC: about a tenth of a post's CPU, which the write
load measures against a home page's), and the page after it signed it once more to take the
message out. A notice is one of :data:`NOTICES`, fixed texts: the cookie holds only the
notice's name, the page that shows it deletes it, and a name that is not in the table shows
nothing. So the cookie needs no signature: whoever could plant it in a browser could only make
one of these texts appear there.
"""

from __future__ import annotations

from flask import Flask, Response, after_this_request, current_app, get_flashed_messages, request

COOKIE_NAME = "notice"

NOTICES: dict[str, tuple[str, str]] = {
    "posted": ("success", "Your post is live!"),
}
"""Each notice's name (what the cookie holds) and its category and text, as flashed."""


def notify(name: str) -> None:
    """Show the notice ``name`` (one of :data:`NOTICES`) on the next page, once."""
    if name not in NOTICES:
        raise KeyError(f"no notice called {name!r}")

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(COOKIE_NAME, name, **_cookie_options())
        return response


def page_messages() -> list[tuple[str, str]]:
    """Template global: the flashed messages (category, text), then the notice this browser
    holds, if any; the cookie is deleted with this response, so each shows once."""
    messages = get_flashed_messages(with_categories=True)
    name = request.cookies.get(COOKIE_NAME)
    if name is None:
        return messages

    @after_this_request
    def delete_cookie(response: Response) -> Response:
        response.delete_cookie(COOKIE_NAME, **_cookie_options())
        return response

    notice = NOTICES.get(name)
    return [*messages, notice] if notice is not None else messages


def _cookie_options() -> dict:
    """The session cookie's path, domain and flags: the notice goes where the session goes."""
    sessions = current_app.session_interface
    return {
        "path": sessions.get_cookie_path(current_app),
        "domain": sessions.get_cookie_domain(current_app),
        "secure": sessions.get_cookie_secure(current_app),
        "httponly": True,
        "samesite": sessions.get_cookie_samesite(current_app),
    }


def init_app(app: Flask) -> None:
    """Make :func:`page_messages` a template global of ``app``."""
    app.add_template_global(page_messages)
