"""Security headers on every response, error pages and static files included; private
responses kept out of caches."""

from flask import Flask, Response, current_app, g, request

# Everything comes from this site; no inline script or style, no plugins, no framing, and
# forms may only post back here. Avatars are same-origin SVG files.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    # Page URLs (which may carry usernames and cursors) never leave the site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Add :data:`SECURITY_HEADERS`, leaving any a view chose to set itself.

    Over HTTPS, also HSTS: the browser then uses HTTPS for this host for ``HSTS_MAX_AGE``
    seconds, even for a typed ``http://`` address or link. Browsers ignore the header over plain
    HTTP, so it is only sent where it counts (behind a proxy, see ``PROXY_FIX_X_PROTO``).
    """
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    max_age = current_app.config["HSTS_MAX_AGE"]
    if max_age and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


def keep_private_out_of_caches(response: Response) -> Response:
    """``Cache-Control: private, no-store`` on a response made for a logged-in person, or one
    that sets a cookie: no shared proxy cache may hand it to someone else, and no browser may
    keep it on disk for the next person at a shared computer (nor show it from history after
    logout).

    It runs after the session cookie is set, which Flask does after the ``after_request``
    hooks (see ``Chirp.process_response``). Whether someone is logged in is read from the user
    Flask-Login loaded for this request (``g._login_user``), never loaded here: responses that
    load nobody (static files, avatars) stay cacheable, and this costs no query. Anonymous
    pages that set no cookie keep what they have.

    It asks ``is_anonymous``, not ``is_authenticated``: the loader only keeps an active user,
    and ``is_authenticated`` reads the user's columns, which a view's commit has expired, so
    a write that set no cookie (a Like) reloaded the user here, one more statement.
    """
    user = g.get("_login_user")
    if "Set-Cookie" in response.headers or (user is not None and not user.is_anonymous):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def register_security_headers(app: Flask) -> None:
    """Send :data:`SECURITY_HEADERS` with every response of ``app``."""
    app.after_request(add_security_headers)
